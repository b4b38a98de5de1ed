import { BehaviorSubject, NEVER, Observable, Subject, of } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { DownstreamFlow, type FlowGate } from '../../src/flow/flow';
import { pausable, type PausableConfig } from '../../src/operators/pausable';
import { ev, marbles } from '../../src/testing';
import { scenarios, type PausableScenario } from '../../marbles/pausable';
import { specifyScenarios } from '../support/scenarioSpecs';

function run(scenario: PausableScenario): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, paused, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    const paused$ = cold<boolean>(paused!, scenario.values as Record<string, boolean>, scenario.error);
    expectObservable(source$.pipe(pausable(paused$, scenario.config)), scenario.unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
    if (scenario.notifierSubscriptions) {
      expectSubscriptions(paused$.subscriptions).toBe(scenario.notifierSubscriptions);
    }
  });
}

/** A source that asks its downstream path for a closed flow gate, as rxllm sources do before a read. */
function gateRecordingSource(): {
  source: Observable<RxllmEvent>;
  closedGate: () => FlowGate | undefined;
  emit: Subject<RxllmEvent>;
} {
  let flow: DownstreamFlow | undefined;
  const emit = new Subject<RxllmEvent>();
  const source = new Observable<RxllmEvent>((subscriber) => {
    flow = new DownstreamFlow(subscriber);
    return emit.subscribe(subscriber);
  });
  return { source, closedGate: () => flow?.closedGate(), emit };
}

describe('pausable', () => {
  specifyScenarios('src/operators/pausable.ts', scenarios, run);

  it.each([
    [null, {}, 'rxllm: pausable: notifier must be an Observable<boolean>, got null'],
    [
      of(true),
      { policy: 'latest' },
      `rxllm: pausable: policy must be 'buffer', 'coalesce' or 'drop', got "latest"`,
    ],
    [
      of(true),
      { maxBuffered: 0 },
      'rxllm: pausable: maxBuffered must be a positive integer or Infinity, got 0',
    ],
    [
      of(true),
      { maxBuffered: NaN },
      'rxllm: pausable: maxBuffered must be a positive integer or Infinity, got NaN',
    ],
    [of(true), null, 'rxllm: pausable: config must be an object, got null'],
  ])('throws when built with notifier %p and config %p', (notifier, config, message) => {
    expect(() => pausable(notifier as Observable<boolean>, config as PausableConfig)).toThrow(message);
  });

  it('closes a gate on the path of its source while paused and opens it on resume', async () => {
    const { source, closedGate } = gateRecordingSource();
    const paused$ = new BehaviorSubject(false);
    const subscription = source.pipe(pausable(paused$)).subscribe();
    expect(closedGate()).toBeUndefined();
    paused$.next(true);
    const gate = closedGate();
    expect(gate!.paused).toBe(true);
    let opened = false;
    const whenOpen = gate!.whenOpen().then(() => (opened = true));
    await Promise.resolve();
    expect(opened).toBe(false);
    paused$.next(false);
    await whenOpen;
    expect(opened).toBe(true);
    expect(gate!.paused).toBe(false);
    subscription.unsubscribe();
  });

  it('opens the gate when unsubscribed, so a waiting source is not left hanging', async () => {
    const { source, closedGate } = gateRecordingSource();
    const subscription = source.pipe(pausable(new BehaviorSubject(true))).subscribe();
    const gate = closedGate();
    expect(gate!.paused).toBe(true);
    const whenOpen = gate!.whenOpen();
    subscription.unsubscribe();
    await expect(whenOpen).resolves.toBeUndefined();
  });

  it('leaves the source reading under the drop policy, whose point is to skip', () => {
    const { source, closedGate } = gateRecordingSource();
    const paused$ = new BehaviorSubject(true);
    source.pipe(pausable(paused$, { policy: 'drop' })).subscribe();
    expect(closedGate()).toBeUndefined();
  });

  it('accepts a plain Subject as its notifier', () => {
    const paused$ = new Subject<boolean>();
    const { source, emit } = gateRecordingSource();
    const out: RxllmEvent[] = [];
    source.pipe(pausable(paused$)).subscribe((event) => out.push(event));
    emit.next(ev.text('a'));
    paused$.next(true);
    emit.next(ev.text('b'));
    expect(out).toEqual([ev.text('a')]);
    paused$.next(false);
    expect(out).toEqual([ev.text('a'), ev.text('b')]);
  });

  it('stops releasing when the consumer pauses again in the middle of a release', () => {
    const paused$ = new BehaviorSubject(true);
    const { source, emit } = gateRecordingSource();
    const out: string[] = [];
    source.pipe(pausable(paused$)).subscribe((event) => {
      out.push((event as { text: string }).text);
      if (out.length === 2) paused$.next(true);
    });
    for (const text of ['a', 'b', 'c', 'd']) emit.next(ev.text(text));
    paused$.next(false);
    expect(out).toEqual(['a', 'b']);
    emit.next(ev.text('e'));
    paused$.next(false);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('delivers everything held before an error even if the consumer pauses during the flush', () => {
    const paused$ = new BehaviorSubject(true);
    const { source, emit } = gateRecordingSource();
    const out: string[] = [];
    let failure: unknown;
    source.pipe(pausable(paused$)).subscribe({
      next: (event) => {
        out.push((event as { text: string }).text);
        paused$.next(true);
      },
      error: (error: unknown) => (failure = error),
    });
    emit.next(ev.text('a'));
    emit.next(ev.text('b'));
    emit.error(new Error('cut'));
    expect(out).toEqual(['a', 'b']);
    expect(failure).toEqual(new Error('cut'));
  });

  it('keeps order when the source emits synchronously during a release', () => {
    const paused$ = new BehaviorSubject(true);
    const { source, emit } = gateRecordingSource();
    const out: string[] = [];
    source.pipe(pausable(paused$)).subscribe((event) => {
      const text = (event as { text: string }).text;
      out.push(text);
      if (text === 'a') emit.next(ev.text('z'));
    });
    emit.next(ev.text('a'));
    emit.next(ev.text('b'));
    paused$.next(false);
    expect(out).toEqual(['a', 'b', 'z']);
  });

  it('unsubscribes the notifier when the source completes', () => {
    marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold<RxllmEvent>('-a-|', { a: ev.text('a') });
      const paused$ = hot<boolean>('-------');
      expectObservable(source.pipe(pausable(paused$))).toBe('-a-|', { a: ev.text('a') });
      expectSubscriptions(paused$.subscriptions).toBe('^--!');
    });
  });

  it('does not subscribe the source when the notifier errors at once', () => {
    let subscribed = false;
    const source = new Observable<RxllmEvent>(() => {
      subscribed = true;
    });
    const notifier = new Observable<boolean>((subscriber) => subscriber.error(new Error('no signal')));
    let failure: unknown;
    source.pipe(pausable(notifier)).subscribe({ error: (error: unknown) => (failure = error) });
    expect(failure).toEqual(new Error('no signal'));
    expect(subscribed).toBe(false);
  });

  it('holds a never-resuming stream without completing', () => {
    let completed = false;
    of(ev.text('a'))
      .pipe(pausable(new BehaviorSubject(true).asObservable()))
      .subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(false);
    let done = false;
    NEVER.pipe(pausable(of(false))).subscribe({ complete: () => (done = true) });
    expect(done).toBe(false);
  });
});
