/**
 * Linear time on hostile input: 1 MB of text with no boundary, one endless string, one growing
 * array, through every text-processing operator and decoder. Work is measured by deterministic
 * counts (characters handed to JSON.parse, elements copied into emissions, characters the scanners
 * read), never by a clock. LINEAR_TIME_SIZE shrinks the input (to check these against old code,
 * which would otherwise run for minutes).
 */
import { VirtualTimeScheduler, from, lastValueFrom, tap, toArray, type OperatorFunction } from 'rxjs';
import { bufferTokens, type TokenBoundary } from '../../src/operators/bufferTokens';
import { throttleTokens } from '../../src/operators/throttleTokens';
import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { createStreamDecoder } from '../../src/wire/createStreamDecoder';
import { getDialect } from '../../src/wire/dialects';
import type { DialectName } from '../../src/wire/types';
import { codeForProviderError, codeForStatus } from '../../src/base/httpError';
import { parsePartialJson } from '../../src/wire/parsePartialJson';
import { structuredOutput, type StructuredOutput } from '../../src/operators/structuredOutput';

const size = Number(process.env.LINEAR_TIME_SIZE ?? 1_000_000);

/**
 * Code units read by `String.prototype.charCodeAt` and `String.prototype.indexOf` (how the text
 * operators scan, and how line framing searches, here and in eventsource-parser), by RegExps (how
 * `bufferTokens`' boundaries and the grapheme rules scan), and characters handed to `JSON.parse`,
 * while `run` runs. (Reading a long concatenated string also flattens it, a copy no counter sees:
 * the operators are built never to read the joined buffer per delta.)
 */
function textWork(run: () => void): number {
  const charCodeAt = String.prototype.charCodeAt;
  const exec = RegExp.prototype.exec;
  let reads = 0;
  String.prototype.charCodeAt = function (this: string, index: number) {
    reads++;
    return charCodeAt.call(this, index);
  };
  // A RegExp reads from where it starts (lastIndex when global or sticky) to the end of its match,
  // or to the end of the text when it finds none. `test`, `match` and the other RegExp methods go
  // through `exec` once it is replaced. (Backtracking inside one call is not counted: the hostile
  // inputs below also come as one delta, which a regex that backtracks badly would not finish.)
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    const text = String(input);
    const from = this.global || this.sticky ? Math.min(this.lastIndex, text.length) : 0;
    const match = exec.call(this, text);
    reads += (match === null ? text.length : match.index + match[0].length) - from;
    return match;
  };
  try {
    const { scanned, parsed } = scanWork(run);
    return reads + scanned + parsed;
  } finally {
    String.prototype.charCodeAt = charCodeAt;
    RegExp.prototype.exec = exec;
  }
}

/**
 * Characters examined by `String.prototype.indexOf` (how line framing searches, here and in
 * eventsource-parser) and characters handed to `JSON.parse` while `run` runs.
 */
function scanWork(run: () => void): { scanned: number; parsed: number } {
  const indexOf = String.prototype.indexOf;
  const parse = JSON.parse;
  let scanned = 0;
  let parsed = 0;
  String.prototype.indexOf = function (this: string, search: string, position?: number) {
    const at = indexOf.call(this, search, position);
    scanned += (at === -1 ? this.length : at + 1) - Math.min(this.length, Math.max(0, position ?? 0));
    return at;
  };
  JSON.parse = (text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    parsed += String(text).length;
    return parse(text, reviver) as unknown;
  };
  try {
    run();
  } finally {
    String.prototype.indexOf = indexOf;
    JSON.parse = parse;
  }
  return { scanned, parsed };
}

/** Feeds `chunks` to a decoder of `dialect` and ends it; what it emitted, and the error it threw. */
function decode(dialect: DialectName, chunks: Iterable<string>): { events: RxllmEvent[]; error?: unknown } {
  const events: RxllmEvent[] = [];
  const stream = createStreamDecoder(getDialect(dialect, 'decode'), (event) => events.push(event));
  try {
    for (const chunk of chunks) stream.push(chunk);
    stream.end();
  } catch (error) {
    return { events, error };
  }
  return { events };
}

function* pieces(text: string, length: number): Generator<string> {
  for (let i = 0; i < text.length; i += length) yield text.slice(i, i + length);
}

