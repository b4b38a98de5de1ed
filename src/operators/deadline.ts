import {
  Observable,
  asyncScheduler,
  from,
  isObservable,
  type MonoTypeOperatorFunction,
  type ObservableInput,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { RxllmEvent } from '../events';
import { RxllmError } from '../errors';
import { captureGates, waitForGates } from '../internal/flowGate';
import { isContentEvent } from '../internal/isContentEvent';
import { subscribeUnderGates } from '../internal/subscribeUnderGates';
import { MessageAccumulator, type Message } from '../message';
import { StepSequence } from '../internal/StepSequence';

/** Options of {@link deadline}. Set at least one of the three limits. */
export interface DeadlineConfig {
  /**
   * Longest wait from subscription to the first content event (text, reasoning, refusal or any
   * tool-call event). A `start` event does not count: providers send it with the headers, before
   * the model has produced anything. No limit when absent.
   */
  firstTokenMs?: number;
  /**
   * Longest silence after a content event before the next one (or, after the last one, before
   * the stream completes): catches a stream that stalls midway or hangs after its last token.
   * Only content events restart the clock, so periodic bookkeeping events cannot keep a stalled
   * stream alive. No limit when absent.
   */
  betweenTokensMs?: number;
  /**
   * Longest time from subscription to completion, time spent paused by a consumer included.
   * No limit when absent.
   */
  totalMs?: number;
  /**
   * What to stream instead when a deadline passes: an Observable, or a function that receives
   * the timeout error and the message as far as it got (to continue it, or to log it). Without a
   * fallback the stream fails with the error. The fallback is not itself timed: pipe it through
   * its own `deadline` if it should be.
   */
  fallback?: Observable<RxllmEvent> | ((error: RxllmError, partial: Message) => ObservableInput<RxllmEvent>);
  /** Where time comes from. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

type Limit = 'firstTokenMs' | 'betweenTokensMs' | 'totalMs';

/**
 * Fails a stream that is too slow to start, stalls between tokens, or runs too long, with a
 * typed `timeout` error, or switches it to a fallback.
 *
 * Intuition: three stopwatches (first token, silence, total); whichever runs out first ends the
 * request.
 *
 * ```text
 * source:   -s-a-b-----c-|
 * expected: -s-a-b--#
 * ```
 *
 * (`firstTokenMs: 5, betweenTokensMs: 3`: `b` came at 5, nothing by 8.) A token that arrives
 * exactly at a deadline is in time.
 *
 * When a deadline passes, the source is unsubscribed at once (so an rxllm source aborts its HTTP
 * request) and the stream fails with an {@link RxllmError} of code `timeout`, `retryable: true`,
 * a message naming the deadline, and `partial`: the message as far as it got. With `fallback`,
 * the stream continues with the fallback's events instead; if the source had already shown
 * content, a `reset` event (reason `'timeout'`, on the source's track) comes first so that a UI
 * drops the partial text. A fallback that wants to continue the partial text instead can start
 * with it: `(error, partial) => concat(of({ type: 'text', text: partial.text }), rest$)`.
 *
 * A consumer that pauses the stream (`pausable`, `subscribeWithHandlers`' `pause()`) stops the
 * source from reading, so the silence is not the provider's: a first-token or silence deadline
 * that comes due while paused waits for the resume and then runs again in full. `totalMs` counts
 * paused time.
 *
 * Completion and errors of the source pass through untouched and clear the timers; unsubscribing
 * clears them and unsubscribes the source (or the fallback).
 *
 * @example
 * ```ts
 * import { deadline, fromOpenAI, retryStream } from 'rxllm';
 * fromOpenAI(openai, params).pipe(
 *   deadline({ firstTokenMs: 10_000, betweenTokensMs: 15_000, totalMs: 120_000 }),
 *   retryStream({ maxRetries: 2 }), // a timeout is retryable: re-request
 * );
 * ```
 */
export function deadline(config: DeadlineConfig): MonoTypeOperatorFunction<RxllmEvent> {
  const { firstTokenMs, betweenTokensMs, totalMs, fallback, scheduler = asyncScheduler } = config ?? {};
  checkLimit('firstTokenMs', firstTokenMs);
  checkLimit('betweenTokensMs', betweenTokensMs);
  checkLimit('totalMs', totalMs);
  if (firstTokenMs === undefined && betweenTokensMs === undefined && totalMs === undefined) {
    throw new TypeError('deadline: set at least one of firstTokenMs, betweenTokensMs, totalMs');
  }
  if (fallback !== undefined && typeof fallback !== 'function' && !isObservable(fallback)) {
    throw new TypeError(`deadline: fallback must be an Observable or a function, got ${describe(fallback)}`);
  }

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      // Captured now, while a consumer's flow gates are ambient (see internal/flowGate).
      const gates = captureGates();
      const message = new MessageAccumulator();
      // The fallback is a new request: its steps continue the source's (see StepSequence).
      const steps = new StepSequence();
      let sawContent = false;
      let lastContentAt = 0;
      let track: string | undefined;
      let ended = false;
      let firstTimer: Subscription | undefined;
      let idleTimer: Subscription | undefined;
      let totalTimer: Subscription | undefined;
      let fallbackSubscription: Subscription | undefined;

      const clearTimers = () => {
        firstTimer?.unsubscribe();
        idleTimer?.unsubscribe();
        totalTimer?.unsubscribe();
      };

      const expire = (limit: Limit, ms: number) => {
        if (ended) return;
        ended = true;
        clearTimers();
        sourceSubscription.unsubscribe();
        const partial = message.snapshot();
        const error = new RxllmError(`deadline: ${explain(limit, ms)}`, { code: 'timeout', partial });
        if (fallback === undefined) {
          subscriber.error(error);
          return;
        }
        let next: ObservableInput<RxllmEvent>;
        try {
          next = typeof fallback === 'function' ? fallback(error, partial) : fallback;
        } catch (thrown) {
          subscriber.error(thrown);
          return;
        }
        if (sawContent) {
          subscriber.next(
            track === undefined
              ? { type: 'reset', reason: 'timeout' }
              : { type: 'reset', reason: 'timeout', track },
          );
        }
        // Subscribed from a timer: re-enter the consumer's gates so that its pause still holds.
        fallbackSubscription = subscribeUnderGates(gates, () =>
          steps.attempt(from(next)).subscribe(subscriber),
        );
      };

      // One timer for the silence, re-armed lazily: it wakes when the silence could at the
      // earliest be over and sleeps again for the remainder, so a token costs one clock read
      // instead of a cancelled and a new timer.
      function watchSilence(this: SchedulerAction<undefined>) {
        const silentFor = scheduler.now() - lastContentAt;
        if (silentFor < betweenTokensMs!) {
          this.schedule(undefined, betweenTokensMs! - silentFor);
        } else if (!heldBack(restartSilence)) {
          expire('betweenTokensMs', betweenTokensMs!);
        }
      }
      const restartSilence = () => {
        lastContentAt = scheduler.now();
        idleTimer = scheduler.schedule(watchSilence, betweenTokensMs!);
      };

      const watchFirstToken = () => {
        if (!heldBack(startFirstToken)) expire('firstTokenMs', firstTokenMs!);
      };
      const startFirstToken = () => {
        if (!sawContent) firstTimer = scheduler.schedule(watchFirstToken, firstTokenMs!);
      };

      // A source held back by a paused consumer (`pausable`, `subscribeWithHandlers`) is not
      // reading, so its silence is not the provider's: a first-token or silence deadline that
      // comes due then waits for the consumer to resume, and runs again in full from there.
      const heldBack = (restart: () => void): boolean => {
        const resumed = waitForGates(gates);
        if (resumed === undefined) return false;
        void resumed.then(() => {
          if (!ended) restart();
        });
        return true;
      };

      const sourceSubscription = steps.attempt(source).subscribe({
        next: (event) => {
          if (ended) return;
          message.apply(event);
          if (isContentEvent(event)) {
            if (!sawContent) {
              sawContent = true;
              firstTimer?.unsubscribe();
              if (betweenTokensMs !== undefined) {
                idleTimer = scheduler.schedule(watchSilence, betweenTokensMs);
              }
            }
            // Only the silence timer reads the time of the last token: no clock read without it.
            if (betweenTokensMs !== undefined) lastContentAt = scheduler.now();
            track = event.track;
          }
          subscriber.next(event);
        },
        error: (error: unknown) => {
          ended = true;
          clearTimers();
          subscriber.error(error);
        },
        complete: () => {
          ended = true;
          clearTimers();
          subscriber.complete();
        },
      });

      // Armed after subscribing, so that an event due at the same instant as a deadline wins.
      if (!ended) {
        if (firstTokenMs !== undefined) startFirstToken(); // Which skips it if content came synchronously.
        if (totalMs !== undefined) {
          totalTimer = scheduler.schedule(() => expire('totalMs', totalMs), totalMs);
        }
      }

      return () => {
        ended = true;
        clearTimers();
        sourceSubscription.unsubscribe();
        fallbackSubscription?.unsubscribe();
      };
    });
}

function explain(limit: Limit, ms: number): string {
  switch (limit) {
    case 'firstTokenMs':
      return `no first token within ${ms} ms (firstTokenMs)`;
    case 'betweenTokensMs':
      return `no token for ${ms} ms after the last one (betweenTokensMs)`;
    case 'totalMs':
      return `the stream did not finish within ${ms} ms (totalMs)`;
  }
}

function checkLimit(name: Limit, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `deadline: ${name} must be a positive number of milliseconds, got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
