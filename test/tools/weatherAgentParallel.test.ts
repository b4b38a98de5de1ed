import Anthropic from '@anthropic-ai/sdk';
import { collect } from '../../src/sinks/collect';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromSSE } from '../../src/sources/fromSSE';
import type { ReplayServer } from '../../src/testing/createReplayServer';
import { anthropicSteps } from '../../src/tools/anthropicSteps';
import { runTools } from '../../src/tools/runTools';
import { toGeminiContents } from '../../src/tools/toGeminiContents';
import { toGeminiTools } from '../../src/tools/toGeminiTools';
import { toOllamaMessages } from '../../src/tools/toOllamaMessages';
import { toOllamaTools } from '../../src/tools/toOllamaTools';
import { fixtureBytes } from '../support/decodeFixture';
import { replaySteps } from '../support/replaySteps';
import { answer, question, weatherTools } from './support/weatherTools';

// The whole weather agent of issue 10 on Anthropic (thinking on), Ollama and Gemini: the model
// calls get_weather for Paris, get_weather with an invalid argument, and get_forecast, which is
// slow and is cancelled by its 20 ms timeout; the next request carries all three outcomes.
const { tools, forecastSignals } = weatherTools();
const paris = { city: 'Paris', tempC: 21, sky: 'sunny' };
const invalid = 'invalid arguments: city: Invalid input: expected string, received undefined';
const timedOut = 'timed out after 20 ms';

let server: ReplayServer | undefined;
afterEach(async () => server?.close());
beforeEach(() => (forecastSignals.length = 0));

it('Anthropic (official SDK, anthropicSteps): signed thinking, text and three tool_use blocks go back, then three tool_results', async () => {
  server = await replaySteps(
    '/v1/messages',
    'anthropic/weather-agent-parallel-step0.sse',
    'anthropic/weather-agent-parallel-step1.sse',
  );
  const client = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
  const message = await collect(
    runTools(
      anthropicSteps(client, {
        model: 'claude-sonnet-4-20250514',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: question }],
      }),
      { tools },
    ),
  );
  expect(message.text).toBe(`I'll look up Paris and Oslo, and the forecast.\n\n${answer}`);
  expect(message.steps?.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
  expect(message.usage).toMatchObject({ inputTokens: 468 + 731, outputTokens: 164 + 24 });
  expect(forecastSignals.map((signal) => signal.aborted)).toEqual([true]);

  const signature = /"signature":"([^"]+)"/.exec(
    Buffer.from(fixtureBytes('anthropic/weather-agent-parallel-step0.sse')).toString('utf8'),
  )![1];
  const second = server.requests[1]!.json as { messages: unknown[]; thinking: unknown };
  expect(second.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
  expect(second.messages).toEqual([
    { role: 'user', content: question },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Two cities and a forecast; three calls at once.', signature },
        { type: 'text', text: "I'll look up Paris and Oslo, and the forecast." },
        {
          type: 'tool_use',
          id: 'toolu_01AgentParallelParis0001',
          name: 'get_weather',
          input: { city: 'Paris' },
        },
        {
          type: 'tool_use',
          id: 'toolu_01AgentParallelOslo00002',
          name: 'get_weather',
          input: { town: 'Oslo' },
        },
        {
          type: 'tool_use',
          id: 'toolu_01AgentParallelFcst00003',
          name: 'get_forecast',
          input: { city: 'Paris' },
        },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01AgentParallelParis0001',
          content: JSON.stringify(paris),
        },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01AgentParallelOslo00002',
          content: `Error: ${invalid}`,
          is_error: true,
        },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01AgentParallelFcst00003',
          content: `Error: ${timedOut}`,
          is_error: true,
        },
      ],
    },
  ]);
});

it('Ollama (/api/chat): the three calls with object arguments, then a tool message per call naming its tool', async () => {
  server = await replaySteps(
    '/api/chat',
    'ollama/weather-agent-parallel-step0.ndjson',
    'ollama/weather-agent-parallel-step1.ndjson',
  );
  const url = server.url;
  const messages = [{ role: 'user' as const, content: question }];
  const message = await collect(
    runTools(
      (history) =>
        fromOllama({
          baseUrl: url,
          model: 'llama3.2',
          messages: [...messages, ...toOllamaMessages(history)],
          tools: toOllamaTools(tools),
        }),
      { tools },
    ),
  );
  expect(message.text).toBe(answer);
  expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([214 + 52, 318 + 19]);
  expect(forecastSignals.map((signal) => signal.aborted)).toEqual([true]);
  const second = server.requests[1]!.json as { messages: unknown[] };
  expect(second.messages).toEqual([
    { role: 'user', content: question },
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
        { function: { name: 'get_weather', arguments: { town: 'Oslo' } } },
        { function: { name: 'get_forecast', arguments: { city: 'Paris' } } },
      ],
    },
    { role: 'tool', content: JSON.stringify(paris), tool_name: 'get_weather' },
    { role: 'tool', content: `Error: ${invalid}`, tool_name: 'get_weather' },
    { role: 'tool', content: `Error: ${timedOut}`, tool_name: 'get_forecast' },
  ]);
});

it('Gemini (streamGenerateContent): the functionCalls with the thought signature on the first, then functionResponses', async () => {
  const route = '/v1beta/models/gemini-3-pro-preview:streamGenerateContent';
  server = await replaySteps(
    route,
    'gemini/weather-agent-parallel-step0.sse',
    'gemini/weather-agent-parallel-step1.sse',
  );
  const url = `${server.url}${route}?alt=sse`;
  const contents = [{ role: 'user', parts: [{ text: question }] }];
  const message = await collect(
    runTools(
      (history) =>
        fromSSE(
          (signal) =>
            fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                contents: [...contents, ...toGeminiContents(history)],
                tools: toGeminiTools(tools),
              }),
              signal,
            }),
          { dialect: 'gemini' },
        ),
      { tools },
    ),
  );
  expect(message.text).toBe(answer);
  expect(message.steps?.map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
  expect(forecastSignals.map((signal) => signal.aborted)).toEqual([true]);
  const second = server.requests[1]!.json as { contents: unknown[] };
  expect(second.contents).toEqual([
    { role: 'user', parts: [{ text: question }] },
    {
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: { city: 'Paris' } },
          thoughtSignature:
            'CiQBcsjafWeatherAgentParallelGemini3ThoughtSignatureStep0AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==',
        },
        { functionCall: { name: 'get_weather', args: { town: 'Oslo' } } },
        { functionCall: { name: 'get_forecast', args: { city: 'Paris' } } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { output: paris } } },
        { functionResponse: { name: 'get_weather', response: { error: invalid } } },
        { functionResponse: { name: 'get_forecast', response: { error: timedOut } } },
      ],
    },
  ]);
});
