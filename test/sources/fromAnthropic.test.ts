import Anthropic from '@anthropic-ai/sdk';
import { collect } from '../../src/sinks/collect';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { run, unsubscribeAt } from './helpers';

const params = {
  model: 'claude-sonnet-4-20250514',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: "What's the weather in Paris?" }],
};
const toolUse = fixtureBytes('anthropic/tool-use.sse');
const toolUseString = Buffer.from(toolUse).toString('utf8');

function client(server: ReplayServer): Anthropic {
  return new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
}

describe('fromAnthropic', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams text, a tool call and usage through the Anthropic SDK from a recorded stream sent in small slices', async () => {
    server = await createReplayServer({ transcript: toolUse, timing: { sliceBytes: 9, sliceDelayMs: 1 } });
    const outcome = await run(fromAnthropic(client(server), params));
    expect(outcome.completed).toBe(true);
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    expect(outcome.events[0]).toEqual({
      type: 'step-start',
      step: 0,
      model: params.model,
      provider: 'anthropic',
      seq: 0,
    });
    expect(outcome.events[1]).toEqual({
      type: 'start',
      id: 'msg_019Q1hrJbZG26Fb9BQhrkHEr',
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      seq: 1,
    });
    const message = await collect(fromAnthropic(client(server), params));
    expect(message).toEqual({
      id: 'msg_019Q1hrJbZG26Fb9BQhrkHEr',
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      text: "I'll check the current weather in Paris for you.",
      reasoning: '',
      refusal: '',
      toolCalls: [
        {
          id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn',
          name: 'get_weather',
          args: { location: 'Paris' },
          argsText: '{"location": "Paris"}',
        },
      ],
      usage: { inputTokens: 377, outputTokens: 65, totalTokens: 442, cachedInputTokens: 0 },
      finishReason: 'tool-calls',
    });
  });

  it('sends the params with stream set, through the SDK with its auth', async () => {
    server = await createReplayServer({ transcript: toolUse });
    await run(fromAnthropic(client(server), { ...params, stream: false }));
    const request = server.requests[0]!;
    expect([request.method, request.path]).toEqual(['POST', '/v1/messages']);
    // @anthropic-ai/sdk 1.x sends the key as a bearer token (0.x sent x-api-key).
    expect(request.headers.authorization).toBe('Bearer test');
    expect(request.json).toEqual({ ...params, stream: true });
  });

  it('streams thinking with its signature before the answer', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('anthropic/thinking-signature.sse'),
      timing: { sliceBytes: 31 },
    });
    const outcome = await run(fromAnthropic(client(server), params));
    const reasoning = outcome.events.filter((event) => event.type === 'reasoning');
    expect(reasoning.map((event) => event.text).join('')).toBe(
      'This is a straightforward question about pedestrian safety. I should provide clear, helpful advice about how to safely cross a street. This is basic safety information that could help prevent accidents.',
    );
    const signed = reasoning.filter((event) => event.signature !== undefined);
    expect(signed).toHaveLength(1);
    expect(signed[0]!.signature).toMatch(/^EvMCCkYICxgCKkCHP2cSuEdcJK\/0rFwqES/);
    const firstText = outcome.events.findIndex((event) => event.type === 'text');
    expect(firstText).toBeGreaterThan(outcome.events.indexOf(signed[0]!));
    const message = await collect(fromAnthropic(client(server), params));
    expect(message.text.startsWith('Here are the basic steps for safely crossing the street:')).toBe(true);
    expect(message.usage).toEqual({
      inputTokens: 43,
      outputTokens: 282,
      totalTokens: 325,
      cachedInputTokens: 0,
    });
    expect(message.finishReason).toBe('stop');
  });

  it('turns an in-band overloaded_error into an overloaded error that keeps the partial message', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'),
      timing: { sliceBytes: 17 },
    });
    const outcome = await run(fromAnthropic(client(server), params));
    expect(outcome.error).toMatchObject({
      code: 'overloaded',
      retryable: true,
      providerCode: 'overloaded_error',
      dialect: 'anthropic',
    });
    expect(outcome.error?.partial).toMatchObject({
      id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK',
      model: 'claude-3-opus-20240229',
      text: 'Hello there',
    });
  });

  it.each([
    [
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      { 'request-id': 'req_529' },
      { code: 'overloaded', retryable: true, providerCode: 'overloaded_error', requestId: 'req_529' },
      'Overloaded',
    ],
    [
      401,
      { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
      {},
      { code: 'auth', retryable: false, providerCode: 'authentication_error' },
      'invalid x-api-key',
    ],
    [
      429,
      {
        type: 'error',
        error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit' },
      },
      { 'retry-after': '30' },
      { code: 'rate-limit', retryable: true, retryAfterMs: 30_000, providerCode: 'rate_limit_error' },
      'Number of request tokens has exceeded your rate limit',
    ],
    [
      400,
      {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: 'prompt is too long: 215000 tokens > 200000 maximum',
        },
      },
      {},
      { code: 'context-length', retryable: false },
      'prompt is too long: 215000 tokens > 200000 maximum',
    ],
  ] as const)('maps the SDK error for HTTP %i', async (status, body, headers, expected, providerMessage) => {
    server = await createReplayServer({ fault: { kind: 'http-error', status, body, headers } });
    const outcome = await run(fromAnthropic(client(server), params));
    expect(outcome.events).toEqual([
      { type: 'step-start', step: 0, model: params.model, provider: 'anthropic', seq: 0 },
    ]);
    expect(outcome.error).toMatchObject({ ...expected, status, dialect: 'anthropic' });
    expect(outcome.error?.message).toBe(`HTTP ${status}: ${providerMessage}`);
    expect(outcome.error?.providerMessage).toBe(providerMessage);
  });

  it('keeps what arrived when the connection is cut mid-stream', async () => {
    server = await createReplayServer({
      transcript: toolUse,
      timing: { sliceBytes: 16 },
      // Inside the first input_json_delta that carries arguments.
      fault: { kind: 'cut', afterBytes: toolUseString.indexOf('{\\"locati') },
    });
    const outcome = await run(fromAnthropic(client(server), params));
    expect(outcome.error).toMatchObject({ code: 'network', retryable: true });
    expect(outcome.error?.partial).toMatchObject({
      text: "I'll check the current weather in Paris for you.",
      toolCalls: [
        { id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather', argsText: '', incomplete: true },
      ],
      finishReason: 'error',
    });
  });

  it('closes the connection when the subscriber unsubscribes mid-stream, without an error', async () => {
    server = await createReplayServer({
      transcript: toolUse,
      timing: { sliceBytes: 32 },
      fault: { kind: 'stall', afterBytes: toolUseString.indexOf('event: content_block_stop') },
    });
    const outcome = await unsubscribeAt(fromAnthropic(client(server), params), 'text');
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(outcome.seen.map((event) => event.type)).toEqual(['step-start', 'start', 'usage', 'text']);
    expect(outcome.errored).toBe(false);
  });

  it('makes no request before subscribe', async () => {
    server = await createReplayServer({ transcript: toolUse });
    const events$ = fromAnthropic(client(server), params);
    expect(server.requests).toHaveLength(0);
    expect((await run(events$)).completed).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('throws at once without a client', () => {
    expect(() => fromAnthropic(undefined as unknown as Anthropic, params)).toThrow(
      'rxllm: fromAnthropic: client must be an Anthropic client (new Anthropic(...)), got undefined',
    );
  });
});
