import { RxllmError } from '../../src/base/errors';
import { getDialect } from '../../src/wire/dialects';
import { createOpenAIResponsesDecoder } from '../../src/wire/openai-responses/decoder';
import { decodeChunks, decodeFixtureEveryWay, feedDecoder, fixtureBytes } from '../support/decodeFixture';

const decode = (name: string) => decodeFixtureEveryWay('openai-responses', name);

/** Feeds data-only SSE events (JSON objects or raw strings) straight to a fresh decoder. */
const feed = (messages: unknown[], end = true) =>
  feedDecoder(
    createOpenAIResponsesDecoder,
    messages.map((message) => [message] as const),
    end,
  );

const created = {
  type: 'response.created',
  response: { id: 'resp_1', model: 'gpt-x', created_at: 1700000000, status: 'in_progress', output: [] },
};
const completed = (usage: unknown = null) => ({
  type: 'response.completed',
  response: { id: 'resp_1', status: 'completed', usage },
});
const textDelta = (delta: string) => ({
  type: 'response.output_text.delta',
  item_id: 'msg_1',
  output_index: 0,
  content_index: 0,
  delta,
});
const functionCallAdded = (callId: string, itemId: string, name: string, outputIndex = 0) => ({
  type: 'response.output_item.added',
  output_index: outputIndex,
  item: { type: 'function_call', id: itemId, call_id: callId, name, arguments: '', status: 'in_progress' },
});
const argsDelta = (itemId: string, delta: string) => ({
  type: 'response.function_call_arguments.delta',
  item_id: itemId,
  output_index: 0,
  delta,
});

