import { BehaviorSubject, Subject, VirtualTimeScheduler, map, share, switchMap, type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import type { RxllmError } from '../../src/base/errors';
import { deadline } from '../../src/operators/deadline';
import { pausable } from '../../src/operators/pausable';
import { subscribeWithHandlers } from '../../src/sinks/subscribeWithHandlers';
import { ev } from '../../src/testing';

/**
 * `deadline` postpones a silence deadline while a consumer holds the stream back (the provider is
 * not silent: we are not reading). It must find that consumer whatever sits between them.
 */

type Downstream = (
  timed: Observable<RxllmEvent>,
  scheduler: VirtualTimeScheduler,
) => {
  pause(): void;
  resume(): void;
  errors: Array<[string, number]>;
};

const withPausable = (events$: Observable<RxllmEvent>, scheduler: VirtualTimeScheduler) => {
  const paused$ = new BehaviorSubject(false);
  const errors: Array<[string, number]> = [];
  events$.pipe(pausable(paused$)).subscribe({
    error: (error: RxllmError) => errors.push([error.message, scheduler.now()]),
  });
  return { pause: () => paused$.next(true), resume: () => paused$.next(false), errors };
};

const downstreams: Array<[string, Downstream]> = [
  ['pausable right after it', (timed, scheduler) => withPausable(timed, scheduler)],
  ['map, then pausable', (timed, scheduler) => withPausable(timed.pipe(map((event) => event)), scheduler)],
  [
    'switchMap (subscribed during an outer next), then pausable',
    (timed, scheduler) => {
      const prompt$ = new Subject<void>();
      const consumer = withPausable(prompt$.pipe(switchMap(() => timed)), scheduler);
      prompt$.next();
      return consumer;
    },
  ],
  [
    'share() with another subscriber first, then pausable',
    (timed, scheduler) => {
      const shared = timed.pipe(share());
      shared.subscribe({ error: () => undefined });
      return withPausable(shared, scheduler);
    },
  ],
  [
    'switchMap, then subscribeWithHandlers',
    (timed, scheduler) => {
      const prompt$ = new Subject<void>();
      const errors: Array<[string, number]> = [];
      const stream = subscribeWithHandlers(prompt$.pipe(switchMap(() => timed)), {
        onError: (error) => errors.push([error.message, scheduler.now()]),
      });
      prompt$.next();
      return { pause: () => stream.pause(), resume: () => stream.resume(), errors };
    },
  ],
];

describe('deadline behaves the same whatever sits downstream', () => {
  it.each(downstreams)('%s', async (_, downstream) => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<RxllmEvent>();
    const consumer = downstream(source.pipe(deadline({ betweenTokensMs: 100, scheduler })), scheduler);
    source.next(ev.text('Hel'));
    scheduler.schedule(() => consumer.pause(), 40);
    // A chunk that arrives after the pause is held back by the consumer.
    scheduler.schedule(() => source.next(ev.text('lo')), 60);
    scheduler.flush();
    // Due at 160 while paused: no timeout, and the clock stands there.
    expect(consumer.errors).toEqual([]);
    expect(scheduler.now()).toBe(160);
    consumer.resume();
    await new Promise((resolve) => setImmediate(resolve)); // the gate's promise settles
    scheduler.flush();
    // Restarted in full on resume.
    expect(consumer.errors).toEqual([
      ['deadline: no token for 100 ms after the last one (betweenTokensMs)', 260],
    ]);
  });
});
