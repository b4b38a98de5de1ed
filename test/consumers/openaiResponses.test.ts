import OpenAI from 'openai';
import { fixtureSource, serveByModel, type EventServer } from './serveEvents';

const sources = {
  text: fixtureSource('openai-chat', 'openai-chat/text-include-usage.sse'),
  responsesText: fixtureSource('openai-responses', 'openai-responses/text-no-sequence-number.sse'),
  tools: fixtureSource('openai-chat', 'openai-chat/parallel-tool-calls.sse'),
  claudeThinking: fixtureSource('anthropic', 'anthropic/thinking-signature.sse'),
  overloaded: fixtureSource('anthropic', 'anthropic/error-overloaded-midstream-spliced.sse'),
};
type SourceName = keyof typeof sources;

let server: EventServer;
let client: OpenAI;

beforeAll(async () => {
  server = await serveByModel(sources, 'openai-responses');
  client = new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1`, maxRetries: 0 });
});

afterAll(() => server.close());

/** Runs `responses.stream()` and records its events in order, the text deltas and the outcome. */
async function stream(model: SourceName) {
  const runner = client.responses.stream({ model, input: 'Hi' });
  const types: string[] = [];
  const sequence: number[] = [];
  let text = '';
  let reasoning = '';
  runner.on('event', (event) => {
    types.push(event.type);
    sequence.push(event.sequence_number);
  });
  runner.on('response.output_text.delta', (event) => (text += event.delta));
  runner.on('response.reasoning_summary_text.delta', (event) => (reasoning += event.delta));
  let response: OpenAI.Responses.Response | undefined;
  let error: unknown;
  try {
    response = await runner.finalResponse();
  } catch (thrown) {
    error = thrown;
  }
  return { types, sequence, text, reasoning, response, error };
}

describe('toSSE openai-responses read by the openai client', () => {
  it('streams a text response in the documented event order to responses.stream', async () => {
    const { types, sequence, text, response, error } = await stream('text');
    expect(error).toBeUndefined();
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types.slice(2, 4)).toEqual(['response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(types.map((_type, index) => index));
    expect(text).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(response!.id).toBe('chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL');
    expect(response!.model).toBe('gpt-4o-2024-08-06');
    expect(response!.status).toBe('completed');
    expect(response!.output_text).toBe(text);
    expect(response!.usage).toEqual({
      input_tokens: 14,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 44,
    });
  });

  it('round-trips a recorded Responses stream through finalResponse', async () => {
    const { response } = await stream('responsesText');
    expect(response!.output_text).toBe(sources.responsesText.message.text);
    expect(response!.output_text.length).toBeGreaterThan(0);
    expect(response!.usage?.total_tokens).toBe(sources.responsesText.message.usage!.totalTokens);
  });

  it('reproduces two parallel tool calls as function_call items', async () => {
    const { response, types } = await stream('tools');
    expect(types.filter((type) => type === 'response.function_call_arguments.done')).toHaveLength(2);
    expect(
      response!.output.map((item) =>
        item.type === 'function_call'
          ? { call_id: item.call_id, name: item.name, arguments: item.arguments, status: item.status }
          : item.type,
      ),
    ).toEqual([
      {
        call_id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
        status: 'completed',
      },
      {
        call_id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
        status: 'completed',
      },
    ]);
    expect(response!.usage).toMatchObject({ input_tokens: 149, output_tokens: 60, total_tokens: 209 });
  });

  it("serves Claude's thinking as a reasoning summary before the message", async () => {
    const { response, reasoning, text } = await stream('claudeThinking');
    expect(reasoning).toBe(sources.claudeThinking.message.reasoning);
    expect(reasoning).toHaveLength(202);
    expect(text).toBe(sources.claudeThinking.message.text);
    expect(response!.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    const item = response!.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(item.summary).toEqual([{ type: 'summary_text', text: reasoning }]);
    expect(response!.usage).toMatchObject({ input_tokens: 43, output_tokens: 282, total_tokens: 325 });
  });

  it('surfaces a mid-stream failure as an APIError after the partial text', async () => {
    const { text, error, types } = await stream('overloaded');
    expect(text).toBe('Hello there');
    expect(types).not.toContain('response.completed');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.message).toBe('Overloaded');
    expect(apiError.code).toBe('server_overloaded');
    expect(apiError.type).toBe('server_error');
  });
});
