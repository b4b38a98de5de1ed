import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { concat, from, throwError } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError, rxllmErrorCodes, type RxllmErrorCode } from '../../src/base/errors';
import { createStreamDecoder } from '../../src/wire/createStreamDecoder';
import { MessageAccumulator } from '../../src/base/message';
import { toSSE } from '../../src/operators/toSSE';
import { messageReducer } from '../../src/sinks/messageReducer';
import { getDialect } from '../../src/wire/dialects';
import type { DialectName } from '../../src/wire/types';

// The decoder fuzz suite (issue 12). For every decoder, arbitrary bytes and mutated recorded
// fixtures either complete or fail with an RxllmError whose code fits the input, never throw
// anything else, never hang (every case is a synchronous push/end), never pollute
// Object.prototype; whatever was decoded folds into MessageAccumulator and messageReducer, and
// re-encodes in every dialect to frames that eventsource-parser reads as one event each, with
// valid JSON. Fixed seed and a bounded number of cases here; `npm run fuzz -- --runs 100000` (or
// FUZZ_RUNS / FUZZ_SEED) runs longer.

const runs = Number(process.env.FUZZ_RUNS ?? 120);
const seed = Number(process.env.FUZZ_SEED ?? 20_261_203);

const fixtureRoot = resolve(__dirname, '../fixtures');

function dialectOf(path: string): DialectName {
  if (path.startsWith('anthropic/')) return 'anthropic';
  if (path.startsWith('openai-responses/') || path === 'openrouter/responses-api-data-only-done.sse')
    return 'openai-responses';
  if (path.startsWith('ollama/')) return 'ollama';
  if (path === 'edge/gemini-crlf.sse') return 'gemini';
  return 'openai-chat';
}

const fixtures = readdirSync(fixtureRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) => readdirSync(resolve(fixtureRoot, dir.name)).map((file) => `${dir.name}/${file}`))
  .filter((path) => /\.(sse|ndjson)$/.test(path));

/** The rxllm dialect has no recorded fixture: one is written from a decoded one. */
function rxllmFixture(): string {
  const text = readFileSync(resolve(fixtureRoot, 'anthropic/tool-use.sse'), 'utf8');
  const { events } = decodeText('anthropic', [text]);
  let out = '';
  // On a named track, so that mutations reach track names too.
  from(events.map((event) => ({ ...event, track: 'local' })))
    .pipe(toSSE({ dialect: 'rxllm' }))
    .subscribe((frame) => (out += frame));
  return out;
}

const corpus = new Map<DialectName, string[]>();
for (const path of fixtures) {
  const dialect = dialectOf(path);
  corpus.set(dialect, [...(corpus.get(dialect) ?? []), readFileSync(resolve(fixtureRoot, path), 'utf8')]);
}

const decoders: DialectName[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'ollama', 'rxllm'];
const encoders: DialectName[] = ['rxllm', 'openai-chat', 'openai-responses', 'anthropic', 'ai-sdk-ui'];

const structural: ReadonlySet<RxllmErrorCode> = new Set(['malformed', 'network', 'limit-exceeded']);
// A decoder fails with any code but misuse (`invalid-argument`) and a tool loop's (`tool`):
// hostile bytes are neither.
const knownCodes: ReadonlySet<string> = new Set(
  rxllmErrorCodes.filter((code) => code !== 'invalid-argument' && code !== 'tool'),
);

interface Decoded {
  events: RxllmEvent[];
  error?: RxllmError;
}

/** Decodes like a source (stream decoder + accumulator), rethrowing anything not an RxllmError. */
function decodeText(dialect: DialectName, chunks: (string | Uint8Array)[]): Decoded {
  const events: RxllmEvent[] = [];
  const accumulator = new MessageAccumulator();
  const stream = createStreamDecoder(
    getDialect(dialect, 'decode'),
    (event) => {
      events.push(event);
      accumulator.apply(event);
    },
    // Small limits, so that the limit paths are reached by small inputs too.
    { limits: { maxEventSize: 4096, maxMessageSize: 16_384, maxToolArgumentsSize: 2048, maxChoices: 8 } },
  );
  try {
    for (const chunk of chunks) {
      stream.push(chunk);
      if (stream.ended()) break;
    }
    stream.end();
  } catch (thrown) {
    if (!RxllmError.isInstance(thrown)) throw thrown;
    accumulator.snapshot();
    return { events, error: thrown };
  }
  accumulator.snapshot();
  return { events };
}

/** The input cut at the given sizes (cycled), as strings or as bytes. */
function split(text: string, sizes: number[], bytes: boolean): (string | Uint8Array)[] {
  const input = bytes ? new TextEncoder().encode(text) : text;
  const out: (string | Uint8Array)[] = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = sizes.length === 0 ? input.length : sizes[i % sizes.length]!;
    out.push(input.slice(at, at + size));
    at += size;
  }
  return out;
}

const hostileNumbers = ['1e999', '-1', '1000000000', '1.5', '-0', '1e-999', '9007199254740993'];
const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString'];
const hostileText = [
  '\n',
  '\r',
  '\r\n',
  '\n\n',
  'data: ',
  'event: error\n',
  '\u2028',
  '\u0000',
  '[DONE]',
  '"',
  '\\',
  '{',
  ']',
];

