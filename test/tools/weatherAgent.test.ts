import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { collect } from '../../src/sinks/collect';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import type { ReplayServer } from '../../src/testing/createReplayServer';
import { anthropicSteps } from '../../src/tools/anthropicSteps';
import { runTools } from '../../src/tools/runTools';
import { toAnthropicMessages } from '../../src/tools/toAnthropicMessages';
import { toAnthropicTools } from '../../src/tools/toAnthropicTools';
import { toOllamaMessages } from '../../src/tools/toOllamaMessages';
import { toOpenAIChatMessages } from '../../src/tools/toOpenAIChatMessages';
import { toOpenAIChatTools } from '../../src/tools/toOpenAIChatTools';
import { fixtureBytes } from '../support/decodeFixture';
import { replaySteps } from '../support/replaySteps';
import { answer, cityParameters, question, weatherTools } from './support/weatherTools';

// The weather agent of issue 10: two tools; one call fails validation, one tool is slow and times out.
const { tools, forecastSignals } = weatherTools();
beforeEach(() => (forecastSignals.length = 0));

describe('a two-step weather agent against the replay server', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => server?.close());

  it('OpenAI Chat Completions: reaches the answer, and the second request carries the documented messages', async () => {
    server = await replaySteps(
      '/v1/chat/completions',
      'openai-chat/weather-agent-step0.sse',
      'openai-chat/weather-agent-step1.sse',
    );
    const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: question }];
    const message = await collect(
      runTools(
        (history) =>
          fromOpenAI(client, {
            model: 'gpt-4o',
            messages: [...messages, ...toOpenAIChatMessages(history)],
            tools: toOpenAIChatTools(tools),
          }),
        { tools },
      ),
    );
    expect(message.text).toBe(answer);
    expect(message.finishReason).toBe('stop');
    expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([173, 259]);
    expect(message.usage).toMatchObject({ inputTokens: 112 + 241, outputTokens: 61 + 18 });
    expect(forecastSignals.map((signal) => signal.aborted)).toEqual([true]);

    expect(server.requests).toHaveLength(2);
    const first = server.requests[0]!.json as Record<string, unknown>;
    expect(first.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather in a city',
          parameters: cityParameters,
        },
      },
      {
        type: 'function',
        function: {
          name: 'get_forecast',
          description: 'Tomorrow’s forecast for a city',
          parameters: cityParameters,
        },
      },
    ]);
    const second = server.requests[1]!.json as { messages: unknown[] };
    expect(second.messages).toEqual([
      { role: 'user', content: question },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_PaWx1whyEaYG438VE1OIflxA',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
          },
          {
            id: 'call_OsLo9fj3KN6qU9N1OuDNYTaw',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"town": "Oslo"}' },
          },
          {
            id: 'call_FcSt4kZmQ2pR7sTn8uVw1xYz',
            type: 'function',
            function: { name: 'get_forecast', arguments: '{"city": "Paris"}' },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 'call_PaWx1whyEaYG438VE1OIflxA',
        content: '{"city":"Paris","tempC":21,"sky":"sunny"}',
      },
      {
        role: 'tool',
        tool_call_id: 'call_OsLo9fj3KN6qU9N1OuDNYTaw',
        content: 'Error: invalid arguments: city: Invalid input: expected string, received undefined',
      },
      {
        role: 'tool',
        tool_call_id: 'call_FcSt4kZmQ2pR7sTn8uVw1xYz',
        content: 'Error: timed out after 20 ms',
      },
    ]);
  });

  it('Anthropic Messages: keeps the signed thinking block, sends tool_use and tool_result blocks', async () => {
    server = await replaySteps(
      '/v1/messages',
      'anthropic/weather-agent-step0.sse',
      'anthropic/weather-agent-step1.sse',
    );
    const client = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];
    const message = await collect(
      runTools(
        (history) =>
          fromAnthropic(client, {
            model: 'claude-sonnet-4-20250514',
            max_tokens: 2048,
            thinking: { type: 'enabled', budget_tokens: 1024 },
            messages: [...messages, ...toAnthropicMessages(history)] as Anthropic.MessageParam[],
            tools: toAnthropicTools(tools) as Anthropic.Tool[],
          }),
        { tools },
      ),
    );
    // Each step's answer text, a blank line between them (the requests keep each step's own).
    expect(message.text).toBe("I'll check the weather in Paris.\n\nIt's 21°C and sunny in Paris.");
    expect(message.finishReason).toBe('stop');
    expect(message.steps).toHaveLength(2);

    const first = server.requests[0]!.json as Record<string, unknown>;
    expect(first.tools).toEqual([
      { name: 'get_weather', description: 'Current weather in a city', input_schema: cityParameters },
      { name: 'get_forecast', description: 'Tomorrow’s forecast for a city', input_schema: cityParameters },
    ]);
    const second = server.requests[1]!.json as { messages: unknown[] };
    const signature = /"signature":"([^"]+)"/.exec(
      Buffer.from(fixtureBytes('anthropic/weather-agent-step0.sse')).toString('utf8'),
    )![1];
    expect(second.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: [
          {
            type: 'thinking',
            thinking: 'The user wants the weather in Paris; I should call get_weather.',
            signature,
          },
          { type: 'text', text: "I'll check the weather in Paris." },
          {
            type: 'tool_use',
            id: 'toolu_01AgentWeatherParis0001',
            name: 'get_weather',
            input: { city: 'Paris' },
          },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_01AgentWeatherParis0001',
            content: '{"city":"Paris","tempC":21,"sky":"sunny"}',
          },
        ],
      },
    ]);
  });
});

