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
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { DownstreamFlow, markFlow } from '../flow/flow';
import { showsOutput } from '../base/showsOutput';
import { MessageAccumulator, type Message } from '../base/message';
import { StepSequence } from '../flow/StepSequence';

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
  /**
   * With `fallback`: what a deadline that passes after output was shown (a stall mid-answer)
   * does. `'fail'` (default): no fallback, the `timeout` error (with its partial) ends the stream,
   * as for a retry (see `retryStream`'s `afterOutput`). `'reset'`: a `reset` (reason `'timeout'`)
   * takes the output back, then the fallback streams afresh. `'continue'`: the fallback (a
   * function) receives the partial message and continues it; nothing is taken back. Before any
   * output the fallback always takes over.
   */
  afterOutput?: 'fail' | 'reset' | 'continue';
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
 * the stream continues with the fallback's events instead, as long as nothing was shown yet.
 * After output, `afterOutput` decides: `'fail'` (default) fails with the timeout, `'reset'`
 * emits a `reset` (reason `'timeout'`, on the source's track) so that a UI drops the partial
 * text and then streams the fallback, `'continue'` hands the partial to the fallback function
 * to continue it, with nothing taken back.
 *
 * A consumer that pauses the stream (`pausable`, `subscribeWithHandlers`' `pause()`) stops the
 * source from reading, so the silence is not the provider's: a first-token or silence deadline
 * that comes due while paused waits for the resume and then runs again in full, whatever sits
 * between this operator and the consumer (README "Flow control"). `totalMs` counts paused time.
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
  const {
    firstTokenMs,
    betweenTokensMs,
    totalMs,
    fallback,
    afterOutput = 'fail',
    scheduler = asyncScheduler,
  } = config ?? {};
  checkLimit('firstTokenMs', firstTokenMs);
  checkLimit('betweenTokensMs', betweenTokensMs);
  checkLimit('totalMs', totalMs);
  if (firstTokenMs === undefined && betweenTokensMs === undefined && totalMs === undefined) {
    throw new TypeError('deadline: set at least one of firstTokenMs, betweenTokensMs, totalMs');
  }
  if (fallback !== undefined && typeof fallback !== 'function' && !isObservable(fallback)) {
    throw new TypeError(`deadline: fallback must be an Observable or a function, got ${describe(fallback)}`);
  }
  if (afterOutput !== 'fail' && afterOutput !== 'reset' && afterOutput !== 'continue') {
    throw new TypeError(
      `deadline: afterOutput must be 'fail', 'reset' or 'continue', got ${describe(afterOutput)}`,
    );
  }
  if (afterOutput === 'continue' && typeof fallback !== 'function') {
    throw new TypeError(
      "deadline: afterOutput 'continue' needs a fallback function (error, partial) => ObservableInput that continues the partial",
    );
  }

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      // Whether a consumer downstream holds the stream back: the same whatever sits between.
      const flow = new DownstreamFlow(subscriber);
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
        if (fallback === undefined || (sawContent && afterOutput === 'fail')) {
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
        if (sawContent && afterOutput === 'reset') {
          subscriber.next(
            track === undefined
              ? { type: 'reset', reason: 'timeout' }
              : { type: 'reset', reason: 'timeout', track },
          );
        }
        // Subscribed with the consumer's own subscriber: its flow gates reach the fallback's source.
        fallbackSubscription = steps.attempt(from(next)).subscribe(subscriber);
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
        const resumed = flow.whenOpen();
        if (resumed === undefined) return false;
        void resumed.then(() => {
          if (!ended) restart();
        });
        return true;
      };

      const observer = {
        next: (event: RxllmEvent) => {
          if (ended) return;
          message.apply(event);
          if (showsOutput(event)) {
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
          // Delivered on the flow stack: a consumer that holds it back registers its gate here.
          flow.enter();
          try {
            subscriber.next(event);
          } finally {
            flow.exit();
          }
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
      };
      // The source's path to the consumer's gates runs on through the subscriber.
      const sourceSubscription = steps
        .attempt(source)
        .subscribe(markFlow(observer, { downstream: subscriber }));

      // Armed after subscribing, so that an event due at the same instant as a deadline wins.
      if (!ended) {
        if (firstTokenMs !== undefined) startFirstToken(); // Which skips it if content came synchronously.
        if (totalMs !== undefined) {
          totalTimer = scheduler.schedule(() => expire('totalMs', totalMs), totalMs);
        }
      }

      return () => {
        ended = true;
        flow.stop();
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