type Mutation = [kind: number, at: number, value: fc.JsonValue, pick: number];

/** Applies one mutation to the text: numbers, keys and values from the pools, cuts, copies, inserts. */
function mutate(text: string, [kind, at, value, pick]: Mutation): string {
  const position = text.length === 0 ? 0 : at % text.length;
  switch (kind % 8) {
    case 0: {
      // A number token becomes a hostile one.
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
      const match = numbers[at % Math.max(numbers.length, 1)];
      if (!match) return text;
      return `${text.slice(0, match.index)}${hostileNumbers[pick % hostileNumbers.length]}${text.slice(match.index + match[0].length)}`;
    }
    case 1: {
      if (pick % 2 === 0) {
        // A string used as a key somewhere (a track, an id, a name) becomes `__proto__` & co.
        const strings = [...text.matchAll(/"(track|id|call_id|item_id|name|model|type)":"[^"]*"/g)];
        const match = strings[at % Math.max(strings.length, 1)];
        if (!match) return text;
        const replaced = `"${match[1]}":"${hostileKeys[(pick >> 1) % hostileKeys.length]}"`;
        return `${text.slice(0, match.index)}${replaced}${text.slice(match.index + match[0].length)}`;
      }
      // A key becomes one named like an Object.prototype member.
      const keys = [...text.matchAll(/"([A-Za-z_]+)":/g)];
      const match = keys[at % Math.max(keys.length, 1)];
      if (!match) return text;
      return `${text.slice(0, match.index)}"${hostileKeys[pick % hostileKeys.length]}":${text.slice(match.index + match[0].length)}`;
    }
    case 2: {
      // A JSON value (after a colon) is replaced by an arbitrary one.
      const colon = text.indexOf('":', position);
      if (colon === -1) return text;
      const end = text.slice(colon + 2).search(/[,}\]]/);
      if (end === -1) return text;
      // Sometimes a string named like an Object.prototype member (a track, an id, a name).
      const replacement = pick % 3 === 0 ? hostileKeys[pick % hostileKeys.length] : value;
      return `${text.slice(0, colon + 2)}${JSON.stringify(replacement)}${text.slice(colon + 2 + end)}`;
    }
    case 3:
      return text.slice(0, position) + text.slice(position + (pick % 200)); // a cut
    case 4:
      return text.slice(0, position) + text.slice(position, position + (pick % 400)) + text.slice(position); // a copy
    case 5:
      return text.slice(0, position) + hostileText[pick % hostileText.length] + text.slice(position);
    case 6:
      return text.slice(0, position); // the stream cut short
    default: {
      const code = text.charCodeAt(position) ^ (1 << (pick % 7));
      return text.slice(0, position) + String.fromCharCode(code) + text.slice(position + 1);
    }
  }
}

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join();

/** Every check made on one case's decoding. */
function check(dialect: DialectName, input: string, decoded: Decoded): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join()).toBe(prototypeNames);
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  const { events, error } = decoded;
  if (error) {
    expect(knownCodes.has(error.code)).toBe(true);
    expect(error.code).not.toBe('aborted');
    // Only an input that carries an error message can fail with a provider's code.
    if (!structural.has(error.code)) expect(input).toMatch(/error|fail/i);
    if (error.code === 'limit-exceeded') expect(typeof error.limit).toBe('string');
  }
  events.reduce(messageReducer, messageReducer.initialState);
  for (const target of encoders) {
    const frames: string[] = [];
    const source = error
      ? concat(
          from(events),
          throwError(() => error),
        )
      : from(events);
    source.pipe(toSSE({ dialect: target })).subscribe({
      next: (frame) => frames.push(frame),
      error: (thrown: unknown) => {
        throw new Error(`toSSE(${target}) failed on events decoded from ${dialect}: ${String(thrown)}`);
      },
    });
    let parsed = 0;
    createParser({
      onEvent: (event) => {
        parsed++;
        if (event.data !== '[DONE]') JSON.parse(event.data);
      },
    }).feed(frames.join(''));
    expect(parsed).toBe(frames.length);
  }
}

describe.each(decoders)('fuzz: %s decoder', (dialect) => {
  const samples = dialect === 'rxllm' ? [rxllmFixture()] : (corpus.get(dialect) ?? []);

  it('arbitrary bytes, cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1024 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 }),
        (bytes, sizes) => {
          const text = new TextDecoder().decode(bytes);
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          check(dialect, text, decodeText(dialect, chunks));
        },
      ),
      { seed, numRuns: runs },
    );
  });

  it('arbitrary JSON values framed as its messages', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 8 }), (values) => {
        const text = values
          .map((value) =>
            dialect === 'ollama' ? `${JSON.stringify(value)}\n` : `data: ${JSON.stringify(value)}\n\n`,
          )
          .join('');
        check(dialect, text, decodeText(dialect, [text]));
      }),
      { seed, numRuns: runs },
    );
  });

  it('mutated recorded fixtures, cut anywhere', () => {
    expect(samples.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.nat({ max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.nat()), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 6 }),
        fc.boolean(),
        (which, mutations, sizes, bytes) => {
          const text = mutations.reduce(mutate, samples[which]!);
          check(dialect, text, decodeText(dialect, split(text, sizes, bytes)));
        },
      ),
      { seed, numRuns: runs },
    );
  });
});
