import OpenAI from 'openai';
import { z } from 'zod';
import { RxllmError } from '../../src/base/errors';
import { collect } from '../../src/sinks/collect';
import { fromOpenAIResponses } from '../../src/sources/fromOpenAIResponses';
import { fromSSE } from '../../src/sources/fromSSE';
import type { ReplayServer } from '../../src/testing/createReplayServer';
import { defineTool } from '../../src/tools/defineTool';
import { runTools } from '../../src/tools/runTools';
import { toGeminiContents } from '../../src/tools/toGeminiContents';
import { toGeminiTools } from '../../src/tools/toGeminiTools';
import { toOllamaTools } from '../../src/tools/toOllamaTools';
import { toOpenAIChatTools } from '../../src/tools/toOpenAIChatTools';
import { openAIResponsesSteps } from '../../src/tools/openAIResponsesSteps';
import { toOpenAIResponsesContinuation } from '../../src/tools/toOpenAIResponsesContinuation';
import { toOpenAIResponsesInput } from '../../src/tools/toOpenAIResponsesInput';
import { toOpenAIResponsesTools } from '../../src/tools/toOpenAIResponsesTools';
import { fixtureBytes } from '../support/decodeFixture';
import { replaySteps } from '../support/replaySteps';
import { answer, cityParameters, question, weatherTools } from './support/weatherTools';

// The weather agent of issue 10 (as in weatherAgent.test.ts), for OpenAI Responses and Gemini.
const { tools, forecastSignals } = weatherTools();
beforeEach(() => (forecastSignals.length = 0));

const R0 = 'resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9weatheragent0';
const calls = [
  { id: 'call_RsPaWx1whyEaYG438VE1OIfl', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { id: 'call_RsOsLo9fj3KN6qU9N1OuDNYT', name: 'get_weather', arguments: '{"town":"Oslo"}' },
  { id: 'call_RsFcSt4kZmQ2pR7sTn8uVw1x', name: 'get_forecast', arguments: '{"city":"Paris"}' },
];
const outputs = [
  {
    type: 'function_call_output',
    call_id: calls[0]!.id,
    output: '{"city":"Paris","tempC":21,"sky":"sunny"}',
  },
  {
    type: 'function_call_output',
    call_id: calls[1]!.id,
    output: 'Error: invalid arguments: city: Invalid input: expected string, received undefined',
  },
  { type: 'function_call_output', call_id: calls[2]!.id, output: 'Error: timed out after 20 ms' },
];

describe('the weather agent on OpenAI Responses, through the openai client', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => server?.close());

  const replay = async () => {
    server = await replaySteps(
      '/v1/responses',
      'openai-responses/weather-agent-step0.sse',
      'openai-responses/weather-agent-step1.sse',
    );
    return new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
  };

  it('stateless: the second request carries the reasoning item, the function_calls and their outputs', async () => {
    const client = await replay();
    const input = [{ role: 'user' as const, content: question }];
    const message = await collect(
      runTools(
        (history) =>
          fromOpenAIResponses(client, {
            model: 'gpt-5-mini',
            store: false,
            include: ['reasoning.encrypted_content'],
            input: [...input, ...toOpenAIResponsesInput(history)] as OpenAI.Responses.ResponseInput,
            tools: toOpenAIResponsesTools(tools),
          }),
        { tools },
      ),
    );
    expect(message.text).toBe(answer);
    expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([342, 482]);
    expect(message.usage).toMatchObject({ inputTokens: 128 + 463, outputTokens: 214 + 19 });
    expect(forecastSignals.map((signal) => signal.aborted)).toEqual([true]);

    const [first, second] = server!.requests.map((request) => request.json as Record<string, unknown>);
    expect(first!.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Current weather in a city',
        parameters: cityParameters,
        strict: false,
      },
      {
        type: 'function',
        name: 'get_forecast',
        description: 'Tomorrow’s forecast for a city',
        parameters: cityParameters,
        strict: false,
      },
    ]);
    expect(first!.input).toEqual([{ role: 'user', content: question }]);
    expect(second!.previous_response_id).toBeUndefined();
    expect(second!.input).toEqual([
      { role: 'user', content: question },
      {
        type: 'reasoning',
        id: 'rs_0a1b2c3d4e5f60718293a4b5c6d7e8f9weatherreason0',
        // output_item.done's encrypted_content, not the one output_item.added showed first.
        encrypted_content:
          'gAAAAABpMWeatherAgentEncryptedReasoningStep0xYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz==',
        summary: [],
      },
      ...calls.map((call) => ({
        type: 'function_call',
        call_id: call.id,
        name: call.name,
        arguments: call.arguments,
      })),
      ...outputs,
    ]);
  });

  it('previous_response_id: the second request sends only the outputs and the first response’s id', async () => {
    const client = await replay();
    const input = [{ role: 'user' as const, content: question }];
    const message = await collect(
      runTools(
        (history) =>
          fromOpenAIResponses(client, {
            model: 'gpt-5-mini',
            tools: toOpenAIResponsesTools(tools),
            ...(toOpenAIResponsesContinuation(history, input) as { input: OpenAI.Responses.ResponseInput }),
          }),
        { tools },
      ),
    );
    expect(message.text).toBe(answer);
    const [first, second] = server!.requests.map((request) => request.json as Record<string, unknown>);
    expect(first!.previous_response_id).toBeUndefined();
    expect(first!.input).toEqual([{ role: 'user', content: question }]);
    // The id came from the stream: the `start` event of step 0 (`response.created`).
    expect(second!.previous_response_id).toBe(R0);
    expect(second!.input).toEqual(outputs);
  });

  it('openAIResponsesSteps sends what the converters send, in either mode', async () => {
    for (const mode of ['stateless', 'previous-response'] as const) {
      const client = await replay();
      const message = await collect(
        runTools(
          openAIResponsesSteps(
            client,
            { model: 'gpt-5-mini', store: mode === 'previous-response', input: question },
            { mode },
          ),
          { tools },
        ),
      );
      expect(message.text).toBe(answer);
      const [first, second] = server!.requests.map((request) => request.json as Record<string, unknown>);
      expect(first!.input).toEqual([{ role: 'user', content: question }]);
      expect(first!.tools).toHaveLength(2);
      if (mode === 'stateless') {
        expect(second!.previous_response_id).toBeUndefined();
        expect((second!.input as Array<{ type?: string }>).map((item) => item.type)).toEqual([
          undefined,
          'reasoning',
          'function_call',
          'function_call',
          'function_call',
          'function_call_output',
          'function_call_output',
          'function_call_output',
        ]);
      } else {
        expect(second!.previous_response_id).toBe(R0);
        expect(second!.input).toEqual(outputs);
      }
      await server!.close();
      server = undefined;
    }
  });

  it('previous_response_id needs the step’s response id: without one it is an invalid-argument error', () => {
    const step = {
      step: 0,
      message: { text: '', reasoning: '', refusal: '', toolCalls: [], usage: null, finishReason: null },
      reasoning: [],
      toolResults: [],
    };
    expect(() => toOpenAIResponsesContinuation([step], [])).toThrow(RxllmError);
    expect(() => toOpenAIResponsesContinuation([step], [])).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});

