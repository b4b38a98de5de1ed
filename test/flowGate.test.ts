import { Observable, map } from 'rxjs';
import { ManualGate, captureGates, subscribeUnderGate, waitForGates } from '../src/internal/flowGate';

describe('flowGate', () => {
  it('lets a source subscribed through plain operators capture the ambient gate', () => {
    const gate = new ManualGate();
    let captured: readonly unknown[] = [];
    const source = new Observable<number>(() => {
      captured = captureGates();
    }).pipe(map((x) => x * 2));
    subscribeUnderGate(gate, () => source.subscribe());
    expect(captured).toEqual([gate]);
    expect(captureGates()).toEqual([]);
  });

  it('waits while any gate is paused and resolves when all are open', async () => {
    const a = new ManualGate();
    const b = new ManualGate();
    expect(waitForGates([a, b])).toBeUndefined();
    a.close();
    b.close();
    let done = false;
    const waiting = waitForGates([a, b])!.then(() => (done = true));
    a.open();
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(false);
    b.open();
    await waiting;
    expect(done).toBe(true);
  });
});
