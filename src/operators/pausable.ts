import { Observable, type OperatorFunction } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { holdDelivering, ManualGate, markFlow } from '../flow/flow';
import { isPlainDelta } from '../base/isPlainDelta';

/** What `pausable` does with events that arrive while paused. */
export type PausePolicy = 'buffer' | 'coalesce' | 'drop';

export interface PausableConfig {
  /**
   * - `'buffer'` (default): hold every event and release them all, in order, on resume. Lossless.
   * - `'coalesce'`: hold events, but join consecutive text (and reasoning) deltas of a track and
   *   choice into one, and keep only a track's latest usage snapshot; other events keep their
   *   order. Lossless for what a message shows, with far fewer events on resume.
   * - `'drop'`: drop text and reasoning deltas that arrive while paused (a live view that skips
   *   what it missed); hold everything else (start, tool calls, usage, finish, reset, errors,
   *   reasoning signatures), which is never dropped.
   */
  policy?: PausePolicy;
  /**
   * The most events held at once while paused, a positive integer or `Infinity`. One more is an
   * overflow error. With an rxllm source this bound is rarely approached, because the source
   * stops reading the network while paused; it protects against sources that cannot be held
   * back (a hot Subject, a WebSocket). Default: 10,000.
   */
  maxBuffered?: number;
}

/**
 * Pauses and resumes a live stream: while `notifier` says `true`, events are held (or coalesced,
 * or dropped, by `policy`); when it says `false`, they are released in order.
 *
 * Intuition: a scroll-locked chat view, a speech engine that is still talking, or a consumer that
 * is simply slower than the model: the stream waits for it, and so does the socket.
 *
 * ```text
 * source:   -a-b-c----d-|
 * paused:   --p---r------
 * expected: -a----(bc)d-|
 * ```
 * with `p` = `true`, `r` = `false`: `b` and `c` arrive while paused and are released on resume.
 *
 * Backpressure reaches the network: with the `'buffer'` and `'coalesce'` policies the observer
 * it subscribes upstream carries a flow gate that closes while paused, and rxllm's sources
 * (`fromSSE`, `fromOpenAI`, ...) find it on their downstream path (through `switchMap`, `share`,
 * retries and fallbacks; see README "Flow control") and stop reading the response body until it
 * opens, so a long pause holds at most about one network chunk in memory while the rest waits in
 * the socket (and, past the socket buffers, in the server). The `'drop'` policy keeps reading:
 * dropping is its point.
 *
 * The notifier is subscribed first, so a `BehaviorSubject(true)` pauses before the first event.
 * It starts unpaused; repeated values change nothing; when it completes, the stream resumes for
 * good (nothing could resume it later). Completion of the source waits for resume: held events
 * go first. An error (from the source, from the notifier, or an overflow of `maxBuffered`) passes
 * at once without waiting for resume, after the held events, so that nothing that arrived is lost.
 * Unsubscribing unsubscribes the source and the notifier and drops what was held.
 *
 * @example
 * ```ts
 * import { pausable, fromSSE } from 'rxllm';
 * import { BehaviorSubject } from 'rxjs';
 * const paused$ = new BehaviorSubject(false);
 * fromSSE((signal) => fetch('/api/chat', { signal }), { dialect: 'rxllm' })
 *   .pipe(pausable(paused$, { policy: 'coalesce' }))
 *   .subscribe(render);
 * scrollArea.onscroll = () => paused$.next(!isAtBottom(scrollArea));
 * ```
 */
