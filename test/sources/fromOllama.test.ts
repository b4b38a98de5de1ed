import { collect } from '../../src/sinks/collect';
import { fromOllama } from '../../src/sources/fromOllama';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { run, unsubscribeAt } from './helpers';

const messages = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

describe('fromOllama', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts a chat to /api/chat and streams the NDJSON answer with usage', async () => {
    server = await createReplayServer({
      routes: { '/api/chat': { transcript: fixtureBytes('ollama/chat-text-docs.ndjson') } },
      timing: { tokensPerSecond: 1000 },
    });
    const outcome = await run(
      fromOllama({ baseUrl: server.url, model: 'llama3.2', messages, options: { temperature: 0 } }),
    );
    expect(outcome).toEqual({
      completed: true,
      events: [
        { type: 'step-start', step: 0, model: 'llama3.2', provider: 'ollama', seq: 0 },
        { type: 'start', provider: 'ollama', model: 'llama3.2', created: 1691164339385, seq: 1 },
        { type: 'text', text: 'The', seq: 2 },
        { type: 'finish', reason: 'stop', seq: 3 },
        { type: 'usage', inputTokens: 26, outputTokens: 282, totalTokens: 308, seq: 4 },
      ],
    });
    const request = server.requests[0]!;
    expect([request.method, request.path]).toEqual(['POST', '/api/chat']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({ model: 'llama3.2', messages, options: { temperature: 0 }, stream: true });
  });

  it('synthesizes an id for a tool call, which Ollama sends whole and without one', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('ollama/chat-tool-call-docs.ndjson') });
    const message = await collect(
      fromOllama({
        baseUrl: `${server.url}/`,
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Weather in Tokyo?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      }),
    );
    expect(message.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', args: { city: 'Tokyo' }, argsText: '{"city":"Tokyo"}' },
    ]);
    expect(message.finishReason).toBe('tool-calls');
    expect(message.usage).toEqual({ inputTokens: 169, outputTokens: 15, totalTokens: 184 });
    expect(server.requests[0]!.path).toBe('/api/chat');
    expect((server.requests[0]!.json as { tools: unknown[] }).tools).toHaveLength(1);
  });

  it('posts a prompt to /api/generate with the named options', async () => {
    server = await createReplayServer({
      routes: {
        '/api/generate': { transcript: fixtureBytes('ollama/generate-text-context-metrics.ndjson') },
      },
      timing: { sliceBytes: 10 },
    });
    const message = await collect(
      fromOllama({
        baseUrl: server.url,
        model: 'granite3.3:2b',
        prompt: 'Name a rabbit.',
        format: 'json',
        think: false,
        keepAlive: '5m',
        body: { system: 'Be brief.' },
      }),
    );
    expect(message).toEqual({
      provider: 'ollama',
      model: 'granite3.3:2b',
      text: 'Fluffy Burrower.',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: { inputTokens: 50, outputTokens: 8, totalTokens: 58 },
      finishReason: 'stop',
    });
    expect(server.requests[0]!.json).toEqual({
      system: 'Be brief.',
      model: 'granite3.3:2b',
      prompt: 'Name a rabbit.',
      format: 'json',
      think: false,
      keep_alive: '5m',
      stream: true,
    });
  });

  it('streams thinking apart from the answer', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('ollama/generate-thinking-cloud-no-durations.ndjson'),
      timing: { sliceBytes: 33 },
    });
    const message = await collect(
      fromOllama({ baseUrl: server.url, model: 'gpt-oss:120b', prompt: 'Rabbit?' }),
    );
    expect(message.reasoning).toBe(
      'We need to respond with three words describing a rabbit. No disallowed content. Simple.',
    );
    expect(message.text).toBe('Soft, swift, curious.');
    expect(message.usage).toEqual({ inputTokens: 81, outputTokens: 34, totalTokens: 115 });
  });

  it('turns an in-band error line into an error that keeps the partial message', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('ollama/generate-midstream-error.ndjson') });
    const outcome = await run(fromOllama({ baseUrl: server.url, model: 'gemma4', prompt: 'Can you?' }));
    expect(outcome.events.filter((event) => event.type === 'text').map((event) => event.text)).toEqual([
      ' Yes',
      '.',
      'I',
      'can',
    ]);
    expect(outcome.error?.message).toMatch(/an error was encountered while running the model/);
    expect(outcome.error?.dialect).toBe('ollama');
    expect(outcome.error?.partial?.text).toBe(' Yes.Ican');
  });

  it("reports a missing model as an HTTP error with Ollama's message", async () => {
    server = await createReplayServer({
      fault: {
        kind: 'http-error',
        status: 404,
        body: { error: 'model "llama9" not found, try pulling it first' },
      },
    });
    const outcome = await run(fromOllama({ baseUrl: server.url, model: 'llama9', messages }));
    expect(outcome.error).toMatchObject({
      code: 'http',
      status: 404,
      retryable: false,
      message: 'HTTP 404: model "llama9" not found, try pulling it first',
    });
  });

  it('reports a server that is not running as a network error', async () => {
    const stopped = await createReplayServer();
    const url = stopped.url;
    await stopped.close();
    const outcome = await run(fromOllama({ baseUrl: url, model: 'llama3.2', messages }));
    expect(outcome.error).toMatchObject({ code: 'network', retryable: true });
  });

  it('reports a stream that ends before done:true as a network error', async () => {
    const lines = Buffer.from(fixtureBytes('ollama/generate-docs-done-on-last-token.ndjson')).toString(
      'utf8',
    );
    server = await createReplayServer({
      transcript: lines.slice(
        0,
        lines.indexOf('{"model":"gemma4","created_at":"2025-10-26T17:15:24.155176Z"'),
      ),
    });
    const outcome = await run(fromOllama({ baseUrl: server.url, model: 'gemma4', prompt: 'Q' }));
    expect(outcome.error).toMatchObject({ code: 'network' });
    expect(outcome.error?.partial?.text).toBe("That's a fantastic");
  });

  it('closes the connection on unsubscribe, without an error', async () => {
    const transcript = fixtureBytes('ollama/generate-thinking-cloud-no-durations.ndjson');
    server = await createReplayServer({
      transcript,
      timing: { tokensPerSecond: 500 },
      fault: { kind: 'stall', afterBytes: 1000 },
    });
    const outcome = await unsubscribeAt(
      fromOllama({ baseUrl: server.url, model: 'gpt-oss:120b', prompt: 'Rabbit?' }),
      'reasoning',
    );
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.bytesSent).toBeLessThan(transcript.length);
    expect(outcome.seen.map((event) => event.type)).toEqual(['step-start', 'start', 'reasoning']);
    expect(outcome.errored).toBe(false);
  });

  it('makes the request with the given fetch and headers, only on subscribe', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('ollama/chat-text-docs.ndjson') });
    const calls: string[] = [];
    const events$ = fromOllama({
      baseUrl: server.url,
      model: 'llama3.2',
      messages,
      headers: { authorization: 'Bearer k' },
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    expect(calls).toEqual([]);
    expect((await run(events$)).completed).toBe(true);
    expect(calls).toEqual([`${server.url}/api/chat`]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer k');
  });

  it('throws at once for a missing model or an ambiguous request', () => {
    expect(() => fromOllama({ messages } as never)).toThrow(
      'rxllm: fromOllama: model is required, got undefined',
    );
    expect(() => fromOllama({ model: 'm' })).toThrow(
      'rxllm: fromOllama: give exactly one of messages (/api/chat) or prompt (/api/generate)',
    );
    expect(() => fromOllama({ model: 'm', messages, prompt: 'p' })).toThrow(/exactly one of messages/);
    expect(() => fromOllama({ model: 'm', messages: 'hi' as never })).toThrow(
      'rxllm: fromOllama: messages must be an array, got string',
    );
  });
});
