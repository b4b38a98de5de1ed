import Anthropic from '@anthropic-ai/sdk';
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { toSSE } from '../../src/operators/toSSE';
import { runTools } from '../../src/tools/runTools';
import type { DialectName } from '../../src/wire/types';
import { fixtureSource, serveEvents, type EventServer } from '../consumers/serveEvents';
import { answer, weatherTools } from './support/weatherTools';

// A two-step tool loop served in each output dialect, read by that dialect's official client:
// what a client of a proxy that runs the loop sees. Step 0 (recorded shapes, openai-chat) calls
// get_weather twice (once with an invalid argument) and get_forecast (slow: timed out); step 1
// answers. The Anthropic loop has a signed thinking block, a text and a tool_use in step 0.
const { tools } = weatherTools();
const chatLoop = () =>
  runTools(
    (history) => fixtureSource('openai-chat', `openai-chat/weather-agent-step${history.length}.sse`).events$,
    { tools },
  );
const anthropicLoop = () =>
  runTools(
    (history) => fixtureSource('anthropic', `anthropic/weather-agent-step${history.length}.sse`).events$,
    { tools },
  );

let server: EventServer;
beforeAll(async () => {
  server = await serveEvents((_path, body) => {
    const { dialect, loop } = body as { dialect?: DialectName; loop?: string; model?: string };
    // The SDK clients name the dialect and loop through the model field: `<dialect>/<loop>`.
    const [named, which] = (body as { model?: string }).model?.split('/') ?? [dialect, loop];
    return { dialect: named as DialectName, events: which === 'anthropic' ? anthropicLoop() : chatLoop() };
  });
});
afterAll(() => server.close());

describe('a tool loop in the ai-sdk-ui dialect, read by the AI SDK (DefaultChatTransport + readUIMessageStream)', () => {
  async function read(loop: string) {
    const transport = new DefaultChatTransport<UIMessage>({
      api: `${server.url}/api/chat`,
      body: { dialect: 'ai-sdk-ui', loop },
    });
    const chunks = await transport.sendMessages({
      chatId: 'chat-1',
      messageId: undefined,
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Weather?' }] }],
      trigger: 'submit-message',
      abortSignal: undefined,
    });
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream: chunks, terminateOnError: true }))
      last = message;
    return last!;
  }

  it('shows both steps, each tool call with its result or error, and one final text', async () => {
    const message = await read('chat');
    const shown = message.parts.map((part) =>
      part.type === 'step-start'
        ? 'step'
        : part.type === 'text'
          ? { text: part.text }
          : part.type.startsWith('tool-')
            ? (({ toolCallId, state, input, output, errorText }) => ({
                tool: part.type,
                toolCallId,
                state,
                input,
                ...(output === undefined ? {} : { output }),
                ...(errorText === undefined ? {} : { errorText }),
              }))(
                part as {
                  toolCallId: string;
                  state: string;
                  input: unknown;
                  output?: unknown;
                  errorText?: string;
                },
              )
            : part.type,
    );
    expect(shown).toEqual([
      'step',
      {
        tool: 'tool-get_weather',
        toolCallId: 'call_PaWx1whyEaYG438VE1OIflxA',
        state: 'output-available',
        input: { city: 'Paris' },
        output: { city: 'Paris', tempC: 21, sky: 'sunny' },
      },
      {
        tool: 'tool-get_weather',
        toolCallId: 'call_OsLo9fj3KN6qU9N1OuDNYTaw',
        state: 'output-error',
        input: { town: 'Oslo' },
        errorText: 'invalid arguments: city: Invalid input: expected string, received undefined',
      },
      {
        tool: 'tool-get_forecast',
        toolCallId: 'call_FcSt4kZmQ2pR7sTn8uVw1xYz',
        state: 'output-error',
        input: { city: 'Paris' },
        errorText: 'timed out after 20 ms',
      },
      'step',
      { text: answer },
    ]);
    // The usage of both steps together is the message's metadata.
    expect(message.metadata).toMatchObject({ usage: { inputTokens: 112 + 241, outputTokens: 61 + 18 } });
  });

  it('writes the AI SDK’s step and tool chunks, in order', async () => {
    const frames = await lastValueFrom(chatLoop().pipe(toSSE({ dialect: 'ai-sdk-ui' }), toArray()));
    const chunks = frames
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice('data: '.length)) as { type: string; toolCallId?: string });
    const types = chunks.map((chunk) => chunk.type).filter((type, at, all) => type !== all[at - 1]);
    const firstOutput = types.findIndex((type) => type.startsWith('tool-output-'));
    expect(types.slice(0, 2)).toEqual(['start', 'start-step']);
    // The three calls as the model streamed them: start, argument deltas, the parsed input.
    expect(new Set(types.slice(2, firstOutput))).toEqual(
      new Set(['tool-input-start', 'tool-input-delta', 'tool-input-available']),
    );
    expect(chunks.filter((chunk) => chunk.type === 'tool-input-available')).toHaveLength(3);
    // Then each result as it came (the invalid call at once, the weather, the timeout), and step 1.
    expect(types.slice(firstOutput)).toEqual([
      'tool-output-error',
      'tool-output-available',
      'tool-output-error',
      'finish-step',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(
      chunks
        .filter((chunk) => chunk.type.startsWith('tool-output-'))
        .map((chunk) => [chunk.type, chunk.toolCallId]),
    ).toEqual([
      ['tool-output-error', 'call_OsLo9fj3KN6qU9N1OuDNYTaw'],
      ['tool-output-available', 'call_PaWx1whyEaYG438VE1OIflxA'],
      ['tool-output-error', 'call_FcSt4kZmQ2pR7sTn8uVw1xYz'],
    ]);
  });

  it('shows a thinking loop’s reasoning, its words before the call, the call and the answer as their own parts', async () => {
    const message = await read('anthropic');
    expect(message.parts.map((part) => part.type)).toEqual([
      'step-start',
      'reasoning',
      'text',
      'tool-get_weather',
      'step-start',
      'text',
    ]);
    expect(message.parts.filter((part) => part.type === 'text').map((part) => part.text)).toEqual([
      "I'll check the weather in Paris.",
      "It's 21°C and sunny in Paris.",
    ]);
  });
});

