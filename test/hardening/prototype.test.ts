import { lastValueFrom, from, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { structuredOutput, type StructuredOutput } from '../../src/operators/structuredOutput';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { messageReducer } from '../../src/sinks/messageReducer';
import { fromSSE } from '../../src/sources/fromSSE';
import { pieces, sse } from './support';

// Issue 12, item 5: an rxllm-dialect stream with `track: "__proto__"` crashed createMessageStore,
// and structuredOutput let `{"__proto__":{"isAdmin":true}}` replace the result's prototype. Wire
// strings are now own properties everywhere, as JSON.parse makes them.

const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

afterEach(() => {
  // Nothing leaked onto Object.prototype.
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(({} as Record<string, unknown>).text).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
});

describe('tracks named like Object.prototype members', () => {
  it.each(names)('an rxllm stream on track %s reaches createMessageStore as its own track', async (track) => {
    const store = createMessageStore();
    const text = sse(
      [{ type: 'start', provider: 'p', track }, 'start'],
      [{ type: 'text', text: 'hello', track }, 'text'],
      [{ type: 'finish', reason: 'stop', track }, 'finish'],
      ['[DONE]', 'done'],
    );
    await new Promise<void>((resolve) => {
      store.connect(fromSSE(pieces(text), { dialect: 'rxllm' })).add(resolve);
    });
    const state = store.getSnapshot();
    expect(Object.hasOwn(state.tracks, track)).toBe(true);
    expect(state.tracks[track]).toMatchObject({ text: 'hello', status: 'done', provider: 'p' });
    expect(Object.getPrototypeOf(state.tracks)).toBe(Object.prototype);
    expect(Object.keys(state.tracks)).toEqual([track]);
  });

  it('messageReducer keeps several such tracks apart and ends them all', () => {
    let state = messageReducer.initialState;
    for (const track of names) state = messageReducer(state, { type: 'text', text: track, track });
    state = messageReducer(state, { type: 'stream-complete' });
    expect(Object.keys(state.tracks).sort()).toEqual([...names].sort());
    for (const track of names) expect(state.tracks[track]).toMatchObject({ text: track, status: 'done' });
  });
});

describe('structuredOutput defines keys like JSON.parse', () => {
  const json = '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"a":[{"__proto__":[1]}]}';

  async function values(deltas: string[]): Promise<StructuredOutput<unknown>[]> {
    const events: RxllmEvent[] = [
      ...deltas.map((text): RxllmEvent => ({ type: 'text', text })),
      { type: 'finish', reason: 'stop' },
    ];
    return lastValueFrom(from(events).pipe(structuredOutput(), toArray()));
  }

  it.each([
    ['whole', [json]],
    ['a character at a time', [...json]],
  ])('%s: the final value equals JSON.parse, its prototype untouched', async (_, deltas) => {
    const emitted = await values(deltas);
    const final = emitted.at(-1)!;
    if (!final.done) throw new Error('no final value');
    const value = final.value as Record<string, unknown>;
    const expected = JSON.parse(json) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.isAdmin).toBeUndefined();
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(JSON.stringify(value)).toBe(JSON.stringify(expected));
    const nested = (value.a as Record<string, unknown>[])[0]!;
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype);
    expect(Array.isArray(Object.getPrototypeOf(nested))).toBe(false);
    // Every partial too.
    for (const item of emitted) {
      if (item.done) continue;
      const partial = item.partial as unknown;
      if (partial === null || typeof partial !== 'object') continue;
      expect(Object.getPrototypeOf(partial)).toBe(Object.prototype);
      expect((partial as Record<string, unknown>).isAdmin).toBeUndefined();
    }
  });
});