describe('anthropicSteps', () => {
  it('sends what the hand-written step factory sends: the request’s messages and tools, then the loop’s', async () => {
    const bodies: unknown[][] = [];
    for (const handWritten of [true, false]) {
      const server = await replaySteps(
        '/v1/messages',
        'anthropic/weather-agent-step0.sse',
        'anthropic/weather-agent-step1.sse',
      );
      try {
        const client = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
        const params = {
          model: 'claude-sonnet-4-20250514',
          max_tokens: 2048,
          messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
        };
        const message = await collect(
          runTools(
            handWritten
              ? (history) =>
                  fromAnthropic(client, {
                    ...params,
                    messages: [
                      ...params.messages,
                      ...toAnthropicMessages(history),
                    ] as Anthropic.MessageParam[],
                    tools: toAnthropicTools(tools) as Anthropic.Tool[],
                  })
              : anthropicSteps(client, params),
            { tools },
          ),
        );
        expect(message.text).toBe("I'll check the weather in Paris.\n\nIt's 21°C and sunny in Paris.");
        bodies.push(server.requests.map((request) => request.json));
      } finally {
        await server.close();
      }
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect((bodies[1]![1] as { messages: unknown[] }).messages).toHaveLength(3);
  });
});

describe('a two-step tool loop against a replayed Ollama', () => {
  it('sends the tool call back with arguments as an object and the result as a tool message naming its tool', async () => {
    const server = await replaySteps(
      '/api/chat',
      'ollama/chat-tool-call-docs.ndjson',
      'ollama/weather-agent-step1.ndjson',
    );
    try {
      const messages = [{ role: 'user' as const, content: 'Weather in Tokyo?' }];
      const message = await collect(
        runTools(
          (history) =>
            fromOllama({
              baseUrl: server.url,
              model: 'llama3.2',
              messages: [...messages, ...toOllamaMessages(history)],
              tools: toOpenAIChatTools(tools),
            }),
          { tools },
        ),
      );
      expect(message.text).toBe("It's 18°C and clear in Tokyo.");
      expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([169 + 15, 201 + 8]);
      const second = server.requests[1]!.json as { messages: unknown[]; tools: unknown[] };
      expect(second.tools).toEqual((server.requests[0]!.json as { tools: unknown[] }).tools);
      expect(second.messages).toEqual([
        { role: 'user', content: 'Weather in Tokyo?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }],
        },
        { role: 'tool', content: '{"city":"Tokyo","tempC":21,"sky":"sunny"}', tool_name: 'get_weather' },
      ]);
    } finally {
      await server.close();
    }
  });
});
