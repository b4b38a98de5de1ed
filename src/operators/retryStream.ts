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
  type SchedulerLike,
} from 'rxjs';
import type { RxllmEvent } from '../events';
import { RxllmError } from '../errors';
import { captureGates } from '../internal/flowGate';
import { isContentEvent } from '../internal/isContentEvent';
import { StepSequence } from '../internal/StepSequence';
import { underGates } from '../internal/subscribeUnderGates';

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
}

/**
 * Re-requests a failed stream with exponential backoff and jitter, and takes back the failed
 * attempt's output so that a UI never shows text twice.
 *
 * Intuition: `retry` for token streams: wait politely, start over, and say "start over" first.
 *
 * ```text
 * attempt1: -a-#
 * attempt2:        -b---|
 * expected: -a-----r(nb)|
 * ```
 *
 * (`initialDelayMs: 4, jitter: 0`: attempt 1 fails at 3; at 7 a `reset` takes back `a`, and the
 * source is subscribed again: its first event comes after a `step-start` (`n`, step 1), since a
 * new request is a new step. Each attempt is drawn under the frame where it is subscribed.)
 *
 * Only retryable errors are retried (see `shouldRetry`); others, and the error of the last allowed
 * attempt, pass on untouched, with the `partial` their source gave them. The wait honours the
 * error's `retryAfterMs` when it has one (the server's word beats backoff); otherwise it is
 * `min(maxDelayMs, initialDelayMs × factor^(attempt − 1))`, shortened by jitter. If the failed
 * attempt had emitted any content (text, reasoning, refusal, tool calls), a `reset` event with
 * reason `'retry'` (on that content's track) is emitted when the next attempt starts; an attempt
 * that showed nothing needs no take-back.
 *
 * Every attempt is a new step of its track (a `step-start` opens it, numbered after the failed
 * attempt's steps), so usage the failed attempt reported stays counted next to the retry's.
 * Resubscribing re-runs a cold source: an rxllm source sends the request again. (The official
 * SDK clients also retry a request that fails before streaming starts; this operator adds retries
 * for failures in mid-stream.) A retry is subscribed under the same flow gates as the first
 * attempt, so a consumer's pause still stops the retried request from reading. Completion passes
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

  const waitBefore = (error: unknown, attempt: number): Observable<number> => {
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
    onRetry?.({ error, attempt, delayMs });
    return timer(delayMs, scheduler);
  };

  return (source) =>
    defer(() => {
      // Per subscription: whether the current attempt has shown content, and on which track.
      let shown = false;
      let track: string | undefined;
      let attempts = 0;
      // Retries subscribe from a timer, where the consumer's flow gates are no longer ambient:
      // re-entering the ones captured now keeps a paused consumer's pause reaching the network.
      const resubscribed = underGates(captureGates(), source);
      // Each attempt is a new request, so a new step of its track (see StepSequence).
      const steps = new StepSequence();
      const watch = tap<RxllmEvent>((event) => {
        if (isContentEvent(event)) {
          shown = true;
          track = event.track;
        }
      });
      const attempt = defer(() => {
        const events$ = steps.attempt(attempts++ === 0 ? source : resubscribed);
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
