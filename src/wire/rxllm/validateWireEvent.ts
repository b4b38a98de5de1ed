import type { RxllmEvent } from '../../base/events';
import { rxllmErrorCodes } from '../../base/errors';
import { malformed } from '../malformed';

/**
 * The `rxllm` dialect's events checked by hand: what `rxllmEventSchema` (zod, in `rxllm/schema`)
 * accepts, without loading zod, so that reading rxllm's own stream in a browser costs a few
 * hundred bytes rather than zod. Like the schema it keeps only known fields (unknown ones are
 * dropped: newer producers may add some). `test/wire/validateWireEvent.test.ts` holds the two to
 * the same answers; a field added to one must be added to the other.
 *
 * Returns undefined for a value whose `type` is none of the dialect's (newer producers may add
 * types: the decoder skips them); the type picks the shape, so it is not checked again. A refusal
 * is the `malformed` error, which names the field and quotes `line`.
 */
export function validateWireEvent(json: unknown, line: string): RxllmEvent | undefined {
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(shapes, type)) return undefined;
  try {
    return object(shapes[type]!)(json, []) as RxllmEvent;
  } catch (issue) {
    if (!(issue instanceof Array)) throw issue;
    const [path, message] = issue as [string[], string];
    throw malformed('rxllm', line, `invalid ${type} event at ${path.join('.') || '(root)'}: ${message}`);
  }
}

/** Checks a value and returns what to keep of it; throws `[path, message]` (see `fail`). */
type Rule = (value: unknown, path: string[]) => unknown;
type Shape = Record<string, Rule>;

// A missing field is `undefined`, which every rule but `optional`'s and `anything` refuses (as
// "expected string", ...): no separate list of required fields.
const optional =
  (rule: Rule): Rule =>
  (value, path) =>
    value === undefined ? undefined : rule(value, path);

// Thrown as a pair and turned into the `malformed` error once, above.
const fail = (path: string[], message: string): never => {
  throw [path, message];
};
const is =
  (test: (value: unknown) => boolean, expected: string): Rule =>
  (value, path) =>
    test(value) ? value : fail(path, `expected ${expected}`);

const string = is((v) => typeof v === 'string', 'string');
const stringOrNull = is((v) => v === null || typeof v === 'string', 'string or null');
const nonEmptyString = is((v) => typeof v === 'string' && v.length > 0, 'non-empty string');
const number = is((v) => typeof v === 'number' && Number.isFinite(v), 'number');
const nonNegative = is((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'number >= 0');
const integer = is((v) => Number.isSafeInteger(v), 'integer');
const count = is((v) => Number.isSafeInteger(v) && (v as number) >= 0, 'integer >= 0');
const boolean = is((v) => typeof v === 'boolean', 'boolean');
const anything: Rule = (value) => value;
const record = is((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'object');
const oneOf = (values: readonly string[]): Rule =>
  is((v) => values.includes(v as string), `one of ${values.join(', ')}`);

function object(shape: Shape): Rule {
  return (value, path) => {
    const input = record(value, path) as Record<string, unknown>;
    const output: Record<string, unknown> = {};
    for (const key in shape) {
      // Parsed JSON holds no undefined: a field is kept when it is there.
      const kept = shape[key]!(input[key], [...path, key]);
      if (kept !== undefined) output[key] = kept;
    }
    return output;
  };
}

const array =
  (rule: Rule): Rule =>
  (value, path) =>
    Array.isArray(value)
      ? value.map((item, i) => rule(item, [...path, String(i)]))
      : fail(path, 'expected array');

const recordOf =
  (rule: Rule): Rule =>
  (value, path) => {
    const output: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record(value, path) as object))
      output[key] = rule(item, [...path, key]);
    return output;
  };

const finishReasons = [
  'stop',
  'length',
  'tool-calls',
  'content-filter',
  'refusal',
  'error',
  'cancelled',
  'other',
];

// Built once, and only by a bundle that reads the dialect (pure, so a bundle that never calls
// validateWireEvent drops it).
const shapes = /* @__PURE__ */ shapesOf();

/** The event types of the dialect (for tests: a bundle that does not read it drops it). */
export const wireEventTypes: ReadonlySet<string> = /* @__PURE__ */ new Set(Object.keys(shapes));

function shapesOf(): Record<string, Shape> {
  const meta: Shape = { track: optional(string), seq: optional(count) };
  const choice: Shape = { choice: optional(count) };
  const usage: Shape = {
    inputTokens: nonNegative,
    outputTokens: nonNegative,
    totalTokens: nonNegative,
    cachedInputTokens: optional(nonNegative),
    cacheWriteTokens: optional(nonNegative),
    reasoningTokens: optional(nonNegative),
    cost: optional(nonNegative),
    pricesAsOf: optional(string),
    estimated: optional(boolean),
  };
  const error: Shape = {
    code: oneOf(rxllmErrorCodes),
    message: string,
    retryable: optional(boolean),
    status: optional(integer),
    retryAfterMs: optional(nonNegative),
    dialect: optional(string),
    providerCode: optional(string),
    requestId: optional(string),
    providerMessage: optional(string),
    limit: optional(string),
  };
  const trackComparison: Shape = {
    track: string,
    timeToFirstTokenMs: optional(number),
    totalMs: number,
    tokensPerSecond: number,
    tokens: number,
    text: string,
    usage: optional(object(usage)),
    cost: optional(number),
    finishReason: optional(oneOf(finishReasons)),
    error: optional(string),
  };
  // `type` is the key the shape was found by: kept, not checked again.
  const event = (fields: Shape): Shape => ({ type: anything, ...meta, ...fields });
  return {
    start: event({
      id: optional(string),
      provider: optional(string),
      model: optional(string),
      created: optional(number),
    }),
    text: event({ ...choice, text: nonEmptyString }),
    reasoning: event({
      ...choice,
      text: string,
      signature: optional(string),
      redacted: optional(string),
      itemId: optional(string),
    }),
    refusal: event({ ...choice, text: nonEmptyString }),
    'tool-call-start': event({ ...choice, id: string, name: string, index: count }),
    'tool-call-delta': event({ ...choice, id: string, index: count, argsText: string }),
    'tool-call': event({
      ...choice,
      id: string,
      name: string,
      index: count,
      args: anything,
      argsText: string,
      incomplete: optional(boolean),
    }),
    'tool-result': event({
      id: string,
      name: string,
      result: anything,
      error: optional(string),
      denied: optional(boolean),
      preliminary: optional(boolean),
      durationMs: nonNegative,
    }),
    usage: event({ ...usage, step: optional(count) }),
    'step-start': event({ step: count, model: optional(string), provider: optional(string) }),
    'step-finish': event({
      step: count,
      usage: optional(object(usage)),
      finishReason: optional(oneOf(finishReasons)),
    }),
    'usage-total': event(usage),
    finish: event({ ...choice, reason: oneOf(finishReasons), rawReason: optional(stringOrNull) }),
    reset: event({ reason: string }),
    error: event({ error: object(error), fatal: optional(boolean) }),
    progress: event({
      tokens: number,
      characters: number,
      elapsedMs: number,
      timeToFirstTokenMs: optional(number),
      tokensPerSecond: number,
    }),
    comparison: event({
      tracks: array(object(trackComparison)),
      similarity: recordOf(number),
      similarityMeasure: string,
    }),
  };
}
