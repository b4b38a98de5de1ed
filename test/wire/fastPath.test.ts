import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { createStreamDecoder } from '../../src/wire/createStreamDecoder';
import { anthropicDialect } from '../../src/wire/anthropic/dialect';
import { createAnthropicDecoder } from '../../src/wire/anthropic/decoder';
import { openAIChatDialect } from '../../src/wire/openai-chat/dialect';
import { createOpenAIChatDecoder } from '../../src/wire/openai-chat/decoder';
import { openAIResponsesDialect } from '../../src/wire/openai-responses/dialect';
import { createOpenAIResponsesDecoder } from '../../src/wire/openai-responses/decoder';
import type { Decoder, DecoderOptions, Dialect, EmitEvent } from '../../src/wire/types';

// The decoders' fast paths (text deltas read without parsing the whole message) against the full
// decoders, the reference: on every recorded fixture and on fuzzed lines the two must emit the
// same events and fail with the same error.

type Factory = (emit: EmitEvent, options?: DecoderOptions, fastPath?: boolean) => Decoder;

const dialects: { dialect: Dialect; full: Factory; matches: (path: string) => boolean }[] = [
  {
    dialect: openAIChatDialect,
    full: createOpenAIChatDecoder,
    matches: (path) =>
      !/^(anthropic|openai-responses|ollama|bedrock|gemini|vertex|lmstudio|github-copilot)\//.test(path) &&
      !/responses|gemini/.test(path),
  },
  {
    dialect: anthropicDialect,
    full: createAnthropicDecoder,
    matches: (path) => path.startsWith('anthropic/'),
  },
  {
    dialect: openAIResponsesDialect,
    full: createOpenAIResponsesDecoder,
    matches: (path) => /^(openai-responses|lmstudio|github-copilot)\//.test(path) || /responses/.test(path),
  },
];

const fixtureRoot = resolve(__dirname, '../fixtures');
const fixtures = readdirSync(fixtureRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) => readdirSync(resolve(fixtureRoot, dir.name)).map((file) => `${dir.name}/${file}`))
  .filter((path) => path.endsWith('.sse'));

interface Message {
  event?: string;
  data: string;
}

function messagesOf(text: string): Message[] {
  const out: Message[] = [];
  const parser = createParser({ onEvent: (event) => out.push({ event: event.event, data: event.data }) });
  parser.feed(`${text}\n\n`);
  return out;
}

interface Outcome {
  events: RxllmEvent[];
  error?: { code: string; message: string; line?: string };
}

/** Feeds the messages to the decoder as framed SSE, one chunk per message. */
function decode(dialect: Dialect, messages: Message[]): Outcome {
  const events: RxllmEvent[] = [];
  const decoder = createStreamDecoder(dialect, (event) => events.push(event));
  try {
    for (const { event, data } of messages) {
      const lines = data
        .split('\n')
        .map((line) => `data: ${line}`)
        .join('\n');
      decoder.push(`${event === undefined ? '' : `event: ${event}\n`}${lines}\n\n`);
      if (decoder.ended()) break;
    }
    decoder.end();
  } catch (error) {
    if (!RxllmError.isInstance(error)) throw error;
    return { events, error: { code: error.code, message: error.message, line: error.line } };
  }
  return { events };
}

function both(entry: (typeof dialects)[number], messages: Message[]): [Outcome, Outcome] {
  const full: Dialect = {
    ...entry.dialect,
    createDecoder: (emit, options) => entry.full(emit, options, false),
  };
  return [decode(entry.dialect, messages), decode(full, messages)];
}

const textDelta = /"content":"|"text_delta"|output_text\.delta/;

