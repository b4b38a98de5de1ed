import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { createAnthropicDecoder } from '../../src/wire/anthropic/decoder';
import { getDialect } from '../../src/wire/dialects';
import { decodeChunks, decodeFixtureEveryWay, feedDecoder, fixtureBytes } from '../support/decodeFixture';

const decode = (name: string) => decodeFixtureEveryWay('anthropic', `anthropic/${name}`);

/** Feeds SSE events (name and JSON data) straight to a fresh decoder. */
const feed = (frames: Array<[string, unknown]>, end = true) =>
  feedDecoder(
    createAnthropicDecoder,
    frames.map(([name, data]) => [data, name] as const),
    end,
  );

const messageStart = (usage: Record<string, number> = { input_tokens: 10, output_tokens: 1 }) =>
  [
    'message_start',
    {
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], usage },
    },
  ] as [string, unknown];
const textStart: [string, unknown] = [
  'content_block_start',
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
];
const textDelta = (text: string, index = 0): [string, unknown] => [
  'content_block_delta',
  { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
];
const messageDelta = (stop_reason: string, usage: Record<string, number> = { output_tokens: 5 }) =>
  ['message_delta', { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage }] as [
    string,
    unknown,
  ];
const messageStop: [string, unknown] = ['message_stop', { type: 'message_stop' }];

describe('createAnthropicDecoder', () => {
  it('is registered as the anthropic SSE dialect', () => {
    const dialect = getDialect('anthropic', 'decode');
    expect(dialect.framing).toBe('sse');
    expect(dialect.createDecoder).toBe(createAnthropicDecoder);
  });

  describe('fixtures', () => {
    it('decodes the canonical text stream, whose final message_stop lacks a newline, in order', () => {
      const { events, message, error } = decode('text-basic-no-trailing-newline.sse');
      expect(error).toBeUndefined();
      expect(events).toEqual([
        {
          type: 'start',
          provider: 'anthropic',
          id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK',
          model: 'claude-3-opus-20240229',
        },
        // message_start's input count, reported at once; message_delta's merged snapshot replaces it.
        { type: 'usage', inputTokens: 11, outputTokens: 1, totalTokens: 12 },
        { type: 'text', text: 'Hello' },
        { type: 'text', text: ' there' },
        { type: 'text', text: '!' },
        { type: 'finish', reason: 'stop', rawReason: 'end_turn' },
        { type: 'usage', inputTokens: 11, outputTokens: 6, totalTokens: 17 },
      ]);
      expect(message).toEqual({
        id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK',
        provider: 'anthropic',
        model: 'claude-3-opus-20240229',
        text: 'Hello there!',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 11, outputTokens: 6, totalTokens: 17 },
        finishReason: 'stop',
      });
    });

    it('treats a repeated message_start as one message', () => {
      const { events, message, error } = decode('duplicate-message-start.sse');
      expect(error).toBeUndefined();
      expect(events.filter((event) => event.type === 'start')).toHaveLength(1);
      expect(events.map((event) => event.type)).toEqual(['start', 'usage', 'text', 'finish', 'usage']);
      expect(message.text).toBe('Hello, World!');
      expect(message.usage).toEqual({ inputTokens: 17, outputTokens: 227, totalTokens: 244 });
      expect(message.finishReason).toBe('stop');
    });

    it('streams a tool call whose arguments are split mid-token, after an empty first fragment', () => {
      const { events, message, error } = decode('tool-use.sse');
      expect(error).toBeUndefined();
      expect(events.filter((event) => event.type.startsWith('tool-call'))).toEqual([
        { type: 'tool-call-start', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather', index: 0 },
        { type: 'tool-call-delta', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', index: 0, argsText: '{"locati' },
        { type: 'tool-call-delta', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', index: 0, argsText: 'on": "P' },
        { type: 'tool-call-delta', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', index: 0, argsText: 'ar' },
        { type: 'tool-call-delta', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', index: 0, argsText: 'is"}' },
        {
          type: 'tool-call',
          id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn',
          name: 'get_weather',
          index: 0,
          args: { location: 'Paris' },
          argsText: '{"location": "Paris"}',
        },
      ]);
      expect(message.text).toBe("I'll check the current weather in Paris for you.");
      expect(message.toolCalls).toEqual([
        {
          id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn',
          name: 'get_weather',
          args: { location: 'Paris' },
          argsText: '{"location": "Paris"}',
        },
      ]);
      expect(message.usage).toEqual({
        inputTokens: 377,
        outputTokens: 65,
        totalTokens: 442,
        cachedInputTokens: 0,
      });
      expect(message.finishReason).toBe('tool-calls');
    });

    it('gives a tool without arguments {} and ignores pings between blocks', () => {
      const { events, message, error } = decode('tool-no-args-pings.sse');
      expect(error).toBeUndefined();
      expect(events.map((event) => event.type)).toEqual([
        'start',
        'usage',
        'text',
        'text',
        'tool-call-start',
        'tool-call',
        'finish',
        'usage',
      ]);
      expect(message.text).toBe("I'll update the issue list for you.");
      expect(message.toolCalls).toEqual([
        { id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', args: {}, argsText: '' },
      ]);
      // message_delta repeats input_tokens 565: counted once.
      expect(message.usage).toEqual({
        inputTokens: 565,
        outputTokens: 48,
        totalTokens: 613,
        cachedInputTokens: 0,
      });
      expect(message.finishReason).toBe('tool-calls');
    });

    it('emits a tool call cut off by max_tokens as incomplete with its partial arguments', () => {
      const { events, message, error } = decode('max-tokens-partial-tool-json.sse');
      expect(error).toBeUndefined();
      expect(message.text).toBe(
        "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file called taxes.txt. Let me do that for you now.",
      );
      const argsText =
        '{"filename": "taxes.txt", "lines_of_text": [\n"# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s",\n"",\n"## INTRODUCTION",\n"",\n"Filing taxes';
      // Both Anthropic SDKs read cut-off input as complete values only: the unterminated last
      // string ("Filing taxes") is dropped (anthropic-sdk-python's EXPECTED_INCOMPLETE_MESSAGE for
      // this very fixture); argsText keeps every byte that streamed.
      expect(message.toolCalls).toEqual([
        {
          id: 'toolu_01EKqbqmZrGRXy18eN7m9kvY',
          name: 'make_file',
          args: {
            filename: 'taxes.txt',
            lines_of_text: [
              '# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s',
              '',
              '## INTRODUCTION',
              '',
            ],
          },
          argsText,
          incomplete: true,
        },
      ]);
      // The incomplete call is emitted before the finish that explains it.
      expect(events.slice(-3).map((event) => event.type)).toEqual(['tool-call', 'finish', 'usage']);
      expect(events.at(-2)).toEqual({ type: 'finish', reason: 'length', rawReason: 'max_tokens' });
      expect(message.usage).toEqual({
        inputTokens: 450,
        outputTokens: 124,
        totalTokens: 574,
        cachedInputTokens: 0,
      });
    });

    it('emits thinking as reasoning and the signature as an empty reasoning delta', () => {
      const { events, message, error } = decode('thinking-signature.sse');
      expect(error).toBeUndefined();
      expect(message.reasoning).toBe(
        'This is a straightforward question about pedestrian safety. I should provide clear, helpful advice about how to safely cross a street. This is basic safety information that could help prevent accidents.',
      );
      // The final thinking_delta is empty and produces no event.
      expect(events.filter((event) => event.type === 'reasoning' && event.text === '')).toHaveLength(1);
      const signed = events.find((event) => event.type === 'reasoning' && event.signature !== undefined);
      expect(signed).toMatchObject({ type: 'reasoning', text: '' });
      const signature = (signed as { signature: string }).signature;
      expect(signature).toHaveLength(504);
      expect(signature.startsWith('EvMCCkYICxgCKkCHP2cS')).toBe(true);
      expect(signature.endsWith('gb7wwzDvP/UhjfQYAQ==')).toBe(true);
      expect(message.text).toHaveLength(1021);
      expect(
        message.text.startsWith('Here are the basic steps for safely crossing the street:\n\n**At'),
      ).toBe(true);
      expect(message.text.endsWith('Always prioritize safety over speed when crossing streets.')).toBe(true);
      expect(message.usage).toEqual({
        inputTokens: 43,
        outputTokens: 282,
        totalTokens: 325,
        cachedInputTokens: 0,
      });
      expect(message.finishReason).toBe('stop');
    });

    it('emits each redacted_thinking block as one reasoning event carrying its data', () => {
      const { events, message, error } = decode('redacted-thinking.sse');
      expect(error).toBeUndefined();
      const redacted = events.filter((event) => event.type === 'reasoning');
      expect(redacted).toHaveLength(2);
      const [first, second] = redacted as Array<{ text: string; redacted: string }>;
      expect(first!.text).toBe('');
      expect(first!.redacted).toHaveLength(744);
      expect(first!.redacted.startsWith('EqkECkYIBxgCKkA8AZ4noDfV')).toBe(true);
      expect(first!.redacted.endsWith('AhDIXXjpot45vnBd4ewJ/hgB')).toBe(true);
      expect(second).toEqual({
        type: 'reasoning',
        text: '',
        redacted:
          'EtgBCkYIBxgCKkDQfGkwzflEJP5asG3oQfJXcTwJLoRznn8CmuczWCsJ36dv93X9H0NCeaJRbi5BrCA2DyMgFnRKRuzZx8VTv5axEgwkFmcHJk8BSiZMZRQaDDYv2KZPfbFgRa2QjyIwm47f5YYsSK9CT/oh/WWpU1HJJVHr8lrC6HG1ItRdtMvYQYmEGy+KhyfcIACfbssVKkDGv/NKqNMOAcu0bd66gJ2+R1R0PX11Jxn2Nd1JtZqkxx7vMT/PXtHDhm9jkDZ2k/6RjRRFuab/DBV3yRYdZ1J0GAE=',
      });
      expect(message.reasoning).toBe('');
      expect(message.text).toBe(
        "I notice that you've sent what appears to be some kind of test string or command. I don't have any special \"magic string\" triggers or backdoor commands that would expose internal systems or change my behavior.\n\nI'm Claude, an AI assistant created by Anthropic to be helpful, harmless, and honest. How can I assist you today with a legitimate task or question?",
      );
      expect(message.usage).toEqual({
        inputTokens: 92,
        outputTokens: 189,
        totalTokens: 281,
        cachedInputTokens: 0,
      });
      expect(message.finishReason).toBe('stop');
    });

    it('maps stop_reason refusal to a refusal finish with no text', () => {
      const { events, message, error } = decode('refusal-stop-reason.sse');
      expect(error).toBeUndefined();
      expect(events.slice(1)).toEqual([
        { type: 'usage', inputTokens: 20, outputTokens: 1, totalTokens: 21 },
        { type: 'finish', reason: 'refusal', rawReason: 'refusal' },
        { type: 'usage', inputTokens: 20, outputTokens: 0, totalTokens: 20 },
      ]);
      expect(message.text).toBe('');
      expect(message.finishReason).toBe('refusal');
    });

    it('throws an overloaded error event as a retryable overloaded RxllmError', () => {
      const { events, error } = decode('error-overloaded.sse');
      expect(events).toEqual([]);
      expect(error).toMatchObject({
        code: 'overloaded',
        retryable: true,
        dialect: 'anthropic',
        providerCode: 'overloaded_error',
        message: 'anthropic: overloaded_error: Overloaded',
      });
      expect(error?.partial?.text).toBe('');
    });

    it('keeps the text before a mid-stream error and the request id', () => {
      const { error } = decode('error-overloaded-midstream-spliced.sse');
      expect(RxllmError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'overloaded',
        providerCode: 'overloaded_error',
        requestId: 'req_011Ce3HwQb6vtbs9LQVmh4oe',
      });
      expect(error?.partial).toMatchObject({
        id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK',
        text: 'Hello there',
        // The input count from message_start survives the failure.
        usage: { inputTokens: 11, outputTokens: 1, totalTokens: 12 },
        finishReason: 'error',
      });
    });
  });

  describe('usage', () => {
    it('counts prompt-cache reads and writes into inputTokens, reads as cachedInputTokens, writes as cacheWriteTokens', () => {
      const { events, error } = feed([
        messageStart({
          input_tokens: 3,
          cache_read_input_tokens: 1200,
          cache_creation_input_tokens: 40,
          output_tokens: 1,
        }),
        textDelta('x'),
        messageDelta('end_turn', { output_tokens: 7 }),
        messageStop,
      ]);
      expect(error).toBeUndefined();
      expect(events.at(-1)).toEqual({
        type: 'usage',
        inputTokens: 1243,
        outputTokens: 7,
        totalTokens: 1250,
        cachedInputTokens: 1200,
        cacheWriteTokens: 40,
      });
    });

    it('prefers message_delta input counts over message_start ones', () => {
      const { events } = feed([
        messageStart({ input_tokens: 3, output_tokens: 1 }),
        messageDelta('end_turn', { input_tokens: 5, output_tokens: 2 }),
        messageStop,
      ]);
      expect(events.at(-1)).toEqual({ type: 'usage', inputTokens: 5, outputTokens: 2, totalTokens: 7 });
    });
  });

  it.each([
    ['stop_sequence', 'stop'],
    ['pause_turn', 'other'],
    ['max_tokens', 'length'],
    ['something_new', 'other'],
  ])('maps stop_reason %s to %s', (raw, reason) => {
    const { events } = feed([messageStart(), messageDelta(raw), messageStop]);
    expect(events).toContainEqual({ type: 'finish', reason, rawReason: raw });
  });

  it('names the dialect and quotes the line of a broken known event', () => {
    const line = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":42}}';
    const { events, error } = feed([messageStart(), ['content_block_delta', line]]);
    expect(events.map((event) => event.type)).toEqual(['start', 'usage']);
    expect(error).toMatchObject({ code: 'malformed', dialect: 'anthropic', line });
    expect(error?.message).toContain('text_delta without text');
  });

  it('reports invalid JSON as malformed', () => {
    const { error } = feed([['message_start', '{"type":"message_start","mess']]);
    expect(error).toMatchObject({
      code: 'malformed',
      dialect: 'anthropic',
      line: '{"type":"message_start","mess',
    });
  });

  it('reports an input_json_delta for a block that never started as malformed', () => {
    const { error } = feed([
      messageStart(),
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 3,
          delta: { type: 'input_json_delta', partial_json: '{}' },
        },
      ],
    ]);
    expect(error).toMatchObject({ code: 'malformed', dialect: 'anthropic' });
  });

  describe('block indices, near and far', () => {
    // Whatever index the wire names, a block is found again by that index and no other: the
    // decoder keeps block 0 in a field and the others (large, negative, fractional) in a Map.
    const indices = [1, 0, 63, 64, 1_000_000_000, -1, 2.5];
    const toolStart = (index: number): [string, unknown] => [
      'content_block_start',
      {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: `toolu_${index}`, name: 'f', input: {} },
      },
    ];
    const argsDelta = (index: number, partial_json: string): [string, unknown] => [
      'content_block_delta',
      { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } },
    ];
    const blockStop = (index: number): [string, unknown] => [
      'content_block_stop',
      { type: 'content_block_stop', index },
    ];

    it("routes each tool block's arguments and stop by its own index", () => {
      const { events, error } = feed([
        messageStart(),
        ...indices.map(toolStart),
        ...indices.map((index) => argsDelta(index, `{"at": `)),
        ...indices.map((index) => argsDelta(index, `${JSON.stringify(String(index))}}`)),
        ...[...indices].reverse().map(blockStop),
        messageDelta('tool_use'),
        messageStop,
      ]);
      expect(error).toBeUndefined();
      const calls = events.filter((event) => event.type === 'tool-call');
      expect(calls).toEqual(
        [...indices].reverse().map((index) => ({
          type: 'tool-call',
          id: `toolu_${index}`,
          name: 'f',
          index: indices.indexOf(index),
          args: { at: String(index) },
          argsText: `{"at": ${JSON.stringify(String(index))}}`,
        })),
      );
    });

    it.each([
      [0, 64],
      [128, 64],
      [0, 1_000_000_000],
      [2, 2.5],
      [65, 1],
      [63, -1],
      [1, 0],
      [-0.5, 0],
    ])('finds no block at %p when only %p started', (missing, started) => {
      const { error } = feed([messageStart(), toolStart(started), argsDelta(missing, '{}')]);
      expect(error).toMatchObject({ code: 'malformed', dialect: 'anthropic' });
      expect(error?.message).toContain('input_json_delta for a block that never started');
    });
  });

  it('skips unknown event and delta types', () => {
    const { events, error } = feed([
      messageStart(),
      ['future_event', { type: 'future_event', anything: [1, 2] }],
      textStart,
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'citations_delta', citation: {} } },
      ],
      textDelta('ok'),
      messageDelta('end_turn'),
      messageStop,
    ]);
    expect(error).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['start', 'usage', 'text', 'finish', 'usage']);
  });

  it('emits one start for a duplicated message_start and keeps the text streamed between them', () => {
    const { events, error } = feed([
      messageStart(),
      textStart,
      textDelta('Hel'),
      messageStart({ input_tokens: 99, output_tokens: 1 }),
      textDelta('lo'),
      messageDelta('end_turn', { output_tokens: 2 }),
      messageStop,
    ]);
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'start', provider: 'anthropic', id: 'msg_1', model: 'claude-x' },
      { type: 'usage', inputTokens: 10, outputTokens: 1, totalTokens: 11 },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'finish', reason: 'stop', rawReason: 'end_turn' },
      { type: 'usage', inputTokens: 10, outputTokens: 2, totalTokens: 12 },
    ]);
  });

  it('throws a network error from end() when the stream stops before message_stop', () => {
    const { events, error } = feed([messageStart(), textStart, textDelta('partial')]);
    expect(events.map((event) => event.type)).toEqual(['start', 'usage', 'text']);
    expect(error).toMatchObject({ code: 'network', dialect: 'anthropic', retryable: true });
  });

  it('fails a recorded stream cut before message_delta with network, keeping the partial text', () => {
    const bytes = fixtureBytes('anthropic/text-basic-no-trailing-newline.sse');
    const cut = Buffer.from(bytes).indexOf('event: content_block_stop');
    const { message, error } = decodeChunks('anthropic', [bytes.subarray(0, cut)]);
    expect(error).toMatchObject({ code: 'network', dialect: 'anthropic' });
    expect(message).toMatchObject({
      text: 'Hello there!',
      finishReason: null,
      usage: { inputTokens: 11, outputTokens: 1, totalTokens: 12 },
    });
  });

  it('flushes an open tool call as incomplete before the network error of a cut stream', () => {
    const { events, error } = feed([
      messageStart(),
      [
        'content_block_start',
        {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'search', input: {} },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: '{"q": "ca", "n": 1, "lang": "e' },
        },
      ],
    ]);
    expect(error).toMatchObject({ code: 'network' });
    // Complete values only, as Anthropic's SDKs read cut-off input: the unfinished "e" is dropped.
    expect(events.at(-1)).toEqual({
      type: 'tool-call',
      id: 'toolu_1',
      name: 'search',
      index: 0,
      args: { q: 'ca', n: 1 },
      argsText: '{"q": "ca", "n": 1, "lang": "e',
      incomplete: true,
    });
  });

  it('takes the provider label from the options', () => {
    const events: RxllmEvent[] = [];
    const decoder = createAnthropicDecoder((event) => events.push(event), { provider: 'bedrock' });
    decoder.message(JSON.stringify(messageStart()[1]), 'message_start');
    expect(events).toEqual([
      { type: 'start', provider: 'bedrock', id: 'msg_1', model: 'claude-x' },
      { type: 'usage', inputTokens: 10, outputTokens: 1, totalTokens: 11 },
    ]);
  });

  it('turns an error event with a non-JSON body into a provider error', () => {
    const { error } = feed([messageStart(), ['error', 'upstream connect error']]);
    expect(error).toMatchObject({ code: 'provider', dialect: 'anthropic' });
    expect(error?.message).toContain('upstream connect error');
  });
});