describe('a tool loop in provider dialects, read by the official SDKs: one response of both steps, tool results left out', () => {
  it('openai-chat: finalChatCompletion has the step-0 tool calls, the answer, finish "stop" and the summed usage', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions
      .stream({ model: 'openai-chat/chat', messages: [{ role: 'user', content: 'Weather?' }] })
      .finalChatCompletion();
    const { message, finish_reason } = completion.choices[0]!;
    expect(message.content).toBe(answer);
    expect(
      message.tool_calls?.map((call) => call.type === 'function' && [call.id, call.function.arguments]),
    ).toEqual([
      ['call_PaWx1whyEaYG438VE1OIflxA', '{"city": "Paris"}'],
      ['call_OsLo9fj3KN6qU9N1OuDNYTaw', '{"town": "Oslo"}'],
      ['call_FcSt4kZmQ2pR7sTn8uVw1xYz', '{"city": "Paris"}'],
    ]);
    // The last step's finish reason; the results have no place in a completion.
    expect(finish_reason).toBe('stop');
    expect(JSON.stringify(completion)).not.toContain('tempC');
    expect(completion.usage).toMatchObject({ prompt_tokens: 112 + 241, completion_tokens: 61 + 18 });
  });

  it('anthropic: finalMessage keeps the signed thinking, both texts and the tool_use, stop_reason end_turn', async () => {
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
    const message = await client.messages
      .stream({
        model: 'anthropic/anthropic',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Weather?' }],
      })
      .finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text', 'tool_use', 'text']);
    expect(message.content[0]).toMatchObject({
      thinking: 'The user wants the weather in Paris; I should call get_weather.',
      signature: expect.stringMatching(/^.{20,}$/),
    });
    expect(message.content[2]).toMatchObject({
      id: 'toolu_01AgentWeatherParis0001',
      input: { city: 'Paris' },
    });
    expect(message.content[3]).toMatchObject({ text: "It's 21°C and sunny in Paris." });
    expect(message.stop_reason).toBe('end_turn');
    expect(JSON.stringify(message)).not.toContain('tempC');
  });

  it('openai-responses: finalResponse has the function_call items and the answer message, no outputs', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const response = await client.responses
      .stream({ model: 'openai-responses/chat', input: 'Weather?' })
      .finalResponse();
    expect(response.output.map((item) => item.type)).toEqual([
      'function_call',
      'function_call',
      'function_call',
      'message',
    ]);
    expect(response.output_text).toBe(answer);
    expect(response.status).toBe('completed');
    expect(JSON.stringify(response)).not.toContain('tempC');
    expect(response.usage).toMatchObject({ input_tokens: 112 + 241, output_tokens: 61 + 18 });
  });
});
