import OpenAI from 'openai';
import { fixtureSource, serveByModel, type EventServer } from './serveEvents';

// Each request's `model` picks the recorded stream the server replays through toSSE.
const sources = {
  text: fixtureSource('openai-chat', 'openai-chat/text-include-usage.sse'),
  tools: fixtureSource('openai-chat', 'openai-chat/parallel-tool-calls.sse'),
  deepseek: fixtureSource('openai-chat', 'edge/deepseek-reasoning-content.sse'),
  claudeThinking: fixtureSource('anthropic', 'anthropic/thinking-signature.sse'),
  claudeTools: fixtureSource('anthropic', 'anthropic/tool-use.sse'),
  overloaded: fixtureSource('anthropic', 'anthropic/error-overloaded-midstream-spliced.sse'),
};
type SourceName = keyof typeof sources;

let server: EventServer;
let client: OpenAI;

beforeAll(async () => {
  server = await serveByModel(sources, 'openai-chat');
  client = new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1`, maxRetries: 0 });
});

afterAll(() => server.close());

const request = (model: SourceName) => ({
  model,
  messages: [{ role: 'user' as const, content: 'Hi' }],
});

/** Iterates `chat.completions.create({ stream: true })` and joins what each chunk carries. */
async function iterate(model: SourceName) {
  const stream = await client.chat.completions.create({ ...request(model), stream: true });
  const seen = {
    ids: new Set<string>(),
    models: new Set<string>(),
    roles: [] as string[],
    text: '',
    reasoning: '',
    finishReasons: [] as string[],
    usage: undefined as OpenAI.CompletionUsage | undefined,
    calls: [] as Array<{ id: string; name: string; arguments: string }>,
    error: undefined as unknown,
  };
  try {
    for await (const chunk of stream) {
      seen.ids.add(chunk.id);
      seen.models.add(chunk.model);
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) seen.usage = chunk.usage;
      for (const choice of chunk.choices) {
        const delta = choice.delta as OpenAI.ChatCompletionChunk.Choice.Delta & {
          reasoning_content?: string;
        };
        if (delta.role) seen.roles.push(delta.role);
        seen.text += delta.content ?? '';
        seen.reasoning += delta.reasoning_content ?? '';
        for (const call of delta.tool_calls ?? []) {
          const target = (seen.calls[call.index] ??= { id: '', name: '', arguments: '' });
          target.id += call.id ?? '';
          target.name += call.function?.name ?? '';
          target.arguments += call.function?.arguments ?? '';
        }
        if (choice.finish_reason) seen.finishReasons.push(choice.finish_reason);
      }
    }
  } catch (error) {
    seen.error = error;
  }
  return seen;
}

describe('toSSE openai-chat read by the openai client', () => {
  it('streams text, one role, the finish reason and the usage chunk to chat.completions.create', async () => {
    const seen = await iterate('text');
    expect(seen.error).toBeUndefined();
    expect([...seen.ids]).toEqual(['chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL']);
    expect([...seen.models]).toEqual(['gpt-4o-2024-08-06']);
    expect(seen.roles).toEqual(['assistant']);
    expect(seen.text).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(seen.finishReasons).toEqual(['stop']);
    expect(seen.usage).toEqual({
      prompt_tokens: 14,
      completion_tokens: 30,
      total_tokens: 44,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("gives the stream() helper's finalChatCompletion the whole message and usage", async () => {
    const completion = await client.chat.completions.stream(request('text')).finalChatCompletion();
    expect(completion.id).toBe('chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(completion.choices[0]!.message.content).toBe(sources.text.message.text);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe(44);
  });

  it('reproduces two parallel tool calls for finalChatCompletion', async () => {
    const completion = await client.chat.completions.stream(request('tools')).finalChatCompletion();
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        type: 'function',
        function: {
          name: 'GetWeatherArgs',
          arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
        },
      },
      {
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        type: 'function',
        function: { name: 'get_stock_price', arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}' },
      },
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 149, completion_tokens: 60, total_tokens: 209 });
  });

  it('streams tool call deltas by index to chat.completions.create', async () => {
    const seen = await iterate('tools');
    expect(seen.calls).toEqual([
      {
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
      },
      {
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
      },
    ]);
    expect(seen.text).toBe('');
  });

  it('streams DeepSeek reasoning as reasoning_content, then the answer, with reasoning tokens', async () => {
    const seen = await iterate('deepseek');
    expect(seen.reasoning).toHaveLength(882);
    expect(seen.reasoning).toBe(sources.deepseek.message.reasoning);
    expect(seen.reasoning.startsWith('Hmm, the user just said "Hello".')).toBe(true);
    expect(seen.text).toBe('Hello there! 😊 How can I help you today?');
    expect(seen.usage).toEqual({
      prompt_tokens: 6,
      completion_tokens: 212,
      total_tokens: 218,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 198 },
    });
  });

  it("serves Claude's thinking as reasoning_content and its tool call as an OpenAI tool call", async () => {
    const thinking = await iterate('claudeThinking');
    expect(thinking.reasoning).toBe(sources.claudeThinking.message.reasoning);
    expect(thinking.reasoning).toHaveLength(202);
    expect(thinking.text).toBe(sources.claudeThinking.message.text);
    expect([...thinking.ids]).toEqual(['msg_01ALwQ87pTS7hH1PjSdC9wJD']);
    expect(thinking.usage).toEqual({
      prompt_tokens: 43,
      completion_tokens: 282,
      total_tokens: 325,
      prompt_tokens_details: { cached_tokens: 0 },
    });

    const completion = await client.chat.completions.stream(request('claudeTools')).finalChatCompletion();
    expect(completion.choices[0]!.message.content).toBe("I'll check the current weather in Paris for you.");
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location": "Paris"}' },
      },
    ]);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('surfaces a mid-stream failure as an APIError after the partial text', async () => {
    const seen = await iterate('overloaded');
    expect(seen.text).toBe('Hello there');
    expect(seen.error).toBeInstanceOf(OpenAI.APIError);
    const error = seen.error as InstanceType<typeof OpenAI.APIError>;
    expect(error.message).toBe('Overloaded');
    expect(error.code).toBe('server_overloaded');
    expect(error.type).toBe('server_error');

    const runner = client.chat.completions.stream(request('overloaded'));
    let partial = '';
    runner.on('content', (delta) => (partial += delta));
    await expect(runner.finalChatCompletion()).rejects.toThrow('Overloaded');
    expect(partial).toBe('Hello there');
  });
});
