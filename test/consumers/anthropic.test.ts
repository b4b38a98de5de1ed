import Anthropic from '@anthropic-ai/sdk';
import { of } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { fixtureSource, serveByModel, type EventServer } from './serveEvents';

const sources = {
  text: fixtureSource('openai-chat', 'openai-chat/text-include-usage.sse'),
  tools: fixtureSource('openai-chat', 'openai-chat/parallel-tool-calls.sse'),
  thinking: fixtureSource('anthropic', 'anthropic/thinking-signature.sse'),
  redacted: fixtureSource('anthropic', 'anthropic/redacted-thinking.sse'),
  deepseek: fixtureSource('openai-chat', 'edge/deepseek-reasoning-content.sse'),
  overloaded: fixtureSource('anthropic', 'anthropic/error-overloaded-midstream-spliced.sse'),
  // Usage with prompt-cache reads and writes, as the anthropic decoder reads them (test/wire).
  cached: {
    events$: of<RxllmEvent[]>(
      { type: 'start', id: 'msg_cache', provider: 'anthropic', model: 'claude-sonnet-4-5' },
      { type: 'text', text: 'Hi' },
      { type: 'finish', reason: 'stop', rawReason: 'end_turn' },
      {
        type: 'usage',
        inputTokens: 1243,
        outputTokens: 7,
        totalTokens: 1250,
        cachedInputTokens: 1200,
        cacheWriteTokens: 40,
      },
    ),
  },
};
type SourceName = keyof typeof sources;

let server: EventServer;
let client: Anthropic;

beforeAll(async () => {
  server = await serveByModel(sources, 'anthropic');
  client = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
});

afterAll(() => server.close());

/** Runs `messages.stream()`, recording text and thinking deltas, and awaits `finalMessage()`. */
async function stream(model: SourceName) {
  const runner = client.messages.stream({
    model,
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'Hi' }],
  });
  let text = '';
  let thinking = '';
  const types: string[] = [];
  runner.on('streamEvent', (event) => types.push(event.type));
  runner.on('text', (delta) => (text += delta));
  runner.on('thinking', (delta) => (thinking += delta));
  let message: Anthropic.Message | undefined;
  let error: unknown;
  try {
    message = await runner.finalMessage();
  } catch (thrown) {
    error = thrown;
  }
  return { text, thinking, types, message, error };
}

describe('toSSE anthropic read by the @anthropic-ai/sdk client', () => {
  it('turns an OpenAI text stream into a Claude message with usage', async () => {
    const { text, types, message, error } = await stream('text');
    expect(error).toBeUndefined();
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const expected =
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.";
    expect(text).toBe(expected);
    expect(message!.id).toBe('chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL');
    expect(message!.model).toBe('gpt-4o-2024-08-06');
    expect(message!.role).toBe('assistant');
    expect(message!.content).toEqual([{ type: 'text', text: expected }]);
    expect(message!.stop_reason).toBe('end_turn');
    expect(message!.usage).toMatchObject({ input_tokens: 14, output_tokens: 30 });
  });

  it('reproduces two parallel OpenAI tool calls as tool_use blocks with parsed input', async () => {
    const { message } = await stream('tools');
    expect(message!.content).toEqual([
      {
        type: 'tool_use',
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        input: { city: 'Edinburgh', country: 'GB', units: 'c' },
      },
      {
        type: 'tool_use',
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        input: { ticker: 'AAPL', exchange: 'NASDAQ' },
      },
    ]);
    expect(message!.stop_reason).toBe('tool_use');
    expect(message!.usage).toMatchObject({ input_tokens: 149, output_tokens: 60 });
  });

  it('passes a thinking block through with its signature', async () => {
    const { thinking, text, message } = await stream('thinking');
    expect(thinking).toBe(sources.thinking.message.reasoning);
    expect(thinking).toHaveLength(202);
    expect(text).toBe(sources.thinking.message.text);
    expect(message!.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const block = message!.content[0] as Anthropic.ThinkingBlock;
    expect(block.thinking).toBe(thinking);
    expect(block.signature.startsWith('EvMCCkYICxgCKkCHP2cSuEdcJK/0rFwqES/ecn+VurRpNTwI4XNyM0vnN')).toBe(
      true,
    );
    expect(message!.id).toBe('msg_01ALwQ87pTS7hH1PjSdC9wJD');
    expect(message!.usage).toMatchObject({ input_tokens: 43, output_tokens: 282 });
  });

  it('passes redacted thinking blocks through whole', async () => {
    const { message } = await stream('redacted');
    expect(message!.content.map((block) => block.type)).toEqual([
      'redacted_thinking',
      'redacted_thinking',
      'text',
    ]);
    expect((message!.content[2] as Anthropic.TextBlock).text).toBe(sources.redacted.message.text);
  });

  it("serves DeepSeek's reasoning_content as a thinking block before the answer", async () => {
    const { thinking, message } = await stream('deepseek');
    expect(thinking).toBe(sources.deepseek.message.reasoning);
    expect(message!.content).toEqual([
      { type: 'thinking', thinking, signature: '' },
      { type: 'text', text: 'Hello there! 😊 How can I help you today?' },
    ]);
    expect(message!.usage).toMatchObject({ input_tokens: 6, output_tokens: 212, cache_read_input_tokens: 0 });
  });

  it('writes cache reads and writes apart from input_tokens, as Anthropic counts them', async () => {
    const { text, message } = await stream('cached');
    expect(text).toBe('Hi');
    expect(message!.usage).toMatchObject({
      input_tokens: 3,
      cache_read_input_tokens: 1200,
      cache_creation_input_tokens: 40,
      output_tokens: 7,
    });
  });

  it('surfaces a mid-stream overloaded_error as an APIError after the partial text', async () => {
    const { text, error } = await stream('overloaded');
    expect(text).toBe('Hello there');
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.type).toBe('overloaded_error');
    expect(apiError.apiMessage).toBe('Overloaded');
  });
});
