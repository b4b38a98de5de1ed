import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { concat, from, of } from 'rxjs';
import { z } from 'zod';
import { ev } from '../../src/testing';
import { defineTool } from '../../src/tools/defineTool';
import { runTools } from '../../src/tools/runTools';
import { fixtureSource, serveEvents, type EventServer } from './serveEvents';

const sources = {
  text: fixtureSource('openai-chat', 'openai-chat/text-include-usage.sse'),
  tools: fixtureSource('openai-chat', 'openai-chat/parallel-tool-calls.sse'),
  thinking: fixtureSource('anthropic', 'anthropic/thinking-signature.sse'),
  overloaded: fixtureSource('anthropic', 'anthropic/error-overloaded-midstream-spliced.sse'),
};
type SourceName = keyof typeof sources | 'retried' | 'steps' | 'toolLoop';

let server: EventServer;

beforeAll(async () => {
  server = await serveEvents((_path, body) => {
    const name = (body as { source: SourceName }).source;
    return {
      dialect: 'ai-sdk-ui',
      events:
        name === 'toolLoop'
          ? // A tool loop's two calls: results of the first step's tools (one failed), then the answer.
            runTools((history) => (history.length === 0 ? sources.tools.events$ : sources.text.events$), {
              tools: [
                defineTool({
                  name: 'GetWeatherArgs',
                  input: z.object({ city: z.string() }),
                  execute: ({ city }) => ({ city, tempC: 12 }),
                }),
                defineTool({
                  name: 'get_stock_price',
                  input: z.object({ ticker: z.string() }),
                  execute: () => {
                    throw new Error('market closed');
                  },
                }),
              ],
            })
          : name === 'steps'
            ? // Two model calls on one track (a tool loop): the tool calls, then the answer.
              concat(
                of({ type: 'step-start' as const, step: 0, model: 'gpt-4o' }),
                sources.tools.events$,
                of({ type: 'step-start' as const, step: 1, model: 'gpt-4o' }),
                sources.text.events$,
              )
            : name === 'retried'
              ? from([
                  ev.start({ id: 'msg_1' }),
                  ev.text('draft that will be taken back'),
                  ev.reset('fallback'),
                  ev.text('Final answer.'),
                  ev.finish('stop'),
                ])
              : sources[name].events$,
    };
  });
});

afterAll(() => server.close());

/**
 * Reads the stream the way `useChat` does: `DefaultChatTransport` POSTs and parses the UI message
 * chunks (validating each with the AI SDK's own schema), `readUIMessageStream` folds them into
 * message snapshots.
 */
async function chat(source: SourceName) {
  const transport = new DefaultChatTransport<UIMessage>({ api: `${server.url}/api/chat`, body: { source } });
  const chunks = await transport.sendMessages({
    chatId: 'chat-1',
    messageId: undefined,
    messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
    trigger: 'submit-message',
    abortSignal: undefined,
  });
  const snapshots: UIMessage[] = [];
  let error: unknown;
  try {
    for await (const message of readUIMessageStream({ stream: chunks, terminateOnError: true }))
      snapshots.push(message);
  } catch (thrown) {
    error = thrown;
  }
  return { last: snapshots.at(-1), snapshots, error };
}