describe('createOpenAIResponsesDecoder', () => {
  it('is registered as the openai-responses SSE dialect', () => {
    const dialect = getDialect('openai-responses', 'decode');
    expect(dialect.framing).toBe('sse');
    expect(dialect.createDecoder).toBe(createOpenAIResponsesDecoder);
  });

  describe('fixtures', () => {
    it('decodes a text stream whose events carry no sequence_number, in order', () => {
      const { events, message, error } = decode('openai-responses/text-no-sequence-number.sse');
      expect(error).toBeUndefined();
      expect(events).toEqual([
        {
          type: 'start',
          provider: 'openai',
          id: 'resp_67e554a21aa88191b65876ac5e5bbe0406c52f0e511c76ed',
          model: 'gpt-4o-2024-08-06',
          created: 1743082658000,
        },
        { type: 'text', text: 'The' },
        { type: 'text', text: ' capital' },
        { type: 'text', text: ' of' },
        { type: 'text', text: ' France' },
        { type: 'text', text: ' is' },
        { type: 'text', text: ' Paris' },
        { type: 'text', text: '.' },
        { type: 'finish', reason: 'stop', rawReason: 'completed' },
        {
          type: 'usage',
          inputTokens: 278,
          outputTokens: 9,
          totalTokens: 287,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
      ]);
      expect(message).toEqual({
        id: 'resp_67e554a21aa88191b65876ac5e5bbe0406c52f0e511c76ed',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        text: 'The capital of France is Paris.',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: {
          inputTokens: 278,
          outputTokens: 9,
          totalTokens: 287,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
        finishReason: 'stop',
      });
    });

    it('ignores response.queued in a background-mode stream', () => {
      const { events, message, error } = decode('openai-responses/background-queued.sse');
      expect(error).toBeUndefined();
      expect(events.filter((event) => event.type === 'start')).toHaveLength(1);
      expect(message.text).toBe('2 + 2 equals 4.');
      expect(message.usage).toEqual({
        inputTokens: 15,
        outputTokens: 9,
        totalTokens: 24,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      });
      expect(message.finishReason).toBe('stop');
    });

    it('exposes a function call under its call_id and finishes with tool-calls', () => {
      const { events, message, error } = decode('openai-responses/function-call.sse');
      expect(error).toBeUndefined();
      const id = 'call_kL0PCQV7M2WMoVX8V8OtYSAL';
      expect(events.slice(1)).toEqual([
        { type: 'tool-call-start', id, name: 'get_capital', index: 0 },
        { type: 'tool-call-delta', id, index: 0, argsText: '{"' },
        { type: 'tool-call-delta', id, index: 0, argsText: 'country' },
        { type: 'tool-call-delta', id, index: 0, argsText: '":"' },
        { type: 'tool-call-delta', id, index: 0, argsText: 'France' },
        { type: 'tool-call-delta', id, index: 0, argsText: '"}' },
        {
          type: 'tool-call',
          id,
          name: 'get_capital',
          index: 0,
          args: { country: 'France' },
          argsText: '{"country":"France"}',
        },
        { type: 'finish', reason: 'tool-calls', rawReason: 'completed' },
        {
          type: 'usage',
          inputTokens: 255,
          outputTokens: 16,
          totalTokens: 271,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
      ]);
      expect(message.text).toBe('');
      expect(message.toolCalls).toEqual([
        { id, name: 'get_capital', args: { country: 'France' }, argsText: '{"country":"France"}' },
      ]);
    });

    it('keeps encrypted reasoning as redacted and counts reasoning tokens', () => {
      const { events, message, error } = decode('openai-responses/reasoning-item-function-call-usage.sse');
      expect(error).toBeUndefined();
      const reasoning = events.filter((event) => event.type === 'reasoning');
      expect(reasoning).toHaveLength(1);
      const { text, redacted, itemId } = reasoning[0] as { text: string; redacted: string; itemId: string };
      expect(text).toBe('');
      // The item's id, which the next request's input sends the item back under.
      expect(itemId).toBe('rs_0050471a34b36ae60068c97bac4dcc819595fd0f80d6b3c405');
      // The encrypted_content of output_item.done, not the different one of output_item.added.
      expect(redacted).toHaveLength(3896);
      expect(redacted.startsWith('gAAAAABoyXvxI6jwG5j6')).toBe(true);
      expect(redacted.endsWith('IVgXKYQko02bg-rk3VE=')).toBe(true);
      expect(message.reasoning).toBe('');
      expect(message.toolCalls).toEqual([
        {
          id: 'call_CWXgs68YprAjp6t0371hiPOI',
          name: 'final_result',
          args: { result: 6666 },
          argsText: '{"result":6666}',
        },
      ]);
      expect(message.usage).toEqual({
        inputTokens: 53,
        outputTokens: 469,
        totalTokens: 522,
        cachedInputTokens: 0,
        reasoningTokens: 448,
      });
      expect(message.finishReason).toBe('tool-calls');
    });

    it('joins reasoning summary parts with a blank line sent with the next part', () => {
      const { events, message, error } = decode('openai-responses/reasoning-summary-text.sse');
      expect(error).toBeUndefined();
      expect(message.id).toBe('resp_68c42d0fb418819dbfa579f69406b49508fbf9b1584184ff');
      expect(message.model).toBe('o3-mini-2025-01-31');
      const reasoning = events.filter((event) => event.type === 'reasoning');
      // 383 summary deltas plus the encrypted reasoning item.
      expect(reasoning).toHaveLength(384);
      expect(reasoning.filter((event) => event.text.startsWith('\n\n')).map((event) => event.text)).toEqual([
        '\n\n**Expl',
        '\n\n**Sharing',
        '\n\n**Providing',
      ]);
      expect(message.reasoning).toHaveLength(2028);
      expect(
        message.reasoning.startsWith('**Providing street crossing instructions**\n\nThe user is aski'),
      ).toBe(true);
      expect(message.reasoning).toContain('.\n\n**Explaining street crossing safety**\n\nI see that ');
      expect(message.reasoning).toContain('\n\n**Sharing street crossing safety tips**\n\nWhen cros');
      expect(message.reasoning).toContain('\n\n**Providing safe crossing advice**\n\nI’m going to s');
      expect(message.reasoning.endsWith(' whenever possible. It will be clear and easy to understand!')).toBe(
        true,
      );
      const redacted = reasoning.at(-1) as { text: string; redacted: string };
      expect(redacted.text).toBe('');
      expect(redacted.redacted).toHaveLength(440);
      expect(redacted.redacted.startsWith('gAAAAABoxC0m_QWpOlSt')).toBe(true);
      expect(events.filter((event) => event.type === 'text')).toHaveLength(271);
      expect(message.text).toHaveLength(1251);
      expect(message.text.startsWith("I'm not a road safety professional, but here are some genera")).toBe(
        true,
      );
      expect(message.text.endsWith('ze yourself with the rules specific to your area. Stay safe!')).toBe(
        true,
      );
      expect(message.usage).toEqual({
        inputTokens: 13,
        outputTokens: 1680,
        totalTokens: 1693,
        cachedInputTokens: 0,
        reasoningTokens: 1408,
      });
      expect(message.finishReason).toBe('stop');
    });

    it('decodes DeepSeek raw reasoning_text and a function call with cached tokens', () => {
      const { message, error } = decode('openai-responses/deepseek-reasoning-text-function-call.sse');
      expect(error).toBeUndefined();
      expect(message).toEqual({
        id: '1235b7ba-fdc9-4a1c-bfe4-6137c207baf3',
        provider: 'openai',
        model: 'deepseek-v4-flash',
        text: '',
        reasoning: "The user asks about temperature in Tokyo. I'll call the tool.",
        refusal: '',
        toolCalls: [
          {
            id: 'call_00_xjY8Z2BvSlzgEmmw0DtH0464',
            name: 'get_temperature',
            args: { city: 'Tokyo' },
            argsText: '{"city": "Tokyo"}',
          },
        ],
        usage: {
          inputTokens: 366,
          outputTokens: 59,
          totalTokens: 425,
          cachedInputTokens: 256,
          reasoningTokens: 14,
        },
        finishReason: 'tool-calls',
      });
    });

    it("decodes OpenRouter's data-only stream, ended by [DONE], by the JSON type", () => {
      const { events, message, error } = decode('openrouter/responses-api-data-only-done.sse');
      expect(error).toBeUndefined();
      expect(events[0]).toEqual({
        type: 'start',
        provider: 'openai',
        id: 'gen-1764265411-Fu1iEX7h5MRWiL79lb94',
        model: 'openai/gpt-oss-20b',
        created: 1764265411000,
      });
      expect(events.filter((event) => event.type === 'reasoning')).toHaveLength(26);
      // The reasoning item's late done events repeat nothing.
      expect(message.reasoning).toBe(
        'The user asks: "What is 2+2?" They expect a straightforward answer: 4. Just answer 4.',
      );
      expect(message.text).toBe('4');
      expect(message.usage).toEqual({
        inputTokens: 78,
        outputTokens: 37,
        totalTokens: 115,
        cachedInputTokens: 0,
        reasoningTokens: 22,
        cost: 0.0000113,
      });
      expect(message.finishReason).toBe('stop');
    });

    it('throws the nested insufficient_quota error as a non-retryable rate-limit with status 429', () => {
      const { events, error } = decode('openai-responses/error-insufficient-quota.sse');
      expect(events.map((event) => event.type)).toEqual(['start']);
      expect(RxllmError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'rate-limit',
        status: 429,
        retryable: false,
        dialect: 'openai-responses',
        providerCode: 'insufficient_quota',
      });
      expect(error?.message).toContain(
        'You exceeded your current quota, please check your plan and billing details.',
      );
      expect(error?.partial).toMatchObject({
        id: 'resp_05500b38c2cd9bfc00691c7c9d222481a3b595421266dab424',
        text: '',
        usage: null,
        finishReason: 'error',
      });
    });
  });

  it('reads a top-level error event code and message', () => {
    const { error } = feed([
      created,
      textDelta('Hi'),
      { type: 'error', code: 'server_overloaded', message: 'try later', param: null },
    ]);
    expect(error).toMatchObject({ code: 'overloaded', providerCode: 'server_overloaded', retryable: true });
    expect(error?.message).toContain('try later');
  });

  it('throws response.failed with the response error', () => {
    const { error } = feed([
      created,
      {
        type: 'response.failed',
        response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'boom' } },
      },
    ]);
    // A server_error is what a 500 says over HTTP: retryable.
    expect(error).toMatchObject({
      code: 'http',
      status: 500,
      retryable: true,
      providerCode: 'server_error',
      dialect: 'openai-responses',
    });
    expect(error?.message).toContain('boom');
  });

  it.each([
    ['max_output_tokens', 'length'],
    ['content_filter', 'content-filter'],
  ])('maps response.incomplete for %s to %s', (why, reason) => {
    const { events, error } = feed([
      created,
      textDelta('Hel'),
      {
        type: 'response.incomplete',
        response: {
          status: 'incomplete',
          incomplete_details: { reason: why },
          usage: { input_tokens: 4, output_tokens: 16, total_tokens: 20 },
        },
      },
    ]);
    expect(error).toBeUndefined();
    expect(events.slice(-2)).toEqual([
      { type: 'finish', reason, rawReason: why },
      { type: 'usage', inputTokens: 4, outputTokens: 16, totalTokens: 20 },
    ]);
  });

  it('emits a function call cut off by max_output_tokens as incomplete', () => {
    const { events, error } = feed([
      created,
      functionCallAdded('call_a', 'fc_a', 'search'),
      argsDelta('fc_a', '{"query": "weather", "city": "Par'),
      {
        type: 'response.incomplete',
        response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: null },
      },
    ]);
    expect(error).toBeUndefined();
    expect(events.slice(-2)).toEqual([
      {
        type: 'tool-call',
        id: 'call_a',
        name: 'search',
        index: 0,
        args: { query: 'weather' },
        argsText: '{"query": "weather", "city": "Par',
        incomplete: true,
      },
      { type: 'finish', reason: 'length', rawReason: 'max_output_tokens' },
    ]);
  });

  it('numbers parallel function calls in order and routes deltas by item id', () => {
    const { events, error } = feed([
      created,
      functionCallAdded('call_a', 'fc_a', 'first', 0),
      functionCallAdded('call_b', 'fc_b', 'second', 1),
      argsDelta('fc_b', '{}'),
      argsDelta('fc_a', '{"x":1}'),
      { type: 'response.function_call_arguments.done', item_id: 'fc_a', arguments: '{"x":1}' },
      { type: 'response.function_call_arguments.done', item_id: 'fc_b', arguments: '{}' },
      completed(),
    ]);
    expect(error).toBeUndefined();
    expect(events.filter((event) => event.type === 'tool-call')).toEqual([
      { type: 'tool-call', id: 'call_a', name: 'first', index: 0, args: { x: 1 }, argsText: '{"x":1}' },
      { type: 'tool-call', id: 'call_b', name: 'second', index: 1, args: {}, argsText: '{}' },
    ]);
  });

  it('sends the arguments of a call that streamed none as one delta', () => {
    const { events } = feed([
      created,
      functionCallAdded('call_a', 'fc_a', 'f'),
      {
        type: 'response.output_item.done',
        item: { type: 'function_call', id: 'fc_a', call_id: 'call_a', name: 'f', arguments: '{"y":2}' },
      },
      completed(),
    ]);
    expect(events.slice(1, 4)).toEqual([
      { type: 'tool-call-start', id: 'call_a', name: 'f', index: 0 },
      { type: 'tool-call-delta', id: 'call_a', index: 0, argsText: '{"y":2}' },
      { type: 'tool-call', id: 'call_a', name: 'f', index: 0, args: { y: 2 }, argsText: '{"y":2}' },
    ]);
  });

  it('emits refusal deltas as refusal', () => {
    const { events } = feed([
      created,
      {
        type: 'response.refusal.delta',
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: "I can't",
      },
      {
        type: 'response.refusal.delta',
        item_id: 'msg_1',
        output_index: 0,
        content_index: 0,
        delta: ' help.',
      },
      completed(),
    ]);
    expect(events.filter((event) => event.type === 'refusal')).toEqual([
      { type: 'refusal', text: "I can't" },
      { type: 'refusal', text: ' help.' },
    ]);
  });

  it('names the dialect and quotes the line of a broken known event', () => {
    const line = '{"type":"response.output_text.delta","item_id":"msg_1","delta":null}';
    const { events, error } = feed([created, line]);
    expect(events.map((event) => event.type)).toEqual(['start']);
    expect(error).toMatchObject({ code: 'malformed', dialect: 'openai-responses', line });
    expect(error?.message).toContain('output_text.delta without a delta string');
  });

  it('reports arguments for a function call that was never added as malformed', () => {
    const { error } = feed([created, argsDelta('fc_missing', '{')]);
    expect(error).toMatchObject({ code: 'malformed', dialect: 'openai-responses' });
  });

  it('reports invalid JSON as malformed', () => {
    const { error } = feed([created, '{"type":"response.output_text.delta","del']);
    expect(error).toMatchObject({ code: 'malformed', line: '{"type":"response.output_text.delta","del' });
  });

  it('skips unknown event types', () => {
    const { events, error } = feed([
      created,
      { type: 'response.web_search_call.searching', item_id: 'ws_1' },
      { type: 'response.something_new', payload: { a: 1 } },
      textDelta('ok'),
      completed(),
    ]);
    expect(error).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['start', 'text', 'finish']);
  });

  it('emits one start when response.created repeats', () => {
    const { events } = feed([created, created, textDelta('a'), completed()]);
    expect(events.filter((event) => event.type === 'start')).toHaveLength(1);
  });

  it('throws a network error from end() when the stream stops before response.completed', () => {
    const { events, error } = feed([created, textDelta('Hel')]);
    expect(events.map((event) => event.type)).toEqual(['start', 'text']);
    expect(error).toMatchObject({ code: 'network', dialect: 'openai-responses', retryable: true });
  });

  it('fails a recorded stream cut before response.completed with network, keeping the partial text', () => {
    const bytes = fixtureBytes('openai-responses/text-no-sequence-number.sse');
    const cut = Buffer.from(bytes).indexOf('event: response.output_text.done');
    const { message, error } = decodeChunks('openai-responses', [bytes.subarray(0, cut)]);
    expect(error).toMatchObject({ code: 'network' });
    expect(message).toMatchObject({
      text: 'The capital of France is Paris.',
      finishReason: null,
      usage: null,
    });
  });
});