/** Characters handed to JSON.parse while `run` runs. */
function jsonParseWork(run: () => void): { calls: number; chars: number } {
  const parse = jest.spyOn(JSON, 'parse');
  try {
    run();
    return {
      calls: parse.mock.calls.length,
      chars: parse.mock.calls.reduce((sum, [input]) => sum + String(input).length, 0),
    };
  } finally {
    parse.mockRestore();
  }
}

describe('parsePartialJson', () => {
  it.each([
    ['an unfinished key', (n: number) => `{"${'k'.repeat(n)}`],
    ['an unfinished number', (n: number) => `[1, ${'1'.repeat(n)}.`],
    ['garbage after a value', (n: number) => `{"a": 1 ${'x'.repeat(n)}`],
    ['an open array of objects', (n: number) => '[{"a":1},'.repeat(Math.ceil(n / 9))],
    ['an endless string', (n: number) => `{"a": "${'s'.repeat(n)}`],
  ])('hands JSON.parse O(n) characters for %s', (_name, make) => {
    const text = make(size);
    const work = jsonParseWork(() => parsePartialJson(text));
    expect(work.calls).toBeLessThanOrEqual(2);
    expect(work.chars).toBeLessThanOrEqual(3 * text.length);
  });
});

/** Deltas of `text`, `piece` characters each, as text events of one stream. */
function textDeltas(text: string, piece: number): RxllmEvent[] {
  const events: RxllmEvent[] = [{ type: 'start', id: 'm', model: 'x', provider: 'test' } as RxllmEvent];
  for (let i = 0; i < text.length; i += piece) events.push({ type: 'text', text: text.slice(i, i + piece) });
  events.push({ type: 'finish', reason: 'stop' } as RxllmEvent);
  return events;
}

/** What producing `value` copied: the containers on its open path (last item, last key) and their items. */
function openPathCopies(value: unknown): number {
  let copies = 0;
  let node = value;
  while (typeof node === 'object' && node !== null) {
    const keys = Array.isArray(node) ? node : Object.keys(node);
    copies += 1 + keys.length;
    node = Array.isArray(node)
      ? node[node.length - 1]
      : (node as Record<string, unknown>)[keys[keys.length - 1] as string];
  }
  return copies;
}

