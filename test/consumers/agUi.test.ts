import { HttpAgent, type AgentSubscriber, type BaseEvent } from '@ag-ui/client';
import { from } from 'rxjs';
import { ev } from '../../src/testing';
import { fixtureSource, serveEvents, type EventServer } from './serveEvents';

const sources = {
  text: fixtureSource('openai-chat', 'openai-chat/text-include-usage.sse'),
  tools: fixtureSource('openai-chat', 'openai-chat/parallel-tool-calls.sse'),
  thinking: fixtureSource('anthropic', 'anthropic/thinking-signature.sse'),
  toolAfterText: fixtureSource('anthropic', 'anthropic/tool-use.sse'),
  overloaded: fixtureSource('anthropic', 'anthropic/error-overloaded-midstream-spliced.sse'),
};
type SourceName = keyof typeof sources | 'hostile' | 'retried' | 'twoSteps';

const hostile = 'a"}\n\ndata: {"type":"RUN_FINISHED"}\n\n\u2028</script>';

let server: EventServer;

beforeAll(async () => {
  server = await serveEvents((_path, body) => {
    const name = (body as { forwardedProps: { source: SourceName } }).forwardedProps.source;
    const scripted = {
      hostile: from([ev.start({ id: 'run_1' }), ev.text(hostile), ev.finish('stop')]),
      retried: from([
        ev.start({ id: 'run_2' }),
        ev.text('draft that will be taken back'),
        ev.reset('fallback'),
        ev.text('Final answer.'),
        ev.finish('stop'),
      ]),
      // A tool loop's two model calls: RUN_FINISHED reports what both cost, not the last one.
      twoSteps: from([
        ev.start({ id: 'run_3' }),
        ev.stepStart(0),
        ev.usage(100, 20, undefined, { cachedInputTokens: 40 }),
        ev.finish('tool-calls'),
        ev.stepStart(1),
        ev.text('It is sunny.'),
        ev.usage(130, 9),
        ev.finish('stop'),
      ]),
    };
    return {
      dialect: 'ag-ui',
      events:
        name in scripted
          ? scripted[name as keyof typeof scripted]
          : sources[name as keyof typeof sources].events$,
    };
  });
});

afterAll(() => server.close());

/** Runs an `HttpAgent` (the official AG-UI client) against the server, recording every event it applied. */
async function run(source: SourceName) {
  const agent = new HttpAgent({ url: `${server.url}/agent` });
  const events: BaseEvent[] = [];
  const subscriber: AgentSubscriber = { onEvent: ({ event }) => void events.push(event) };
  let error: unknown;
  let result: Awaited<ReturnType<HttpAgent['runAgent']>> | undefined;
  try {
    result = await agent.runAgent({ forwardedProps: { source } }, subscriber);
  } catch (thrown) {
    error = thrown;
  }
  return { agent, events, error, messages: result?.newMessages ?? agent.messages };
}

describe("toSSE ag-ui read by @ag-ui/client's HttpAgent", () => {
  it('builds the assistant message and reports usage and the finish reason in RUN_FINISHED', async () => {
    const { messages, events, error } = await run('text');
    expect(error).toBeUndefined();
    expect(messages).toEqual([
      expect.objectContaining({ role: 'assistant', content: sources.text.message.text }),
    ]);
    const finished = events.find((event) => event.type === 'RUN_FINISHED') as BaseEvent & {
      usage?: unknown;
    };
    const usage = sources.text.message.usage!;
    expect(finished.usage).toEqual([
      expect.objectContaining({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        totalTokens: usage.totalTokens,
      }),
    ]);
    expect(events[0]!.type).toBe('RUN_STARTED');
    expect(events.at(-1)!.type).toBe('RUN_FINISHED');
  });

  it('builds parallel tool calls with their whole arguments', async () => {
    const { messages, error } = await run('tools');
    expect(error).toBeUndefined();
    const toolCalls = messages.flatMap((message) =>
      'toolCalls' in message ? (message.toolCalls ?? []) : [],
    );
    expect(
      toolCalls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
    ).toEqual(sources.tools.message.toolCalls.map((call) => [call.id, call.name, call.args]));
  });

  it('attaches a tool call to the text message before it', async () => {
    const { messages, error } = await run('toolAfterText');
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(1);
    const [message] = messages as Array<{
      content: string;
      toolCalls: Array<{ function: { name: string } }>;
    }>;
    expect(message!.content).toBe(sources.toolAfterText.message.text);
    expect(message!.toolCalls.map((call) => call.function.name)).toEqual(['get_weather']);
  });

  it("reports every step's usage summed in RUN_FINISHED", async () => {
    const { events, error } = await run('twoSteps');
    expect(error).toBeUndefined();
    const finished = events.find((event) => event.type === 'RUN_FINISHED') as BaseEvent & {
      usage?: unknown;
    };
    expect(finished.usage).toEqual([
      expect.objectContaining({
        inputTokens: 230,
        outputTokens: 29,
        totalTokens: 259,
        cachedInputTokens: 40,
      }),
    ]);
  });

  it('delivers reasoning as reasoning events, apart from the answer text', async () => {
    const { messages, events, error } = await run('thinking');
    expect(error).toBeUndefined();
    const reasoning = events
      .filter((event) => event.type === 'REASONING_MESSAGE_CONTENT')
      .map((event) => (event as BaseEvent & { delta: string }).delta)
      .join('');
    expect(reasoning).toBe(sources.thinking.message.reasoning);
    const assistant = messages.filter((message) => message.role === 'assistant');
    expect(assistant.map((message) => message.content).join('')).toBe(sources.thinking.message.text);
  });

  it('reports a failure midway as RUN_ERROR after the partial text', async () => {
    const { messages, events, error } = await run('overloaded');
    const runError = events.find((event) => event.type === 'RUN_ERROR') as BaseEvent & {
      message: string;
      code: string;
    };
    expect(runError).toMatchObject({ message: 'Overloaded', code: 'overloaded_error' });
    expect(messages.find((message) => message.role === 'assistant')?.content).toBe(
      sources.overloaded.message.text,
    );
    // RUN_ERROR ends the run: nothing follows it, and the client does not throw for it.
    expect(events.at(-1)).toBe(runError);
    expect(error).toBeUndefined();
  });

  it('keeps text that looks like frames inside its own TEXT_MESSAGE_CONTENT', async () => {
    const { messages, events, error } = await run('hostile');
    expect(error).toBeUndefined();
    expect(messages.map((message) => message.content)).toEqual([hostile]);
    expect(events.filter((event) => event.type === 'RUN_FINISHED')).toHaveLength(1);
  });

  it('ends the taken-back draft and continues in a new message after a reset', async () => {
    const { messages, events, error } = await run('retried');
    expect(error).toBeUndefined();
    expect(events.find((event) => event.type === 'CUSTOM')).toMatchObject({
      name: 'rxllm.reset',
      value: { reason: 'fallback' },
    });
    expect(messages.map((message) => message.content)).toEqual([
      'draft that will be taken back',
      'Final answer.',
    ]);
  });
});
