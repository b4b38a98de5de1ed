import { Subject } from 'rxjs';
import type { RxllmEvent } from '../src/base/events';
import { ManualGate } from '../src/flow/flow';
import { sourceFlowKey } from '../src/flow/sourceFlow';
import { fromSSE } from '../src/core/fromSSE';
import { rxllmDialect } from '../src/dialects/rxllm';
import { turns } from './sources/helpers';

const slot = globalThis as { [sourceFlowKey]?: unknown };
const frame = (text: string) => `data: ${JSON.stringify({ type: 'text', text })}\n\n`;

describe('sourceFlow: the flow walk joins when a gate is first made', () => {
  it('reads freely while no gate code ran, and stops for a gate once flow code fills the slot', async () => {
    expect(slot[sourceFlowKey]).toBeUndefined(); // importing flow/flow filled nothing
    // A gate of another copy of rxllm: the protocol only (a symbol-keyed mark), none of our code.
    let open: () => void = () => {};
    const gate = { paused: false, whenOpen: () => new Promise<void>((resolve) => (open = resolve)) };
    const input = new Subject<string>();
    const seen: string[] = [];
    const observer = {
      next: (event: RxllmEvent) => {
        if (event.type === 'text') seen.push(event.text);
      },
    };
    Object.defineProperty(observer, Symbol.for('rxllm.flow'), { value: { gate } });
    const subscription = fromSSE(input, { dialect: rxllmDialect }).subscribe(observer);

    input.next(frame('a'));
    await turns();
    expect(seen).toEqual(['a']);
    expect(slot[sourceFlowKey]).toBeUndefined(); // still nothing: the source read without a walk

    gate.paused = true;
    void new ManualGate(); // flow code runs (pausable, a pulled sink...): the slot is filled
    expect(slot[sourceFlowKey]).toBeInstanceOf(Function);
    input.next(frame('b')); // the read already waiting takes this one
    await turns();
    input.next(frame('c'));
    await turns();
    expect(seen).toEqual(['a', 'b']); // the next read waits on the closed gate

    gate.paused = false;
    open();
    await turns();
    expect(seen).toEqual(['a', 'b', 'c']);
    subscription.unsubscribe();
  });
});
