import type { RxllmEvent } from '../../base/events';
import { rxllmErrorCodes } from '../../base/errors';

/**
 * The `rxllm` dialect's events checked without zod: what `rxllmEventSchema` (in `rxllm/schema`)
 * accepts, so that reading rxllm's own stream in a browser costs a few hundred bytes rather than
 * zod. Like the schema it keeps only known fields (unknown ones are dropped: newer producers may
 * add some). `test/wire/validateWireEvent.test.ts` holds the two to the same answers; a field
 * added to one must be added to the other.
 */
export function validateWireEvent(json: Record<string, unknown>, type: string): RxllmEvent {
  if (json.type !== type) fail(['type'], `expected one of ${type}`);
  return checkObject(shapes()[type]!, json, [], { type }) as unknown as RxllmEvent;
}

/** Why a value was refused, and where. */
export class WireEventIssue extends Error {
  constructor(
    readonly path: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

// The events are described as data, one line per event type, and read by one loop: a field is
// `name:k` (required) or `name?k` (optional; absent or undefined passes), `k` its kind below.
// Described in code, each field was a call and each rule a closure. Built in a function: nothing
// runs at module level, so a bundle that never reads the dialect (a tsup chunk holds this module
// with others) drops all of it.
/** Every event type's line: its fields after `track?s,seq?c`, which every event may carry. */
function eventLines(): string[] {
  const choice = 'choice?c,';
  return `start id?s,provider?s,model?s,created?n
text ${choice}text:S
reasoning ${choice}text:s,signature?s,redacted?s,itemId?s
refusal ${choice}text:S
tool-call-start ${choice}id:s,name:s,index:c
tool-call-delta ${choice}id:s,index:c,argsText:s
tool-call ${choice}id:s,name:s,index:c,args?a,argsText:s,incomplete?b
tool-result id:s,name:s,result?a,error?s,denied?b,preliminary?b,durationMs:N
usage ${usage},step?c
step-start step:c,model?s,provider?s
step-finish step:c,usage?U,finishReason?r
usage-total ${usage}
finish ${choice}reason:r,rawReason?z
reset reason:s
error error:E,fatal?b
progress tokens:n,characters:n,elapsedMs:n,timeToFirstTokenMs?n,tokensPerSecond:n
comparison tracks:T,similarity:R,similarityMeasure:s`.split('\n');
}

const usage =
  'inputTokens:N,outputTokens:N,totalTokens:N,cachedInputTokens?N,cacheWriteTokens?N,reasoningTokens?N,cost?N,pricesAsOf?s,estimated?b';

/** The nested objects' fields, by kind: a usage, an error, a track of a comparison. */
const objects: Record<string, string> = {
  U: usage,
  E: 'code:e,message:s,retryable?b,status?i,retryAfterMs?N,dialect?s,providerCode?s,requestId?s,providerMessage?s,limit?s',
  C: 'track:s,timeToFirstTokenMs?n,totalMs:n,tokensPerSecond:n,tokens:n,text:s,usage?U,cost?n,finishReason?r,error?s',
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

/** A field: its name, its kind, whether it may be absent. */
type Field = [name: string, kind: string, optional: boolean];

const fields = (spec: string): Field[] =>
  spec.split(',').map((field) => {
    const [name, mark, kind] = field.split(/([:?])/) as [string, string, string];
    return [name, kind, mark === '?'];
  });

/** The shapes by event type, and the nested objects' by kind: read once, when first needed. */
let parsed: Record<string, Field[]> | undefined;
const shapes = (): Record<string, Field[]> =>
  (parsed ??= Object.fromEntries([
    ...eventLines().map((line) => {
      const [type, spec] = line.split(' ') as [string, string];
      return [type, fields(`track?s,seq?c,${spec}`)];
    }),
    ...Object.entries(objects).map(([kind, spec]) => [kind, fields(spec)]),
  ]));

/** The event types of the dialect; others are skipped by the decoder. */
export const wireEventTypes: ReadonlySet<string> = /* @__PURE__ */ eventTypes();

function eventTypes(): ReadonlySet<string> {
  return new Set(eventLines().map((line) => line.split(' ')[0]!));
}

const fail = (path: string[], message: string): never => {
  throw new WireEventIssue(path, message);
};

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** The scalar kinds: a test, and what the issue says was expected (a list: one of its values). */
const scalars: Record<string, [(v: unknown) => boolean, string | readonly string[]]> = {
  s: [(v) => typeof v === 'string', 'string'],
  S: [(v) => typeof v === 'string' && v.length > 0, 'non-empty string'],
  z: [(v) => v === null || typeof v === 'string', 'string or null'],
  n: [isNumber, 'number'],
  N: [(v) => isNumber(v) && v >= 0, 'number >= 0'],
  i: [Number.isSafeInteger, 'integer'],
  c: [isCount, 'integer >= 0'],
  b: [(v) => typeof v === 'boolean', 'boolean'],
  r: [(v) => finishReasons.includes(v as string), finishReasons],
  e: [(v) => (rxllmErrorCodes as readonly unknown[]).includes(v), rxllmErrorCodes],
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks `value` as a `kind` and returns what to keep of it; throws a {@link WireEventIssue}. */
function check(kind: string, value: unknown, path: string[]): unknown {
  if (kind === 'a') return value;
  const scalar = scalars[kind];
  if (scalar) {
    const [valid, expected] = scalar;
    if (valid(value)) return value;
    fail(path, `expected ${typeof expected === 'string' ? expected : `one of ${expected.join(', ')}`}`);
  }
  if (kind === 'T') {
    if (!Array.isArray(value)) return fail(path, 'expected array');
    return value.map((item, i) => check('C', item, [...path, String(i)]));
  }
  if (!isObject(value)) return fail(path, 'expected object');
  if (kind === 'R') {
    const output: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) output[key] = check('n', item, [...path, key]);
    return output;
  }
  return checkObject(shapes()[kind]!, value, path, {});
}

/** Keeps the fields of `input` that `shape` names, each checked; `output` may hold some already. */
function checkObject(
  shape: Field[],
  input: Record<string, unknown>,
  path: string[],
  output: Record<string, unknown>,
): Record<string, unknown> {
  if (!isObject(input)) return fail(path, 'expected object');
  for (const [key, kind, optional] of shape) {
    const field = input[key];
    const at = [...path, key];
    if (field !== undefined) output[key] = check(kind, field, at);
    else if (!optional) fail(at, 'required');
    else if (Object.hasOwn(input, key)) output[key] = undefined;
  }
  return output;
}
