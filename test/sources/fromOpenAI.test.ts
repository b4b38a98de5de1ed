import OpenAI from 'openai';
import { take } from 'rxjs';
import { collect } from '../../src/sinks/collect';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { joinedText, run, unsubscribeAt } from './helpers';

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'user', content: "What's the weather like in SF?" },
];
const textFixture = fixtureBytes('openai-chat/text-include-usage.sse');
const textFixtureString = Buffer.from(textFixture).toString('utf8');

function client(server: ReplayServer): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
}

describe('fromOpenAI', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams text, finish and usage through the OpenAI SDK from a recorded stream sent in small slices', async () => {
    server = await createReplayServer({
      transcript: textFixture,
      timing: { sliceBytes: 13, sliceDelayMs: 1 },
    });
    const outcome = await run(fromOpenAI(client(server), { model: 'gpt-4o-2024-08-06', messages }));

    expect(outcome.completed).toBe(true);
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    // The step (the request) is announced before the response, with the model asked for.
    expect(outcome.events[0]).toEqual({ type: 'step-start', step: 0, model: 'gpt-4o-2024-08-06', seq: 0 });
    expect(outcome.events[1]).toEqual({
      type: 'start',
      id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      created: 1727346168000,
      seq: 1,
    });
    expect(joinedText(outcome.events)).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    // 31 content fields on the wire; the first one, "", is not an event.
    expect(outcome.events.filter((event) => event.type === 'text')).toHaveLength(30);
    expect(outcome.events.slice(-2)).toEqual([
      { type: 'finish', reason: 'stop', rawReason: 'stop', seq: 32 },
      { type: 'usage', inputTokens: 14, outputTokens: 30, totalTokens: 44, reasoningTokens: 0, seq: 33 },
    ]);
  });

  it('sends the params with stream and include_usage set, through the SDK with its auth', async () => {
    server = await createReplayServer({ transcript: textFixture });
    await run(fromOpenAI(client(server), { model: 'gpt-4o', messages, temperature: 0.2, stream: false }));
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect([request.method, request.path]).toEqual(['POST', '/v1/chat/completions']);
    expect(request.headers.authorization).toBe('Bearer test');
    expect(request.json).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: "What's the weather like in SF?" }],
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('leaves include_usage off when the params turn it off', async () => {
    server = await createReplayServer({ transcript: textFixture });
    await run(fromOpenAI(client(server), { model: 'm', messages, stream_options: { include_usage: false } }));
    expect((server.requests[0]!.json as { stream_options: unknown }).stream_options).toEqual({
      include_usage: false,
    });
  });

  it('assembles parallel tool calls', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-chat/parallel-tool-calls.sse'),
      timing: { sliceBytes: 7 },
    });
    const message = await collect(fromOpenAI(client(server), { model: 'gpt-4o-2024-08-06', messages }));
    expect(message.toolCalls).toEqual([
      {
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        args: { city: 'Edinburgh', country: 'GB', units: 'c' },
        argsText: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
      },
      {
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        args: { ticker: 'AAPL', exchange: 'NASDAQ' },
        argsText: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
      },
    ]);
    expect(message.finishReason).toBe('tool-calls');
    expect(message.text).toBe('');
    expect(message.usage).toEqual({
      inputTokens: 149,
      outputTokens: 60,
      totalTokens: 209,
      reasoningTokens: 0,
    });
  });

  it('reads reasoning_content from an OpenAI-compatible server (DeepSeek), multibyte text intact', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('edge/deepseek-reasoning-content.sse'),
      // The 😊 starts at byte 64791 = 56 × 1157 - 1: a slice ends after its first byte.
      timing: { sliceBytes: 56 },
    });
    const message = await collect(fromOpenAI(client(server), { model: 'deepseek-reasoner', messages }));
    expect(message.text).toBe('Hello there! 😊 How can I help you today?');
    expect(message.reasoning.startsWith('Hmm, the user just said "Hello". It\'s a simple greeting')).toBe(
      true,
    );
    expect(message.reasoning.endsWith("they might not reply further - and that's okay too.")).toBe(true);
    expect(message.usage).toEqual({
      inputTokens: 6,
      outputTokens: 212,
      totalTokens: 218,
      cachedInputTokens: 0,
      reasoningTokens: 198,
    });
  });

  it('labels the start event with the configured provider (a vLLM server)', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('vllm/text-include-usage-crusoe.sse') });
    const outcome = await run(
      fromOpenAI(
        client(server),
        { model: 'meta-llama/Llama-3.3-70B-Instruct', messages },
        { provider: 'vllm' },
      ),
    );
    expect(outcome.events[0]).toMatchObject({ type: 'step-start', provider: 'vllm' });
    expect(outcome.events[1]).toMatchObject({ type: 'start', provider: 'vllm' });
    expect(joinedText(outcome.events)).toBe('1, 2, 3, 4, 5');
  });

  it('passes per-request options such as headers to the SDK', async () => {
    server = await createReplayServer({ transcript: textFixture });
    await run(
      fromOpenAI(client(server), { model: 'm', messages }, { request: { headers: { 'x-trace': 'abc' } } }),
    );
    expect(server.requests[0]!.headers['x-trace']).toBe('abc');
  });

  it('makes no request before subscribe and one per subscription', async () => {
    server = await createReplayServer({ transcript: textFixture });
    const events$ = fromOpenAI(client(server), { model: 'm', messages });
    expect(server.requests).toHaveLength(0);
    await run(events$);
    await run(events$);
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    [
      401,
      {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
      {},
      { code: 'auth', status: 401, retryable: false, providerCode: 'invalid_api_key' },
    ],
    [
      429,
      { error: { message: 'Rate limit reached for gpt-4o', type: 'requests', code: 'rate_limit_exceeded' } },
      { 'retry-after': '2', 'x-request-id': 'req_123' },
      { code: 'rate-limit', status: 429, retryable: true, retryAfterMs: 2000, requestId: 'req_123' },
    ],
    [
      529,
      { error: { message: 'The server is overloaded', type: 'server_error' } },
      {},
      { code: 'overloaded', status: 529, retryable: true },
    ],
    [
      400,
      {
        error: {
          message:
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
        },
      },
      {},
      { code: 'context-length', status: 400, retryable: false, providerCode: 'context_length_exceeded' },
    ],
  ] as const)('maps the SDK error for HTTP %i', async (status, body, headers, expected) => {
    server = await createReplayServer({ fault: { kind: 'http-error', status, body, headers } });
    const outcome = await run(fromOpenAI(client(server), { model: 'm', messages }));
    expect(outcome.events).toEqual([{ type: 'step-start', step: 0, model: 'm', seq: 0 }]);
    expect(outcome.error).toMatchObject({ ...expected, dialect: 'openai-chat' });
    expect(outcome.error?.message).toBe(`HTTP ${status}: ${body.error.message}`);
    expect(outcome.error?.providerMessage).toBe(body.error.message);
    expect((outcome.error?.cause as { status?: number }).status).toBe(status);
    expect(outcome.error?.partial?.text).toBe('');
  });

  it("leaves the retry of a failed initial request to the SDK's own maxRetries", async () => {
    server = await createReplayServer({
      routes: {
        '/v1/chat/completions': [
          { fault: { kind: 'http-error', status: 529, headers: { 'retry-after-ms': '1' } } },
          { transcript: textFixture },
        ],
      },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 1 });
    const message = await collect(fromOpenAI(openai, { model: 'm', messages }));
    expect(message.usage).toEqual({ inputTokens: 14, outputTokens: 30, totalTokens: 44, reasoningTokens: 0 });
    expect(server.requests.map((request) => request.status)).toEqual([529, 200]);
    expect(server.requests[1]!.headers['x-stainless-retry-count']).toBe('1');
  });

  it('keeps what arrived when the connection is cut mid-stream', async () => {
    server = await createReplayServer({
      transcript: textFixture,
      timing: { sliceBytes: 11 },
      // Inside the chunk whose content is " provide": the deltas before it arrived whole.
      fault: { kind: 'cut', afterBytes: textFixtureString.indexOf('{"content":" provide"}') },
    });
    const outcome = await run(fromOpenAI(client(server), { model: 'm', messages }));
    expect(outcome.error).toMatchObject({ code: 'network', retryable: true });
    expect(outcome.error?.partial).toEqual({
      id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      text: "I'm unable to",
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: null,
      finishReason: 'error',
    });
  });

  it('reports a malformed chunk with the line and what arrived before it', async () => {
    // The first three chunks: "", "I'm", " unable".
    const firstChunks = textFixtureString.slice(0, textFixtureString.indexOf('data: {', 600));
    server = await createReplayServer({
      transcript: `${firstChunks}data: {"id":"x","choices":[{"index":0,"delta":{"content":"oops"}\n\ndata: [DONE]\n\n`,
    });
    const outcome = await run(fromOpenAI(client(server), { model: 'm', messages }));
    expect(outcome.error).toMatchObject({
      code: 'malformed',
      dialect: 'openai-chat',
      line: '{"id":"x","choices":[{"index":0,"delta":{"content":"oops"}',
    });
    expect(outcome.error?.partial?.text).toBe("I'm unable");
  });

  it('closes the connection when the subscriber unsubscribes mid-stream, without an error', async () => {
    // The server stalls halfway: only the client can end this response.
    server = await createReplayServer({
      transcript: textFixture,
      timing: { sliceBytes: 64 },
      fault: { kind: 'stall', afterBytes: 4000 },
    });
    const outcome = await unsubscribeAt(fromOpenAI(client(server), { model: 'm', messages }), 'text');
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(request.bytesSent).toBeLessThanOrEqual(4000);
    expect(outcome.seen.map((event) => event.type)).toEqual(['step-start', 'start', 'text']);
    expect(outcome.errored).toBe(false);
  });

  it('aborts the request while the SDK waits for the response headers', async () => {
    server = await createReplayServer({ transcript: textFixture, timing: { timeToFirstByteMs: 60_000 } });
    let errored = false;
    const subscription = fromOpenAI(client(server), { model: 'm', messages }).subscribe({
      error: () => (errored = true),
    });
    const request = await server.waitForRequest(0);
    subscription.unsubscribe();
    await request.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.bytesSent).toBe(0);
    expect(errored).toBe(false);
  });

  it('completes after take() without reading the rest of the stream', async () => {
    server = await createReplayServer({
      transcript: textFixture,
      timing: { sliceBytes: 64 },
      fault: { kind: 'stall', afterBytes: 4000 },
    });
    const outcome = await run(fromOpenAI(client(server), { model: 'm', messages }).pipe(take(4)));
    expect(outcome.completed).toBe(true);
    expect(joinedText(outcome.events)).toBe("I'm unable");
    expect((await server.requests[0]!.closed).clientClosed).toBe(true);
  });

  it('throws at once without a client', () => {
    expect(() => fromOpenAI({} as unknown as OpenAI, { model: 'm', messages })).toThrow(
      'rxllm: fromOpenAI: client must be an OpenAI client (new OpenAI(...)), got object',
    );
  });
});
