import {
  asyncScheduler,
  concat,
  defer,
  of,
  retry,
  tap,
  timer,
  type MonoTypeOperatorFunction,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { showsOutput } from '../base/showsOutput';
import { StepSequence } from '../flow/StepSequence';
import { MessageAccumulator, type Message } from '../base/message';

/** What {@link RetryStreamConfig.onRetry} is told before each wait. */
export interface RetryInfo {
  /** The error that ended the failed attempt. */
  error: unknown;
  /** Which retry this is: 1 for the first. */
  attempt: number;
  /** How long the operator waits before resubscribing. */
  delayMs: number;
}

/** Options of {@link retryStream}. */
export interface RetryStreamConfig {
  /** How many times to resubscribe after a failure. Default 2, as the OpenAI and Anthropic SDKs do. */
  maxRetries?: number;
  /** The wait before the first retry, before jitter. Default 500. */
  initialDelayMs?: number;
  /** Each wait is the previous one times this. Default 2. */
  factor?: number;
  /**
   * The longest wait. Backoff is capped at it; a `retryAfterMs` beyond it ends the retries
   * instead (the error, which carries `retryAfterMs`, passes on) rather than hold a request open
   * for minutes. Default 60000.
   */
  maxDelayMs?: number;
  /**
   * Spread, from 0 to 1: each backoff wait is drawn uniformly from `[base × (1 − jitter), base]`
   * (rounded to whole milliseconds), so that many clients failing together do not retry
   * together. Default 0.25, as the official SDKs do; 0 turns it off.
   */
  jitter?: number;
  /** The random source for jitter, returning a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * Whether an error is worth another attempt. Default: an {@link RxllmError} whose `retryable`
   * is true (network failures, rate limits, overload, timeouts, HTTP 5xx). A throw ends the
   * stream with what it threw.
   */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait (to log or count). A throw ends the stream with what it threw. */
  onRetry?: (info: RetryInfo) => void;
  /** Where the waits are timed. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * What a failure does once the failed attempt had shown output (text, reasoning, refusal, a
   * tool call):
   *
   * - `'fail'` (default): no retry; the error passes on with its `partial`, as the AI SDK and the
   *   provider SDKs do (they retry only a request that has not started streaming). Every client
   *   and dialect can show that honestly: the partial answer, then the error.
   * - `'reset'`: retry from scratch after a `reset` event (reason `'retry'`) that takes the
   *   output back. Only a consumer that honours `reset` shows one answer (a `messageReducer`
   *   store, the `rxllm` dialect); `toSSE`'s provider dialects and `ai-sdk-ui` cannot take text
   *   back and end the stream with a clear error at the `reset`.
   * - `'continue'`: call `continueWith(shown, error)` for a stream that continues what was shown
   *   (for example the request again with the partial answer as an assistant prefix); its events
   *   follow with no `reset`, so every client and dialect shows one answer.
   *
   * Failures before any output are retried in every mode.
   */
  afterOutput?: 'fail' | 'reset' | 'continue';
  /**
   * `afterOutput: 'continue'`: builds the attempt that continues `shown`, the message as far as
   * every attempt so far showed it. Required for that mode, rejected otherwise.
   */
  continueWith?: (shown: Message, error: unknown) => ObservableInput<RxllmEvent>;
}

/**
 * Re-requests a failed stream with exponential backoff and jitter, and never lets a client see
 * text twice: by default only a stream that has shown nothing is retried.
 *
 * Intuition: `retry` for token streams: wait politely and start over, as long as nobody saw
 * anything yet (or, if asked, say "start over" first, or continue where it broke off).
 *
 * ```text
 * attempt1: -s-#
 * attempt2:        -a---|
 * expected: -s------(na)|
 * ```
 *
 * (`initialDelayMs: 4, jitter: 0`: attempt 1 fails at 3 after only a `start`; at 7 the source is
 * subscribed again, and its first event comes after a `step-start` (`n`, step 1), since a new
 * request is a new step. Each attempt is drawn under the frame where it is subscribed.)
 *
 * After output, `afterOutput` decides: `'fail'` (default) passes the error on; `'reset'` emits a
 * `reset` (reason `'retry'`, on that output's track) and retries from scratch; `'continue'`
 * subscribes `continueWith(shown, error)` instead, which continues the shown answer.
 *
 * Only retryable errors are retried (see `shouldRetry`); others, and the error of the last allowed
 * attempt, pass on untouched, with the `partial` their source gave them. The wait honours the
 * error's `retryAfterMs` when it has one (the server's word beats backoff); otherwise it is
 * `min(maxDelayMs, initialDelayMs × factor^(attempt − 1))`, shortened by jitter.
 *
 * Every attempt is a new step of its track (a `step-start` opens it, numbered after the failed
 * attempt's steps), so usage the failed attempt reported stays counted next to the retry's.
 * Resubscribing re-runs a cold source: an rxllm source sends the request again. (The official
 * SDK clients also retry a request whose HTTP status failed; this operator adds retries for what
 * fails after the 200: a first-token `deadline`, an in-band overload, a cut before the first
 * token.) A retry is subscribed on the same path to the consumer as the first attempt, so a
 * consumer's pause still stops the retried request from reading. Completion passes
 * through; unsubscribing during a wait cancels it.
 *
 * @example
 * ```ts
 * import { deadline, fromAnthropic, retryStream } from 'rxllm';
 * fromAnthropic(anthropic, params).pipe(
 *   deadline({ betweenTokensMs: 20_000 }),
 *   retryStream({ maxRetries: 3, onRetry: ({ error, delayMs }) => console.warn(error, delayMs) }),
 * );
 * ```
 */
export function retryStream(config: RetryStreamConfig = {}): MonoTypeOperatorFunction<RxllmEvent> {
  const {
    maxRetries = 2,
    initialDelayMs = 500,
    factor = 2,
    maxDelayMs = 60_000,
    jitter = 0.25,
    random = Math.random,
    shouldRetry = isRetryable,
    onRetry,
    scheduler = asyncScheduler,
    afterOutput = 'fail',
    continueWith,
  } = config ?? {};
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new TypeError(
      `retryStream: maxRetries must be a non-negative integer, got ${describe(maxRetries)}`,
    );
  }
  checkNumber('initialDelayMs', initialDelayMs, 0, Infinity);
  checkNumber('factor', factor, 1, Infinity);
  checkNumber('maxDelayMs', maxDelayMs, initialDelayMs, Infinity, 'initialDelayMs');
  checkNumber('jitter', jitter, 0, 1);
  checkFunction('random', random);
  checkFunction('shouldRetry', shouldRetry);
  if (onRetry !== undefined) checkFunction('onRetry', onRetry);

  if (afterOutput !== 'fail' && afterOutput !== 'reset' && afterOutput !== 'continue') {
    throw new TypeError(
      `retryStream: afterOutput must be 'fail', 'reset' or 'continue', got ${describe(afterOutput)}`,
    );
  }
  if (afterOutput === 'continue') checkFunction('continueWith', continueWith);
  else if (continueWith !== undefined) {
    throw new TypeError("retryStream: continueWith is used only with afterOutput: 'continue'");
  }

  return (source) =>
    defer(() => {
      // Per subscription: whether the current attempt has shown content, and on which track.
      let shown = false;
      let track: string | undefined;
      let continuing = false;
      let lastError: unknown;
      const shownSoFar = afterOutput === 'continue' ? new MessageAccumulator() : undefined;
      const continuation = defer(() => continueWith!(shownSoFar!.snapshot(), lastError));
      // Each attempt is a new request, so a new step of its track (see StepSequence).
      const steps = new StepSequence();
      const watch = tap<RxllmEvent>((event) => {
        shownSoFar?.apply(event);
        if (showsOutput(event)) {
          shown = true;
          track = event.track;
        }
      });

      const waitBefore = (error: unknown, attempt: number): Observable<number> => {
        // Output was shown and may not be taken back: the error, with its partial, is the answer.
        if (shown && afterOutput === 'fail') throw error;
        if (attempt > maxRetries || !shouldRetry(error, attempt)) throw error;
        const retryAfterMs = RxllmError.isInstance(error) ? error.retryAfterMs : undefined;
        let delayMs: number;
        if (retryAfterMs !== undefined) {
          if (retryAfterMs > maxDelayMs) throw error;
          delayMs = retryAfterMs;
        } else {
          const base = Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 1));
          delayMs = Math.round(base * (1 - jitter * random()));
        }
        lastError = error;
        onRetry?.({ error, attempt, delayMs });
        return timer(delayMs, scheduler);
      };

      const attempt = defer(() => {
        // Every attempt, even one subscribed from a timer, is subscribed through `retry`'s
        // subscriber, whose destination is the consumer's: its flow gates still reach the source.
        if (shown && afterOutput === 'continue') continuing = true;
        if (continuing) {
          shown = false;
          return steps.attempt(continuation).pipe(watch);
        }
        const events$ = steps.attempt(source);
        if (!shown) return events$.pipe(watch);
        shown = false;
        const reset: RxllmEvent =
          track === undefined
            ? { type: 'reset', reason: 'retry' }
            : { type: 'reset', reason: 'retry', track };
        return concat(of(reset), events$.pipe(watch));
      });
      return attempt.pipe(retry({ count: maxRetries, delay: waitBefore }));
    });
}

function isRetryable(error: unknown): boolean {
  return RxllmError.isInstance(error) && error.retryable;
}

function checkNumber(name: string, value: unknown, min: number, max: number, minName?: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || value === Infinity) {
    const range = max === Infinity ? `a finite number ≥ ${minName ?? min}` : `a number from ${min} to ${max}`;
    throw new TypeError(`retryStream: ${name} must be ${range}, got ${describe(value)}`);
  }
}

function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`retryStream: ${name} must be a function, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