export function pausable(
  notifier: Observable<boolean>,
  config: PausableConfig = {},
): OperatorFunction<RxllmEvent, RxllmEvent> {
  const { policy, maxBuffered } = checkArguments(notifier, config);
  const holdsSource = policy !== 'drop';

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const gate = new ManualGate();
      // Held events in arrival order; `null` marks a usage snapshot superseded while coalescing.
      const held: Array<RxllmEvent | null> = [];
      // Held events before this index have been released (during a drain).
      let cursor = 0;
      let heldCount = 0;
      let paused = false;
      let draining = false;
      let sourceDone = false;
      let failure: { error: unknown } | undefined;

      const release = () => {
        if (draining) return;
        draining = true;
        // `subscriber.next` may pause again (which stops a release, but not the last one before an
        // error), or make the source emit more (appended to `held`).
        while (cursor < held.length && (!paused || failure) && !subscriber.closed) {
          const event = held[cursor++];
          if (event) {
            heldCount--;
            subscriber.next(event);
          }
        }
        held.splice(0, cursor);
        cursor = 0;
        draining = false;
        if (failure) subscriber.error(failure.error);
        else if (held.length === 0 && sourceDone && !paused) subscriber.complete();
      };

      const fail = (error: unknown) => {
        // The stream is over: what was held goes out first, so nothing that arrived is lost.
        // (Failing in the middle of a release, the release loop finishes and then errors.)
        paused = false;
        failure = { error };
        release();
      };

      const hold = (event: RxllmEvent) => {
        if (paused) {
          if (policy === 'drop' && isPlainDelta(event)) return;
          if (policy === 'coalesce' && coalesce(event)) return;
        }
        held.push(event);
        // The source delivering this event learns of the gate, even if it cannot see this pausable.
        if (paused && holdsSource) holdDelivering(gate);
        if (++heldCount > maxBuffered) {
          fail(
            new RxllmError(
              `rxllm: pausable: more than ${maxBuffered} events held while paused (policy '${policy}', ` +
                `maxBuffered ${maxBuffered}); resume sooner, raise maxBuffered, or use the 'coalesce' or 'drop' policy`,
              { code: 'limit-exceeded', retryable: false },
            ),
          );
        }
      };

      /** Joins `event` into what is held, or returns false to have it appended. */
      const coalesce = (event: RxllmEvent): boolean => {
        if (event.type === 'usage') {
          // Usage snapshots are cumulative within a step: the latest one of the same step says
          // everything the earlier did. A step-start between them means another request's usage.
          for (let i = held.length - 1; i >= cursor; i--) {
            const earlier = held[i];
            if (earlier?.type === 'step-start' && earlier.track === event.track) break;
            if (earlier?.type === 'usage' && earlier.track === event.track && earlier.step === event.step) {
              held[i] = null;
              heldCount--;
              break;
            }
          }
          return false;
        }
        if (!isPlainDelta(event)) return false;
        const choice = event.choice ?? 0;
        for (let i = held.length - 1; i >= cursor; i--) {
          const earlier = held[i];
          if (!earlier || earlier.track !== event.track || earlier.type === 'usage') continue;
          if (isPlainDelta(earlier) && (earlier.choice ?? 0) !== choice) continue;
          // The nearest earlier event of this track and choice: join only into the same kind.
          if (earlier.type !== event.type || !isPlainDelta(earlier)) return false;
          held[i] = { ...earlier, text: earlier.text + event.text };
          return true;
        }
        return false;
      };

      const setPaused = (value: boolean) => {
        if (value === paused) return;
        paused = value;
        if (paused) {
          if (holdsSource) gate.close();
        } else {
          gate.open();
          release();
        }
      };

      const notifierSubscription = notifier.subscribe({
        next: (value) => setPaused(Boolean(value)),
        error: fail,
        complete: () => setPaused(false),
      });
      if (subscriber.closed) return notifierSubscription;

      const observer = {
        next: (event: RxllmEvent) => {
          if (!paused && held.length === cursor) subscriber.next(event);
          else hold(event);
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          if (!paused && held.length === cursor) subscriber.complete();
        },
      };
      // The way on downstream, and (unless dropping) the gate a source on the path waits on.
      markFlow(observer, holdsSource ? { gate, downstream: subscriber } : { downstream: subscriber });
      const sourceSubscription = source.subscribe(observer);

      return () => {
        notifierSubscription.unsubscribe();
        sourceSubscription.unsubscribe();
        held.length = 0;
        // A source still waiting on the gate must not wait forever; it sees it was unsubscribed.
        gate.open();
      };
    });
}

function checkArguments(notifier: Observable<boolean>, config: PausableConfig): Required<PausableConfig> {
  if (typeof (notifier as { subscribe?: unknown } | null)?.subscribe !== 'function') {
    throw new TypeError(`rxllm: pausable: notifier must be an Observable<boolean>, got ${String(notifier)}`);
  }
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`rxllm: pausable: config must be an object, got ${String(config)}`);
  }
  const { policy = 'buffer', maxBuffered = 10_000 } = config;
  if (policy !== 'buffer' && policy !== 'coalesce' && policy !== 'drop') {
    throw new TypeError(
      `rxllm: pausable: policy must be 'buffer', 'coalesce' or 'drop', got ${JSON.stringify(policy)}`,
    );
  }
  if (!(maxBuffered === Infinity || (Number.isInteger(maxBuffered) && maxBuffered >= 1))) {
    throw new RangeError(
      `rxllm: pausable: maxBuffered must be a positive integer or Infinity, got ${String(maxBuffered)}`,
    );
  }
  return { policy, maxBuffered };
}
