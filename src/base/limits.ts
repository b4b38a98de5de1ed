import { RxllmError } from './errors';

/**
 * How much one stream may make a source hold. A source that reads untrusted bytes (a model's
 * output, a provider, a proxy's upstream) stops with a `limit-exceeded` {@link RxllmError} naming
 * the limit, rather than let one stream grow the heap without bound. Sizes are in characters
 * (UTF-16 code units) of decoded text, as JavaScript strings count them.
 *
 * Pass the ones you need raised as `limits` to a source (`fromSSE`, `fromNDJSON`, `fromOpenAI`,
 * `fromOpenAIResponses`, `fromAnthropic`, `fromOllama`); the rest keep their defaults
 * ({@link defaultLimits}). Docs: docs/SECURITY.md.
 */
export interface StreamLimits {
  /**
   * One framed message: an SSE event (its unterminated line plus the `data:` lines waiting for
   * their blank line) or one NDJSON line. Default 8 MiB.
   */
  maxEventSize: number;
  /** The argument text of one tool call, summed over its deltas. Default 8 MiB. */
  maxToolArgumentsSize: number;
  /**
   * Everything the stream's content events carry, summed: text, reasoning (with signatures and
   * redacted data), refusal and tool-call arguments, over all choices. Default 64 MiB.
   */
  maxMessageSize: number;
  /**
   * Choices per stream (OpenAI `n`, Gemini candidates): a choice index must be below it. A decoder
   * never fills an array up to an index from the wire. Default 128.
   */
  maxChoices: number;
}

const MiB = 1024 * 1024;

/** The limits a source applies when its `limits` option does not say otherwise. */
export const defaultLimits: Readonly<StreamLimits> = Object.freeze({
  maxEventSize: 8 * MiB,
  maxToolArgumentsSize: 8 * MiB,
  maxMessageSize: 64 * MiB,
  maxChoices: 128,
});

const limitNames = Object.keys(defaultLimits) as (keyof StreamLimits)[];

/**
 * `defaultLimits` with `limits` applied. Throws a `TypeError` for an unknown name or a value that
 * is not a positive number (`Infinity` is allowed: no limit).
 */
export function resolveLimits(limits: Partial<StreamLimits> | undefined, where = 'limits'): StreamLimits {
  if (limits === undefined) return defaultLimits;
  if (typeof limits !== 'object' || limits === null)
    throw new TypeError(`rxllm: ${where} must be an object, got ${String(limits)}`);
  const resolved: StreamLimits = { ...defaultLimits };
  for (const name of Object.keys(limits)) {
    if (!limitNames.includes(name as keyof StreamLimits))
      throw new TypeError(
        `rxllm: ${where}: unknown limit ${JSON.stringify(name)} (known: ${limitNames.join(', ')})`,
      );
    const value = limits[name as keyof StreamLimits];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0))
      throw new TypeError(`rxllm: ${where}.${name} must be a number > 0, got ${String(value)}`);
    resolved[name as keyof StreamLimits] = value;
  }
  return resolved;
}

/** The `limit-exceeded` error: names the limit and its value, never retryable (the same input fails again). */
export function limitExceeded(
  limit: keyof StreamLimits,
  value: number,
  what: string,
  dialect?: string,
): RxllmError {
  return new RxllmError(
    `rxllm: ${what} exceeds limits.${limit} (${value}); raise it with a source's \`limits\` option`,
    { code: 'limit-exceeded', retryable: false, limit, dialect },
  );
}
