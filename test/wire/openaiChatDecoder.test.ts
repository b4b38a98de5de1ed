import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import type { ChoiceMessage, Message } from '../../src/base/message';
import { createOpenAIChatDecoder } from '../../src/wire/openai-chat/decoder';
import { decodeChunks, decodeFixtureEveryWay } from '../support/decodeFixture';

/** Decodes SSE text the way a source does; returns the events, the message and any error. */
const decode = (sse: string, provider?: string) =>
  decodeChunks('openai-chat', [sse], provider === undefined ? undefined : { provider });

/** One SSE data frame per chunk, JSON-encoded. */
const sse = (...chunks: unknown[]) =>
  chunks.map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`).join('');

const chunk = (delta: Record<string, unknown>, finish: string | null = null, index = 0) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'gpt-test',
  choices: [{ index, delta, finish_reason: finish }],
});

function expectLongText(actual: string, length: number, start: string, end: string): void {
  expect(actual).toHaveLength(length);
  expect(actual.startsWith(start)).toBe(true);
  expect(actual.endsWith(end)).toBe(true);
}

const byType = (events: RxllmEvent[], type: RxllmEvent['type']) =>
  events.filter((event) => event.type === type);

describe('createOpenAIChatDecoder', () => {
  describe('recorded transcripts', () => {
    it('decodes a finish_reason "length" after one token, with the usage chunk that follows', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/finish-length.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text: '{"',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 79, outputTokens: 1, totalTokens: 80, reasoningTokens: 0 },
        finishReason: 'length',
      });
      expect(events[0]).toEqual({
        type: 'start',
        id: 'chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        created: 1727346171000,
      });
      expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'length', rawReason: 'length' }]);
    });

    it('keeps the usage that arrives before a trailing moderation chunk', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/moderation-trailing-chunk.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-E4Rjs6IxaJVge9Ntk5keJsaeDy6vS',
        provider: 'openai',
        model: 'gpt-5-2025-08-07',
        text: 'Paris.',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 13,
          outputTokens: 11,
          totalTokens: 24,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
        finishReason: 'stop',
      });
      // start, two texts, finish, usage: the moderation chunk adds nothing.
      expect(events.map((event) => event.type)).toEqual(['start', 'text', 'text', 'finish', 'usage']);
    });

    it('keeps the three choices of an n=3 stream apart', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/multiple-choices-n3.sse',
      );
      expect(error).toBeUndefined();
      const choice = (index: number, temperature: number): ChoiceMessage => ({
        index,
        text: `{"city":"San Francisco","temperature":${temperature},"units":"f"}`,
        reasoning: '',
        refusal: '',
        toolCalls: [],
        finishReason: 'stop',
      });
      expect(message).toEqual<Message>({
        id: 'chatcmpl-ABfw2KKFuVXmEJgVwYfBvejMAdWtq',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text: '{"city":"San Francisco","temperature":65,"units":"f"}',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 79, outputTokens: 42, totalTokens: 121, reasoningTokens: 0 },
        finishReason: 'stop',
        choices: [choice(0, 65), choice(1, 61), choice(2, 59)],
      });
      expect(byType(events, 'finish')).toEqual([
        { type: 'finish', reason: 'stop', rawReason: 'stop' },
        { type: 'finish', reason: 'stop', rawReason: 'stop', choice: 1 },
        { type: 'finish', reason: 'stop', rawReason: 'stop', choice: 2 },
      ]);
      // Choice 0 never carries the field; no text event lacks its choice.
      for (const event of byType(events, 'text')) expect(event).not.toHaveProperty('choice', 0);
    });

    it('decodes two parallel tool calls, completing the first when the second starts', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/parallel-tool-calls.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text: '',
        reasoning: '',
        refusal: '',
        toolCalls: [
          {
            id: 'call_JMW1whyEaYG438VE1OIflxA2',
            name: 'GetWeatherArgs',
            args: { city: 'Edinburgh', country: 'GB', units: 'c' },
            argsText: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
          },
          {
            id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
            name: 'get_stock_price',
            args: { ticker: 'AAPL', exchange: 'NASDAQ' },
            argsText: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
          },
        ],
        usage: { inputTokens: 149, outputTokens: 60, totalTokens: 209, reasoningTokens: 0 },
        finishReason: 'tool-calls',
      });
      const structural = events
        .filter((event) => event.type !== 'tool-call-delta')
        .map((event) =>
          event.type === 'tool-call' || event.type === 'tool-call-start'
            ? `${event.type}:${event.index}`
            : event.type,
        );
      expect(structural).toEqual([
        'start',
        'tool-call-start:0',
        'tool-call:0',
        'tool-call-start:1',
        'tool-call:1',
        'finish',
        'usage',
      ]);
      expect(byType(events, 'tool-call-delta')[0]).toEqual({
        type: 'tool-call-delta',
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        index: 0,
        argsText: '{"ci',
      });
      expect(byType(events, 'finish')).toEqual([
        { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
      ]);
    });

    it('surfaces delta.refusal as refusal events, never as text', () => {
      const { message, events, error } = decodeFixtureEveryWay('openai-chat', 'openai-chat/refusal.sse');
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-ABfw4IfQfCCrcuybFm41wJyxjbkz7',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text: '',
        reasoning: '',
        refusal: "I'm sorry, I can't assist with that request.",
        toolCalls: [],
        usage: { inputTokens: 79, outputTokens: 11, totalTokens: 90, reasoningTokens: 0 },
        finishReason: 'stop',
      });
      expect(byType(events, 'text')).toEqual([]);
      expect(byType(events, 'refusal')).toHaveLength(10);
    });

    it('decodes plain text with include_usage', () => {
      const { message, error } = decodeFixtureEveryWay('openai-chat', 'openai-chat/text-include-usage.sse');
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text:
          "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
          'I recommend checking a reliable weather website or a weather app.',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 14, outputTokens: 30, totalTokens: 44, reasoningTokens: 0 },
        finishReason: 'stop',
      });
    });

    it('decodes 300 deltas with obfuscation padding and non-ASCII text', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/text-obfuscation-usage.sse',
      );
      expect(error).toBeUndefined();
      const { text, ...rest } = message;
      expectLongText(
        text,
        1724,
        '**Holiday Name:** Harmony Day\n\n**Date:**',
        'shared human experiences and mutual respect.',
      );
      expect(text).toContain('cultures’ histories');
      expect(text).toContain('different cultures—flags');
      expect(rest).toEqual({
        id: 'chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0',
        provider: 'openai',
        model: 'gpt-4.1-nano-2025-04-14',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 16,
          outputTokens: 300,
          totalTokens: 316,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
        finishReason: 'stop',
      });
      expect(byType(events, 'text')).toHaveLength(300);
    });

    it('decodes a single tool call in the current wire format', () => {
      const { message, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openai-chat/tool-call-obfuscation.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-Dx0XpqH8w09uBXwq1zFGYdETjtnEl',
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        text: '',
        reasoning: '',
        refusal: '',
        toolCalls: [
          {
            id: 'call_ZR5UUuTt3pf61kjwAJIYdVMj',
            name: 'get_capital',
            args: { country: 'UK' },
            argsText: '{"country":"UK"}',
          },
        ],
        usage: {
          inputTokens: 53,
          outputTokens: 15,
          totalTokens: 68,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
        finishReason: 'tool-calls',
      });
    });

    it('reads OpenRouter encrypted reasoning as a redacted reasoning event, with cached tokens and cost', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openrouter/cached-tokens-encrypted-reasoning.sse',
      );
      expect(error).toBeUndefined();
      const { text, ...rest } = message;
      expectLongText(
        text,
        284,
        "I'm Grok, an AI built by xAI. I'm designed",
        "along the way). What's on your mind?",
      );
      expect(rest).toEqual({
        id: 'gen-1762064096-m5VxL2xrxOREwashCey6',
        provider: 'openrouter',
        model: 'x-ai/grok-4',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 687,
          outputTokens: 187,
          totalTokens: 874,
          cachedInputTokens: 679,
          reasoningTokens: 118,
          cost: 0.00333825,
        },
        finishReason: 'stop',
      });
      const reasoning = byType(events, 'reasoning');
      expect(reasoning).toHaveLength(1);
      expect(reasoning[0]).toMatchObject({ type: 'reasoning', text: '' });
      const redacted = (reasoning[0] as { redacted?: string }).redacted ?? '';
      expectLongText(redacted, 799, 'B7oH6rUO9kQMWKmZOE/v', '9Mm89bGZgNW63Tbqiw38');
      expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'stop', rawReason: 'stop' }]);
    });

    it('throws OpenRouter’s in-band error after a doubled finish_reason, keeping reasoning and usage', () => {
      const { events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openrouter/midstream-error-after-length.sse',
      );
      expect(error).toBeInstanceOf(RxllmError);
      expect(error).toMatchObject({
        code: 'http',
        status: 400,
        message: 'openai-chat: 400: Token limit reached',
        dialect: 'openai-chat',
        retryable: false,
      });
      expect(error?.partial).toEqual<Message>({
        id: 'gen-1762179802-UN8pkJI4AGZvryk0kFnb',
        provider: 'openrouter',
        model: 'minimax/minimax-m2:free',
        text: '',
        reasoning: 'We need to respond to a greeting. The user',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 43,
          outputTokens: 10,
          totalTokens: 53,
          cachedInputTokens: 0,
          reasoningTokens: 11,
          cost: 0,
        },
        finishReason: 'error',
      });
      // finish_reason "length" arrives on two chunks: one finish event.
      expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'length', rawReason: 'length' }]);
      // reasoning and reasoning_details carry the same text: counted once.
      expect(byType(events, 'reasoning')).toEqual([
        { type: 'reasoning', text: 'We need' },
        { type: 'reasoning', text: ' to respond to a greeting. The user' },
      ]);
    });

    it('keeps the finish reason when a usage chunk after it says finish_reason null', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'openrouter/reasoning-comments-usage-after-finish.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'gen-1765226419-AGrwjunAftQIAgweibL8',
        provider: 'openrouter',
        model: 'anthropic/claude-sonnet-4.5',
        text: '2 + 2 = 4',
        reasoning: 'This is a simple arithmetic question. 2+2 equals 4.',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 43,
          outputTokens: 36,
          totalTokens: 79,
          cachedInputTokens: 0,
          reasoningTokens: 13,
          cost: 0.000669,
        },
        finishReason: 'stop',
      });
      const signature = byType(events, 'reasoning').find((event) => 'signature' in event) as
        { text: string; signature: string } | undefined;
      expect(signature?.text).toBe('');
      expectLongText(signature?.signature ?? '', 304, 'Et0BCkgIChACGAIqQA2s', 'Zy0GX0Rq1AXjvIcYAQ==');
      expect(events.at(-1)?.type).toBe('usage');
    });

    it('reads DeepSeek reasoning_content, usage on the finish chunk and prompt_cache_hit_tokens', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'edge/deepseek-reasoning-content.sse',
      );
      expect(error).toBeUndefined();
      const { reasoning, ...rest } = message;
      expectLongText(
        reasoning,
        882,
        'Hmm, the user just said "Hello".',
        "not reply further - and that's okay too.",
      );
      expect(rest).toEqual({
        id: '33be18fc-3842-486c-8c29-dd8e578f7f20',
        provider: 'deepseek',
        model: 'deepseek-reasoner',
        text: 'Hello there! 😊 How can I help you today?',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 6,
          outputTokens: 212,
          totalTokens: 218,
          cachedInputTokens: 0,
          reasoningTokens: 198,
        },
        finishReason: 'stop',
      });
      expect(events.slice(-2).map((event) => event.type)).toEqual(['finish', 'usage']);
    });

    it('throws Groq’s named error event, keeping the reasoning that arrived', () => {
      const { error } = decodeFixtureEveryWay('openai-chat', 'edge/groq-event-error-midstream.sse');
      expect(error).toMatchObject({
        code: 'http',
        status: 400,
        providerCode: 'tool_use_failed',
        dialect: 'openai-chat',
      });
      expect(error?.message).toBe(
        'openai-chat: tool_use_failed: Tool call validation failed: tool call validation failed: parameters for tool get_something_by_name ' +
          "did not match schema: errors: [missing properties: 'name', additionalProperties 'invalid_param' not allowed]",
      );
      const { reasoning, ...rest } = error!.partial!;
      expectLongText(
        reasoning,
        412,
        'We need to call the tool with invalid parameters',
        'call with name: "test". Let\'s do that.',
      );
      expect(rest).toEqual({
        id: 'chatcmpl-4f39f3af-3267-4ac1-a0cf-6aa7451877dc',
        provider: 'groq',
        model: 'openai/gpt-oss-120b',
        text: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: 'error',
      });
    });

    it('reads llama.cpp usage attached to the finish chunk', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'openai-chat',
        'llamacpp/tail-excerpt-finish-length-usage-timings.sse',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-kQFsJWnvaMyPYcKhTwTPK348Z9VFswDz',
        provider: 'llama.cpp',
        model: 'smollm2-Q4_K_M',
        text: ' to the',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 12, outputTokens: 25, totalTokens: 37 },
        finishReason: 'length',
      });
      expect(events.map((event) => event.type)).toEqual(['start', 'text', 'text', 'finish', 'usage']);
    });

    it('reads a vLLM stream with its extra fields', () => {
      const { message, error } = decodeFixtureEveryWay('openai-chat', 'vllm/text-include-usage-crusoe.sse');
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        id: 'chatcmpl-bcfbe349402eb3d2',
        provider: 'vllm',
        model: 'meta-llama/Llama-3.3-70B-Instruct',
        text: '1, 2, 3, 4, 5',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 46, outputTokens: 14, totalTokens: 60, cachedInputTokens: 0 },
        finishReason: 'stop',
      });
    });
  });

  describe('malformed and cut-short input', () => {
    it('throws malformed naming the dialect and quoting the line when choices is not an array', () => {
      const line = '{"id":"x","choices":{"index":0}}';
      const { error } = decode(sse(line));
      expect(error).toMatchObject({ code: 'malformed', dialect: 'openai-chat', line });
      expect(error?.message).toBe(`openai-chat: choices is not an array: ${line}`);
    });

    it('throws malformed when delta.content is a number', () => {
      const line = JSON.stringify(chunk({ content: 42 }));
      const { error } = decode(sse(line));
      expect(error).toMatchObject({ code: 'malformed', line });
      expect(error?.message).toContain('delta.content is neither a string nor an array of parts');
    });

    it('throws malformed for data that is not JSON', () => {
      const { error } = decode(sse(chunk({ content: 'Hi' }), '{"choices": [tru'));
      expect(error).toMatchObject({ code: 'malformed', line: '{"choices": [tru' });
      expect(error?.message).toBe('openai-chat: invalid JSON: {"choices": [tru');
      expect(error?.partial?.text).toBe('Hi');
    });

    it('throws a network error with the partial message when the stream ends before [DONE] or a finish', () => {
      const { error } = decode(
        sse(
          chunk({ role: 'assistant', content: '' }),
          chunk({ content: 'Hello' }),
          chunk({ content: ', wor' }),
        ),
      );
      expect(error).toMatchObject({ code: 'network', retryable: true, dialect: 'openai-chat' });
      expect(error?.message).toBe('openai-chat: stream ended before [DONE] or a finish_reason');
      expect(error?.partial).toMatchObject({ text: 'Hello, wor', finishReason: 'error', model: 'gpt-test' });
    });

    it('completes a cut-off tool call as incomplete with its partial arguments before the network error', () => {
      const { events, error } = decode(
        sse(
          chunk({
            tool_calls: [
              { index: 0, id: 'call_a', type: 'function', function: { name: 'find', arguments: '' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"query": "rx", "lang": "e' } }] }),
        ),
      );
      expect(error?.code).toBe('network');
      expect(events.at(-1)).toEqual({
        type: 'tool-call',
        id: 'call_a',
        name: 'find',
        index: 0,
        // Complete values only: the unfinished "e" is dropped, as the SDKs' partial parse does.
        args: { query: 'rx' },
        argsText: '{"query": "rx", "lang": "e',
        incomplete: true,
      });
    });

    it('ends without error after a finish_reason even when [DONE] never comes', () => {
      const { message, error } = decode(sse(chunk({ content: 'Hi' }), chunk({}, 'stop')));
      expect(error).toBeUndefined();
      expect(message).toMatchObject({ text: 'Hi', finishReason: 'stop' });
    });

    it('marks tool arguments that are not valid JSON at finish as incomplete', () => {
      const { events } = decode(
        sse(
          chunk({
            tool_calls: [
              { index: 0, id: 'call_a', function: { name: 'find', arguments: '{"q": "a", "limit": 1' } },
            ],
          }),
          chunk({}, 'length'),
          '[DONE]',
        ),
      );
      expect(byType(events, 'tool-call')).toEqual([
        {
          type: 'tool-call',
          id: 'call_a',
          name: 'find',
          index: 0,
          // The trailing 1 may be the start of 10: only complete values are kept.
          args: { q: 'a' },
          argsText: '{"q": "a", "limit": 1',
          incomplete: true,
        },
      ]);
    });
  });

  describe('shapes', () => {
    it('skips unknown chunks and data-only keep-alives', () => {
      const plain = decode(sse(chunk({ content: 'Hi' }), chunk({}, 'stop'), '[DONE]'));
      const noisy = decode(
        ': keep-alive\n\n' +
          sse(
            {},
            { type: 'ping' },
            chunk({ content: 'Hi' }),
            { object: 'moderation', results: [] },
            'null',
            7,
          ) +
          sse(chunk({}, 'stop'), '[DONE]'),
      );
      expect(noisy.error).toBeUndefined();
      expect(noisy.events).toEqual(plain.events);
      expect(plain.events.map((event) => event.type)).toEqual(['start', 'text', 'finish']);
    });

    it('ignores anything after [DONE]', () => {
      const { events, error } = decode(
        sse(chunk({ content: 'Hi' }), chunk({}, 'stop'), '[DONE]', chunk({ content: 'late' })),
      );
      expect(error).toBeUndefined();
      expect(byType(events, 'text')).toEqual([{ type: 'text', text: 'Hi' }]);
    });

    it('keeps three interleaved choices apart, tool calls included', () => {
      const { events, message } = decode(
        sse(
          chunk({ content: 'A' }, null, 0),
          chunk({ content: 'B' }, null, 1),
          chunk(
            { tool_calls: [{ index: 0, id: 'call_c', function: { name: 'f', arguments: '{}' } }] },
            null,
            2,
          ),
          chunk({ content: 'a' }, null, 0),
          chunk({ content: 'b' }, null, 1),
          chunk({}, 'stop', 0),
          chunk({}, 'length', 1),
          chunk({}, 'tool_calls', 2),
          '[DONE]',
        ),
      );
      expect(events.slice(1)).toEqual([
        { type: 'text', text: 'A' },
        { type: 'text', text: 'B', choice: 1 },
        { type: 'tool-call-start', id: 'call_c', name: 'f', index: 0, choice: 2 },
        { type: 'tool-call-delta', id: 'call_c', index: 0, argsText: '{}', choice: 2 },
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b', choice: 1 },
        { type: 'finish', reason: 'stop', rawReason: 'stop' },
        { type: 'finish', reason: 'length', rawReason: 'length', choice: 1 },
        { type: 'tool-call', id: 'call_c', name: 'f', index: 0, args: {}, argsText: '{}', choice: 2 },
        { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls', choice: 2 },
      ]);
      expect(message.choices?.map((choice) => choice.text)).toEqual(['Aa', 'Bb', '']);
    });

    it('reads empty-string arguments as {} and synthesizes an id where the server gives none', () => {
      const { events } = decode(
        sse(
          chunk({ tool_calls: [{ index: 0, function: { name: 'now', arguments: '' } }] }),
          chunk({}, 'tool_calls'),
          '[DONE]',
        ),
      );
      expect(byType(events, 'tool-call')).toEqual([
        { type: 'tool-call', id: 'call_0', name: 'now', index: 0, args: {}, argsText: '' },
      ]);
    });

    it('reports tool-calls when a server says stop after calling a tool, keeping the raw reason', () => {
      const { events } = decode(
        sse(
          chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{}' } }] }),
          chunk({}, 'stop'),
        ),
      );
      expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'tool-calls', rawReason: 'stop' }]);
    });

    it('reads the usage Groq reports in x_groq', () => {
      const { message } = decode(
        sse(chunk({ content: 'Hi' }), {
          ...chunk({}, 'stop'),
          x_groq: { id: 'req_1', usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } },
        }),
      );
      expect(message.usage).toEqual({ inputTokens: 9, outputTokens: 2, totalTokens: 11 });
    });

    it('reads reasoning_details text when no reasoning string carries it', () => {
      const { events } = decode(
        sse(
          chunk({ reasoning_details: [{ type: 'reasoning.text', text: 'Think' }] }),
          chunk({ reasoning_details: [{ type: 'reasoning.summary', summary: ' more' }] }),
          chunk({ content: 'Done' }, 'stop'),
        ),
      );
      expect(byType(events, 'reasoning')).toEqual([
        { type: 'reasoning', text: 'Think' },
        { type: 'reasoning', text: ' more' },
      ]);
    });

    it('maps an in-band OpenAI error chunk by its type and code', () => {
      const { error } = decode(
        sse(chunk({ content: 'Hi' }), {
          error: {
            message: 'Rate limit reached for gpt-test',
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        }),
      );
      expect(error).toMatchObject({
        code: 'rate-limit',
        providerCode: 'rate_limit_exceeded',
        message: 'openai-chat: rate_limit_exceeded: Rate limit reached for gpt-test',
        retryable: true,
      });
      expect(error?.partial?.text).toBe('Hi');
    });

    it('labels the start event with the provider given in the options', () => {
      const { events } = decode(sse(chunk({ content: 'Hi' }), chunk({}, 'stop')), 'lm-studio');
      expect(events[0]).toEqual({
        type: 'start',
        id: 'chatcmpl-1',
        provider: 'lm-studio',
        model: 'gpt-test',
        created: 1700000000000,
      });
    });

    it('emits through the emit callback synchronously, one call per event', () => {
      const seen: string[] = [];
      const decoder = createOpenAIChatDecoder((event) => seen.push(event.type));
      decoder.message(JSON.stringify(chunk({ content: 'Hi' })));
      expect(seen).toEqual(['start', 'text']);
      decoder.message(JSON.stringify(chunk({}, 'stop')));
      decoder.message('[DONE]');
      decoder.end();
      expect(seen).toEqual(['start', 'text', 'finish']);
    });
  });
});