describe('decoder fast paths', () => {
  it.each([
    [
      0,
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"caf\\u00e9 \\"ok\\""},"logprobs":null,"finish_reason":null}],"usage":null}',
    ],
    [
      1,
      '{"type":"message_start","message":{"id":"m","model":"x"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"caf\\u00e9 \\"ok\\""}}',
    ],
    [
      2,
      '{"type":"response.created","response":{"id":"r","model":"m"}}',
      '{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"caf\\u00e9 \\"ok\\"","logprobs":[]}',
    ],
  ])('%#: a text line is read without JSON.parse of the whole line', (which, first, text) => {
    const entry = dialects[which]!;
    const events: RxllmEvent[] = [];
    const decoder = createStreamDecoder(entry.dialect, (event) => events.push(event));
    decoder.push(`data: ${first}\n\n`);
    const parse = jest.spyOn(JSON, 'parse');
    try {
      decoder.push(`data: ${text}\n\n`);
      expect(parse.mock.calls.filter(([arg]) => arg === text)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
    expect(events.at(-1)).toEqual({ type: 'text', text: 'café "ok"' });
  });

  it.each([
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_start","index":123456789,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_start","index":1234567890,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_start","index":01,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"a"}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""},"x":1}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}',
    '{"type": "ping"}',
    '{"type":"ping"}',
  ])('anthropic: the keep-alive and text block start checks decode %s as the full decoder does', (line) => {
    const index = /"index":(\d+)/.exec(line)?.[1] ?? '0';
    const messages: Message[] = [
      { event: 'message_start', data: '{"type":"message_start","message":{"id":"m","model":"x"}}' },
      { event: 'content_block_start', data: line },
      {
        event: 'content_block_delta',
        data: `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":"b"}}`,
      },
      // Known as a text block: ignored; at an index never started: malformed.
      {
        event: 'content_block_delta',
        data: `{"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
      },
      { event: 'content_block_stop', data: `{"type":"content_block_stop","index":${index}}` },
      { event: 'message_stop', data: '{"type":"message_stop"}' },
    ];
    const [fast, full] = both(dialects[1]!, messages);
    if (line.includes('"index":0,"content_block":{"type":"text","text":""}}'))
      expect(full.error).toBeUndefined();
    expect(fast).toStrictEqual(full);
  });

  it('openai-responses: a repeated field counts as JSON.parse reads it, the last one', () => {
    const responses = dialects[2]!;
    const messages: Message[] = [
      { data: '{"type":"response.created","response":{"id":"r","model":"m"}}' },
      // output_index twice: JSON.parse keeps 1, so item 0 has had no delta and its `.done` text counts.
      {
        data: '{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"a","output_index":1}',
      },
      { data: '{"type":"response.output_text.done","output_index":0,"content_index":0,"text":"X"}' },
      { data: '{"type":"response.completed","response":{"status":"completed"}}' },
    ];
    const [fast, full] = both(responses, messages);
    expect(full.events.filter((e) => e.type === 'text')).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'X' },
    ]);
    expect(fast).toStrictEqual(full);
  });

  for (const entry of dialects) {
    const name = entry.dialect.name;
    const corpus = fixtures.filter(entry.matches).map((path) => ({
      path,
      messages: messagesOf(readFileSync(resolve(fixtureRoot, path), 'utf8')),
    }));

    it(`${name}: the fast path emits what the full decoder emits on every fixture`, () => {
      expect(corpus.length).toBeGreaterThan(0);
      let fastLines = 0;
      for (const { path, messages } of corpus) {
        const [fast, full] = both(entry, messages);
        expect({ path, ...fast }).toStrictEqual({ path, ...full });
        fastLines += messages.filter((message) => textDelta.test(message.data)).length;
      }
      // The fixtures do exercise text deltas, the lines the fast path is for.
      expect(fastLines).toBeGreaterThan(10);
    });

    const withText = corpus.filter(({ messages }) => messages.some((m) => textDelta.test(m.data)));
    const alphabet = [
      '"',
      '\\',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      ' ',
      '0',
      '1',
      '-',
      'n',
      'u',
      'x',
      '\u0000',
      '\t',
      '\u2028',
      'é',
      '😀',
      'a',
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), with: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), with: fc.constant('') }),
      fc.record({ kind: fc.constant('text' as const), at: fc.nat(), with: fc.string({ unit: 'binary' }) }),
      fc.record({ kind: fc.constant('raw' as const), at: fc.nat(), with: fc.string({ unit: 'binary' }) }),
      fc.record({
        kind: fc.constant('field' as const),
        at: fc.nat(),
        with: fc.constantFrom(
          '"usage":{"prompt_tokens":1}',
          '"error":null',
          '"error":{"message":"x"}',
          '"usage":null',
          '"type":"ping"',
          '"output_index":3',
          '"delta":"x"',
          '"index":1',
          '"finish_reason":"stop"',
          '"x_groq":{}',
          '"__proto__":null',
          '"choices":[]',
          '"content":null',
          '"refusal":"no"',
          '"logprobs":[1]',
          '"id":"a\\"b"',
        ),
      }),
    );

    /** Applies the mutation to the line: a character changed, or the text replaced, or a field spliced in at a comma. */
    const mutate = (line: string, m: { kind: string; at: number; with: string }): string => {
      const at = m.at % (line.length + 1);
      switch (m.kind) {
        case 'replace':
          return line.slice(0, at) + m.with + line.slice(at + 1);
        case 'insert':
          return line.slice(0, at) + m.with + line.slice(at);
        case 'delete':
          return line.slice(0, at) + line.slice(at + 1);
        case 'text':
        case 'raw': {
          const body = m.kind === 'text' ? JSON.stringify(m.with).slice(1, -1) : m.with.replace(/\n/g, '');
          return line.replace(
            /("content":"|"text":"|"delta":")(?:[^"\\]|\\.)*"/,
            (_, open: string) => `${open}${body}"`,
          );
        }
        default: {
          const commas = [...line.matchAll(/,/g)].map((match) => match.index);
          if (commas.length === 0) return line;
          const comma = commas[at % commas.length]!;
          return `${line.slice(0, comma)},${m.with}${line.slice(comma)}`;
        }
      }
    };

    it(`${name}: the fast path emits what the full decoder emits on mutated text lines`, () => {
      fc.assert(
        fc.property(
          fc.nat(),
          fc.nat(),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          (pick, which, mutations) => {
            const { messages } = withText[pick % withText.length]!;
            const candidates = messages.flatMap((m, i) => (textDelta.test(m.data) ? [i] : []));
            const target = candidates[which % candidates.length]!;
            let data = messages[target]!.data;
            for (const m of mutations) data = mutate(data, m);
            const mutated = messages.map((m, i) => (i === target ? { ...m, data } : m));
            const [fast, full] = both(entry, mutated);
            expect(fast).toStrictEqual(full);
          },
        ),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 400), seed: 20_261_203 },
      );
    });
  }
});
