import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { FinishReason, RxllmEvent, StartEvent, Usage } from '../base/events';
import { RxllmError } from '../base/errors';
import { MessageAccumulator } from '../base/message';

export interface FromTokensConfig {
  /** Milliseconds between one token and the next. Default 0. */
  delayMs?: number;
  /** Milliseconds from subscription to the first token. Default: `delayMs`. */
  firstTokenDelayMs?: number;
  /** Fields of a `start` event emitted at subscription. Default: none. */
  start?: Omit<StartEvent, 'type' | 'seq' | 'track'>;
  /** The finish reason after the last token, or `false` for no finish event. Default `'stop'`. */
  finish?: FinishReason | false;
  /** A usage event after the finish. Default: none. */
  usage?: Usage;
  /**
   * Fail with this after the last token instead of finishing (wrapped in an {@link RxllmError}
   * when it is not one, `partial` set): scripts an error path. Default: none.
   */
  error?: unknown;
  /** Stamps every event with this track. Default: none. */
  track?: string;
  /** Schedules the tokens. Default `asyncScheduler`; a `TestScheduler` runs them in virtual time. */
  scheduler?: SchedulerLike;
}

/**
 * A scripted stream: each token (a string is a `text` delta; an event is emitted as given) after
 * a delay, then a `finish` and, if given, a `usage` event. For tests, demos and UI work without a
 * model.
 *
 * Intuition: a fake model that types what you wrote, at the speed you chose.
 *
 * ```text
 * expected: --a--(bfu|)
 * ```
 *
 * Cold: every subscription replays the script from the start, stamping `seq` (0, 1, 2, ...) and
 * `track`. Completes after the last token's trailer. With `error` set, errors after the last token
 * instead, with `partial` holding the scripted message. Unsubscribing cancels the pending token.
 * Bad arguments (a negative delay, an empty text token) throw when the source is built.
 *
 * @example
 * ```ts
 * import { fromTokens, collect } from 'rxllm';
 * const message = await collect(
 *   fromTokens(['Hel', 'lo', ' world'], { delayMs: 30, usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 } }),
 * );
 * ```
 */
export function fromTokens(
  tokens: Iterable<string | RxllmEvent>,
  config: FromTokensConfig = {},
): Observable<RxllmEvent> {
  if (tokens === null || typeof (tokens as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `rxllm: fromTokens: tokens must be an array of strings or events, got ${String(tokens)}`,
    );
  }
  // Copied now, so that a generator can be replayed by every subscription.
  const script: RxllmEvent[] = Array.from(tokens, (token, index) => {
    if (typeof token === 'string') {
      if (token === '') throw new TypeError(`rxllm: fromTokens: tokens[${index}] is an empty string`);
      return { type: 'text', text: token };
    }
    if (typeof token !== 'object' || token === null || typeof token.type !== 'string') {
      throw new TypeError(
        `rxllm: fromTokens: tokens[${index}] must be a string or an event, got ${String(token)}`,
      );
    }
    return token;
  });
  const delayMs = checkDelay('delayMs', config.delayMs ?? 0);
  const firstTokenDelayMs = checkDelay('firstTokenDelayMs', config.firstTokenDelayMs ?? delayMs);
  const { start, usage, track, error } = config;
  const finish = config.finish ?? 'stop';
  const scheduler = config.scheduler ?? asyncScheduler;

  return new Observable<RxllmEvent>((subscriber) => {
    const accumulator = new MessageAccumulator();
    let seq = 0;
    const emit = (event: RxllmEvent) => {
      // A copy: the script's events are shared by every subscription.
      const stamped: RxllmEvent = { ...event, seq: seq++ };
      if (track !== undefined) stamped.track = track;
      accumulator.apply(stamped);
      subscriber.next(stamped);
    };
    const end = () => {
      if (error !== undefined) {
        const failure = RxllmError.from(error);
        failure.partial ??= accumulator.snapshot();
        subscriber.error(failure);
        return;
      }
      if (finish !== false) emit({ type: 'finish', reason: finish });
      if (usage !== undefined) emit({ type: 'usage', ...usage });
      subscriber.complete();
    };

    if (start !== undefined) emit({ type: 'start', ...start });
    if (script.length === 0) return scheduler.schedule(end, firstTokenDelayMs);
    return scheduler.schedule(
      function (this: SchedulerAction<number>, index = 0) {
        emit(script[index]!);
        if (index + 1 < script.length) this.schedule(index + 1, delayMs);
        else end();
      },
      firstTokenDelayMs,
      0,
    );
  });
}

function checkDelay(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(
      `rxllm: fromTokens: ${name} must be a non-negative number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}