describe('the weather agent on Gemini (recorded Gemini 3 tool call), fetched and read with fromSSE', () => {
  it('sends the functionCall back with its thought signature, and a functionResponse per result', async () => {
    // The recorded step 0 calls `weather` with a `location`, so this agent's tool takes one.
    const weather = defineTool({
      name: 'weather',
      description: 'Current weather at a location',
      input: z.object({ location: z.string() }),
      execute: async ({ location }) => ({ location, tempC: 18, sky: 'clear' }),
    });
    const route = '/v1beta/models/gemini-3-pro-preview:streamGenerateContent';
    const server = await replaySteps(route, 'gemini/tool-call-gemini3.sse', 'gemini/weather-agent-step1.sse');
    try {
      const contents = [{ role: 'user', parts: [{ text: 'Weather in San Francisco?' }] }];
      const message = await collect(
        runTools(
          (history) =>
            fromSSE(
              (signal) =>
                fetch(`${server.url}${route}?alt=sse`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({
                    contents: [...contents, ...toGeminiContents(history)],
                    tools: toGeminiTools([weather]),
                  }),
                  signal,
                }),
              { dialect: 'gemini' },
            ),
          { tools: [weather] },
        ),
      );
      expect(message.text).toBe("It's 18°C and clear in San Francisco.");
      expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([848, 75]);

      const [first, second] = server.requests.map((request) => request.json as Record<string, unknown>);
      expect(first!.tools).toEqual([
        {
          functionDeclarations: [
            {
              name: 'weather',
              description: 'Current weather at a location',
              parametersJsonSchema: {
                type: 'object',
                properties: { location: { type: 'string' } },
                required: ['location'],
              },
            },
          ],
        },
      ]);
      const signature = /"thoughtSignature": ?"([^"]+)"/.exec(
        Buffer.from(fixtureBytes('gemini/tool-call-gemini3.sse')).toString('utf8'),
      )![1];
      expect(signature).toHaveLength(5488);
      expect(second!.contents).toEqual([
        { role: 'user', parts: [{ text: 'Weather in San Francisco?' }] },
        {
          role: 'model',
          parts: [
            {
              functionCall: { name: 'weather', args: { location: 'San Francisco' } },
              thoughtSignature: signature,
            },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                name: 'weather',
                response: { output: { location: 'San Francisco', tempC: 18, sky: 'clear' } },
              },
            },
          ],
        },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('Ollama tool definitions', () => {
  it('are the OpenAI Chat function format Ollama documents', () => {
    expect(toOllamaTools(tools)).toEqual(toOpenAIChatTools(tools));
    expect(toOllamaTools(tools)[0]).toEqual({
      type: 'function',
      function: { name: 'get_weather', description: 'Current weather in a city', parameters: cityParameters },
    });
  });
});