describe('structuredOutput', () => {
  it.each([
    ['a growing array, one item per delta', () => textDeltas(`[${'1,'.repeat(size / 2)}1]`, 2)],
    [
      'a growing object, one key per delta',
      () =>
        textDeltas(
          `{${Array.from({ length: size / 8 }, (_, i) => `"${(i % 1e6).toString(36).padStart(4, '0')}":1,`).join('')}"end":1}`,
          8,
        ),
    ],
    [
      // 100 KB: half a million open arrays make every garbage collection slow, whatever rxllm does.
      'deep nesting (100 KB), one bracket per delta',
      () => textDeltas(`${'['.repeat(size / 20)}${']'.repeat(size / 20)}`, 1),
    ],
    [
      'an endless string in an array of strings',
      () => textDeltas(`[${'"ab",'.repeat(size / 10)}"${'s'.repeat(size / 2)}"]`, 3),
    ],
  ])('copies O(n) values over all its emissions for %s', async (_name, make) => {
    const events = make();
    const chars = events.reduce((sum, event) => sum + (event.type === 'text' ? event.text.length : 0), 0);
    let copies = 0;
    let emissions = 0;
    let last: StructuredOutput<unknown> | undefined;
    await lastValueFrom(
      from(events).pipe(
        structuredOutput(),
        tap((out) => {
          emissions++;
          last = out;
          if (!out.done) copies += openPathCopies(out.partial);
        }),
      ),
    );
    expect(last?.done).toBe(true);
    expect(emissions).toBeGreaterThan(1);
    expect(copies).toBeLessThanOrEqual(20 * chars);
  });

  it('still shows every change of a small value', async () => {
    const out = await lastValueFrom(
      from(textDeltas('{"a": [1, 2, 3], "b": "xyz"}', 1)).pipe(structuredOutput(), toArray()),
    );
    expect(out.map((item) => JSON.stringify(item.done ? item.value : item.partial))).toEqual([
      '{}',
      '{"a":[]}',
      '{"a":[1]}',
      '{"a":[1,2]}',
      '{"a":[1,2,3]}',
      '{"a":[1,2,3],"b":""}',
      '{"a":[1,2,3],"b":"x"}',
      '{"a":[1,2,3],"b":"xy"}',
      '{"a":[1,2,3],"b":"xyz"}',
      '{"a":[1,2,3],"b":"xyz"}',
    ]);
  });

  it('emits a held-back change before the error of a stream that ends mid-value', async () => {
    const text = `[${'7,'.repeat(2000)}8`;
    const seen: unknown[] = [];
    const error = await lastValueFrom(
      from(textDeltas(text, 2).slice(0, -1)).pipe(
        structuredOutput(),
        tap((out) => seen.push(out.done ? out.value : out.partial)),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RxllmError);
    expect((seen.at(-1) as number[]).length).toBe(2000); // the trailing 8 may still grow: not shown
  });
});

describe('the context-length check of provider errors', () => {
  /** Characters handed to RegExp tests while `run` runs (the pattern is linear in what it is given). */
  function regexWork(run: () => void): number {
    const test = jest.spyOn(RegExp.prototype, 'test');
    try {
      run();
      return test.mock.calls.reduce((sum, [input]) => sum + String(input).length, 0);
    } finally {
      test.mockRestore();
    }
  }

  it.each([
    ['an HTTP 400 body', (text: string) => codeForStatus(400, text)],
    ['an in-band error message', (text: string) => codeForProviderError(undefined, text)],
  ])('reads a bounded head of %s full of max_tokens', (_name, classify) => {
    const hostile = 'max_tokens '.repeat(Math.ceil(size / 11));
    let code: unknown;
    expect(regexWork(() => (code = classify(hostile)))).toBeLessThanOrEqual(4096);
    expect(code).not.toBe('context-length');
  });

  it('still recognises the usual wordings', () => {
    expect(codeForStatus(400, '{"error":{"message":"max_tokens: 9000 exceeds the model limit"}}')).toBe(
      'context-length',
    );
    expect(codeForProviderError(undefined, 'prompt is too long: 210000 tokens > 200000 maximum')).toBe(
      'context-length',
    );
  });
});

describe('decoders', () => {
  const dialects: DialectName[] = [
    'openai-chat',
    'anthropic',
    'openai-responses',
    'gemini',
    'ollama',
    'rxllm',
  ];

  it.each(dialects)('%s frames one 1 MB line, arriving 64 characters at a time, in O(n)', (dialect) => {
    const framing = getDialect(dialect, 'decode').framing;
    const line = `${framing === 'ndjson' ? '' : 'data: '}{"x":"${'a'.repeat(size)}"}`;
    let result: ReturnType<typeof decode> | undefined;
    const work = scanWork(() => (result = decode(dialect, pieces(`${line}\n\n`, 64))));
    expect(work.scanned).toBeLessThanOrEqual(6 * line.length);
    expect(work.parsed).toBeLessThanOrEqual(3 * line.length);
    expect(result!.error ?? result!.events.length).toBeDefined();
  });

  /** A tool call whose arguments never finish: an unfinished key, 1 MB long, in 100-character deltas. */
  const unfinishedArgs: Array<[DialectName, () => string[]]> = [
    [
      'openai-chat',
      () => [
        `data: {"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}\n\n`,
        ...Array.from(
          pieces(`{\\"${'k'.repeat(size)}`, 100),
          (args) =>
            `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"${args}"}}]}}]}\n\n`,
        ),
        `data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\ndata: [DONE]\n\n`,
      ],
    ],
    [
      'anthropic',
      () => [
        `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n`,
        `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}\n\n`,
        ...Array.from(
          pieces(`{\\"${'k'.repeat(size)}`, 100),
          (json) =>
            `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"${json}"}}\n\n`,
        ),
        `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":2}}\n\n`,
        `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
      ],
    ],
  ];

  it.each(unfinishedArgs)('%s reads 1 MB of unfinished tool arguments in O(n)', (dialect, make) => {
    const chunks = make();
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    let result: ReturnType<typeof decode> | undefined;
    const work = scanWork(() => (result = decode(dialect, chunks)));
    expect(result!.error).toBeUndefined();
    const call = result!.events.find((event) => event.type === 'tool-call');
    expect(call).toMatchObject({ incomplete: true, args: {} });
    expect(work.parsed).toBeLessThanOrEqual(4 * total);
    expect(work.scanned).toBeLessThanOrEqual(4 * total);
  });
});

describe('text operators', () => {
  const endlessWord = () => 'w'.repeat(size);
  const endlessLine = () => 'word '.repeat(size / 5);
  const endlessSentence = () => 'no stop here '.repeat(Math.ceil(size / 13));
  const quotes = () => `He said.${')'.repeat(size)}`;

  const cases: Array<[string, () => OperatorFunction<RxllmEvent, RxllmEvent>, () => string]> = [
    [
      "bufferTokens({ boundary: 'word' }) on one endless word",
      () => bufferTokens({ boundary: 'word' }),
      endlessWord,
    ],
    [
      "bufferTokens({ boundary: 'line' }) on one endless line",
      () => bufferTokens({ boundary: 'line' }),
      endlessLine,
    ],
    [
      "bufferTokens({ boundary: 'sentence' }) on one endless sentence",
      () => bufferTokens({ boundary: 'sentence' }),
      endlessSentence,
    ],
    [
      "bufferTokens({ boundary: 'sentence' }) on endless closing brackets",
      () => bufferTokens({ boundary: 'sentence' }),
      quotes,
    ],
    [
      'throttleTokens({ wordsPerSecond }) on one endless word',
      () => throttleTokens({ wordsPerSecond: 50, scheduler: new VirtualTimeScheduler() }),
      endlessWord,
    ],
    [
      "throttleTokens({ chunking: 'line' }) on one endless line",
      () => throttleTokens({ wordsPerSecond: 50, chunking: 'line', scheduler: new VirtualTimeScheduler() }),
      endlessLine,
    ],
    [
      'throttleTokens({ charactersPerSecond }) on one endless word',
      () => throttleTokens({ charactersPerSecond: 50, scheduler: new VirtualTimeScheduler() }),
      endlessWord,
    ],
    [
      'throttleTokens({ intervalMs }) on one endless word',
      () => throttleTokens({ intervalMs: 10, scheduler: new VirtualTimeScheduler() }),
      endlessWord,
    ],
  ];

  // Text that the built-in boundaries' RegExps must get through without backtracking: runs of
  // what they match (spaces, stops, line breaks), stops with closers and no space, closers with no
  // stop, combining marks, Chinese stops and quotes mixed.
  const hostile: Array<[string, TokenBoundary, () => string]> = [
    ['spaces', 'word', () => `${' '.repeat(size - 1)}a`],
    ['combining marks on one letter', 'word', () => `a${'\u0301'.repeat(size)}`],
    ['ideographs and marks', 'word', () => '字\u0301'.repeat(size / 2)],
    ['stops', 'sentence', () => `${'.'.repeat(size - 1)}a`],
    ['stops and spaces', 'sentence', () => '. '.repeat(size / 2)],
    ['stops, each with closers and no space', 'sentence', () => `.${'"'.repeat(999)}`.repeat(size / 1000)],
    ['one stop, then closers and no space', 'sentence', () => `.${'”'.repeat(size - 2)}a`],
    ['closers with no stop', 'sentence', () => `a${'”'.repeat(size)}`],
    ['stops with combining marks', 'sentence', () => '.\u0301'.repeat(size / 2)],
    ['Chinese stops and quotes', 'sentence', () => '。」！』？”\u3000.'.repeat(size / 8)],
    ['carriage returns', 'sentence', () => '\r'.repeat(size)],
    ['stops and CR LF', 'sentence', () => '.\r\n'.repeat(Math.ceil(size / 3))],
    ['line breaks', 'line', () => '\n'.repeat(size)],
    ['CR LF', 'line', () => '\r\n'.repeat(size / 2)],
  ];
  const hostileCases = hostile.flatMap(([name, boundary, make]) =>
    (['4 characters a delta', 'one delta'] as const).map(
      (deltas) => [boundary, name, deltas, make, deltas === 'one delta' ? size : 4] as const,
    ),
  );

  it.each(hostileCases)(
    "bufferTokens({ boundary: '%s' }) on %s, %s, reads O(n) characters",
    (boundary, _name, _deltas, make, piece) => {
      const text = make();
      let out = '';
      const work = textWork(() =>
        from(textDeltas(text, piece))
          .pipe(bufferTokens({ boundary }))
          .subscribe((event) => {
            if (event.type === 'text') out += event.text;
          }),
      );
      expect(out).toBe(text);
      expect(work).toBeLessThanOrEqual(8 * text.length);
    },
  );

  it.each(cases)('%s, 4 characters a delta, reads O(n) characters', (_name, operator, make) => {
    const text = make();
    const events = textDeltas(text, 4);
    let out = '';
    const work = textWork(() =>
      from(events)
        .pipe(operator())
        .subscribe((event) => {
          if (event.type === 'text') out += event.text;
        }),
    );
    expect(out).toBe(text);
    expect(work).toBeLessThanOrEqual(8 * text.length);
  });
});