describe('toSSE ai-sdk-ui read by the AI SDK (DefaultChatTransport + readUIMessageStream)', () => {
  it('serves the UI message stream header that useChat expects', async () => {
    const response = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ source: 'text' }),
    });
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await response.text();
    expect(
      body.startsWith('data: {"type":"start","messageId":"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL"}\n\n'),
    ).toBe(true);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('builds the assistant message with its text and usage metadata', async () => {
    const { last, snapshots, error } = await chat('text');
    expect(error).toBeUndefined();
    expect(snapshots.length).toBeGreaterThan(2); // the text grows delta by delta
    expect(last!.id).toBe('chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL');
    expect(last!.role).toBe('assistant');
    expect(last!.parts).toEqual([
      {
        type: 'text',
        text: "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
        state: 'done',
      },
    ]);
    expect(last!.metadata).toEqual({
      usage: { inputTokens: 14, outputTokens: 30, totalTokens: 44, reasoningTokens: 0 },
    });
  });

  it('reproduces two parallel tool calls as tool parts with parsed input', async () => {
    const { last } = await chat('tools');
    expect(last!.parts).toEqual([
      {
        type: 'tool-GetWeatherArgs',
        toolCallId: 'call_JMW1whyEaYG438VE1OIflxA2',
        state: 'input-available',
        input: { city: 'Edinburgh', country: 'GB', units: 'c' },
      },
      {
        type: 'tool-get_stock_price',
        toolCallId: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        state: 'input-available',
        input: { ticker: 'AAPL', exchange: 'NASDAQ' },
      },
    ]);
    expect(last!.metadata).toMatchObject({ usage: { inputTokens: 149, outputTokens: 60, totalTokens: 209 } });
  });

  it("shows Claude's thinking as a reasoning part with its signature, then the text", async () => {
    const { last } = await chat('thinking');
    expect(last!.parts.map((part) => part.type)).toEqual(['reasoning', 'text']);
    const [reasoning, text] = last!.parts as [
      {
        type: 'reasoning';
        text: string;
        state: string;
        providerMetadata?: { anthropic?: { signature?: string } };
      },
      { type: 'text'; text: string },
    ];
    expect(reasoning.text).toBe(sources.thinking.message.reasoning);
    expect(reasoning.text).toHaveLength(202);
    expect(reasoning.state).toBe('done');
    expect(reasoning.providerMetadata?.anthropic?.signature?.startsWith('EvMCCkYICxgCKkCHP2cSuEdcJK')).toBe(
      true,
    );
    expect(text.text).toBe(sources.thinking.message.text);
  });

  it('ends with an error, never a second answer, when a reset takes shown text back', async () => {
    const { last, snapshots, error } = await chat('retried');
    expect(snapshots.some((message) => JSON.stringify(message).includes('Final answer.'))).toBe(false);
    expect(last!.parts).toEqual([{ type: 'text', text: 'draft that will be taken back', state: 'done' }]);
    expect((error as Error).message).toContain('cannot take text back');
  });

  it('surfaces a mid-stream failure as an error after the partial text', async () => {
    const { last, error } = await chat('overloaded');
    expect(last!.parts).toEqual([{ type: 'text', text: 'Hello there', state: 'streaming' }]);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Overloaded');
  });

  it('shows each step of a two-step stream as a step-start part, with the usage summed', async () => {
    const { last, error } = await chat('steps');
    expect(error).toBeUndefined();
    const types = last!.parts.map((part) => part.type);
    expect(types.filter((type) => type === 'step-start')).toHaveLength(2);
    // The second step starts after the first step's tool calls and before the answer.
    const second = types.lastIndexOf('step-start');
    expect(types.slice(0, second).some((type) => type.startsWith('tool-'))).toBe(true);
    expect(types.slice(second + 1)).toContain('text');
    expect(last!.metadata).toMatchObject({ usage: { inputTokens: 149 + 14, outputTokens: 60 + 30 } });
  });

  it('shows a tool loop’s results in the tool parts, a failed call as output-error', async () => {
    const { last, error } = await chat('toolLoop');
    expect(error).toBeUndefined();
    const tools = last!.parts.filter((part) => part.type.startsWith('tool-'));
    expect(tools).toEqual([
      expect.objectContaining({
        type: 'tool-GetWeatherArgs',
        toolCallId: 'call_JMW1whyEaYG438VE1OIflxA2',
        state: 'output-available',
        output: { city: 'Edinburgh', tempC: 12 },
      }),
      expect.objectContaining({
        type: 'tool-get_stock_price',
        toolCallId: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        state: 'output-error',
        errorText: 'market closed',
      }),
    ]);
    expect(last!.parts.filter((part) => part.type === 'step-start')).toHaveLength(2);
    expect(last!.parts[last!.parts.length - 1]).toMatchObject({ type: 'text' });
  });
});
