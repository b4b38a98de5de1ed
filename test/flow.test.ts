import {
  Observable,
  Subject,
  map,
  observeOn,
  asapScheduler,
  share,
  switchMap,
  of,
  type Subscriber,
} from 'rxjs';
import { DownstreamFlow, ManualGate, findClosedGate, holdDelivering, markFlow } from '../src/flow/flow';

/** A source that keeps its subscriber, as rxllm's sources do, to ask its path for closed gates. */
function probe(): { source: Observable<number>; subscriber: () => Subscriber<number> } {
  let subscriber: Subscriber<number> | undefined;
  return {
    source: new Observable<number>((s) => {
      subscriber = s;
    }),
    subscriber: () => subscriber!,
  };
}

describe('flow', () => {
  it('finds a gate through the installed RxJS subscriber chain: operators, switchMap, observeOn', () => {
    const gate = new ManualGate();
    const { source, subscriber } = probe();
    of(1)
      .pipe(
        switchMap(() => source),
        map((x) => x * 2),
        observeOn(asapScheduler),
      )
      .subscribe(markFlow({ next: () => undefined }, { gate }));
    expect(findClosedGate(subscriber())).toBeUndefined();
    gate.close();
    expect(findClosedGate(subscriber())).toBe(gate);
    gate.open();
    expect(findClosedGate(subscriber())).toBeUndefined();
  });

  it('follows a mark on to its downstream link, and into every observer of a Subject', () => {
    const near = new ManualGate();
    const far = new ManualGate();
    const subject = new Subject<number>();
    subject.subscribe(markFlow({}, { gate: far }));
    subject.subscribe(() => undefined);
    const { source, subscriber } = probe();
    source.subscribe(markFlow({}, { gate: near, downstream: subject }));
    expect(findClosedGate(subscriber())).toBeUndefined();
    far.close();
    expect(findClosedGate(subscriber())).toBe(far);
    near.close();
    expect(findClosedGate(subscriber())).not.toBeUndefined();
  });

  it('does not see through share(), whose connection is made of closures: delivery registers the gate instead', () => {
    const gate = new ManualGate();
    gate.close();
    const { source, subscriber } = probe();
    const shared = source.pipe(share());
    shared.subscribe(
      markFlow({ next: () => holdDelivering(gate) }, { gate }), // a consumer holding what it gets
    );
    expect(findClosedGate(subscriber())).toBeUndefined();
    const flow = new DownstreamFlow(subscriber());
    expect(flow.closedGate()).toBeUndefined();
    flow.enter();
    subscriber().next(1);
    flow.exit();
    expect(flow.closedGate()).toBe(gate);
  });

  it('survives cycles and exotic objects on the path', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = { destination: a };
    a.destination = b;
    expect(findClosedGate(a)).toBeUndefined();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no');
        },
      },
    );
    expect(findClosedGate({ destination: hostile })).toBeUndefined();
  });

  it('uses global symbols, so marks and deliveries of another copy of rxllm count', () => {
    const gate = new ManualGate();
    gate.close();
    const foreign = { [Symbol.for('rxllm.flow')]: { gate } };
    expect(findClosedGate({ destination: foreign })).toBe(gate);
    const flow = new DownstreamFlow({});
    flow.enter();
    const stack = (globalThis as unknown as Record<symbol, Array<{ hold(gate: unknown): void }>>)[
      Symbol.for('rxllm.flow.delivering')
    ]!;
    for (const point of stack) point.hold(gate);
    flow.exit();
    expect(stack).toHaveLength(0);
    expect(flow.closedGate()).toBe(gate);
  });

  it('waits while any gate is closed and resolves when all are open at once, or when stopped', async () => {
    const a = new ManualGate();
    const b = new ManualGate();
    const subject = new Subject<number>();
    subject.subscribe(markFlow({}, { gate: a }));
    subject.subscribe(markFlow({}, { gate: b }));
    const flow = new DownstreamFlow(subject);
    expect(flow.whenOpen()).toBeUndefined();
    a.close();
    b.close();
    let done = false;
    const waiting = flow.whenOpen()!.then(() => (done = true));
    a.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    b.open();
    await waiting;
    expect(done).toBe(true);

    a.close();
    const stopped = flow.whenOpen()!;
    flow.stop();
    await expect(stopped).resolves.toBeUndefined();
    expect(flow.whenOpen()).toBeUndefined();
  });
});

describe('markFlow, the public escape hatch', () => {
  it("keeps the consumers behind a user's operator that re-emits later visible, as the README shows", () => {
    const gate = new ManualGate();
    const { source, subscriber } = probe();
    // The README's operator: subscribes with an observer object of its own, re-emits from a microtask.
    const deferred = (source$: Observable<number>) =>
      new Observable<number>((downstream) =>
        source$.subscribe(
          markFlow({ next: (value: number) => queueMicrotask(() => downstream.next(value)) }, { downstream }),
        ),
      );
    source.pipe(deferred).subscribe(markFlow({}, { gate }));
    gate.close();
    expect(findClosedGate(subscriber())).toBe(gate);
    // Without the mark, the path ends at the operator's own observer.
    const unmarked = probe();
    unmarked.source
      .pipe(
        (source$) =>
          new Observable<number>((downstream) => source$.subscribe({ next: (v) => downstream.next(v) })),
      )
      .subscribe(markFlow({}, { gate }));
    expect(findClosedGate(unmarked.subscriber())).toBeUndefined();
  });

  it('is exported from the package, with any { paused, whenOpen } object as a gate', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rxllm = require('../src/index') as typeof import('../src/index');
    const gate = { paused: true, whenOpen: () => Promise.resolve() };
    const { source, subscriber } = probe();
    source.subscribe(rxllm.markFlow({}, { gate }));
    expect(findClosedGate(subscriber())).toBe(gate);
  });
});
