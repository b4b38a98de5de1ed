import OpenAI from 'openai';
import { collect } from '../../src/sinks/collect';
import { fromOpenAIResponses } from '../../src/sources/fromOpenAIResponses';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { joinedText, run, unsubscribeAt } from './helpers';

function client(server: ReplayServer): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
}

/** The `text` of every `<type>` event in a fixture: the provider's own record of what it streamed. */
function doneTexts(fixture: string, type: string): string[] {
  return Buffer.from(fixtureBytes(fixture))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith(`data: {"type":"${type}"`))
    .map((line) => (JSON.parse(line.slice(6)) as { text: string }).text);
}

describe('fromOpenAIResponses', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams a function call and usage through the OpenAI SDK from a recorded stream', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-responses/function-call.sse'),
      timing: { sliceBytes: 19, sliceDelayMs: 1 },
    });
    const message = await collect(
      fromOpenAIResponses(client(server), { model: 'gpt-4o-2024-08-06', input: 'Capital of France?' }),
    );
    expect(message).toEqual({
      id: 'resp_67e554a155508191900ee113293c4c830794405d35281ae2',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      text: '',
      reasoning: '',
      refusal: '',
      toolCalls: [
        {
          id: 'call_kL0PCQV7M2WMoVX8V8OtYSAL',
          name: 'get_capital',
          args: { country: 'France' },
          argsText: '{"country":"France"}',
        },
      ],
      usage: {
        inputTokens: 255,
        outputTokens: 16,
        totalTokens: 271,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      },
      finishReason: 'tool-calls',
    });
    const request = server.requests[0]!;
    expect([request.method, request.path]).toEqual(['POST', '/v1/responses']);
    expect(request.json).toEqual({ model: 'gpt-4o-2024-08-06', input: 'Capital of France?', stream: true });
  });

  it('streams reasoning summaries and text with typographic characters intact', async () => {
    const fixture = 'openai-responses/reasoning-summary-text.sse';
    server = await createReplayServer({ transcript: fixtureBytes(fixture), timing: { sliceBytes: 501 } });
    const outcome = await run(
      fromOpenAIResponses(client(server), { model: 'o3-mini', input: 'How to cross?' }),
    );
    expect(outcome.completed).toBe(true);
    const text = joinedText(outcome.events);
    expect(text.startsWith("I'm not a road safety professional, but here are some generally accepted")).toBe(
      true,
    );
    expect(text).toContain('prepare to stop—don’t assume vehicles will see you.');
    expect([text]).toEqual(doneTexts(fixture, 'response.output_text.done'));
    const reasoning = joinedText(outcome.events, 'reasoning');
    expect(
      reasoning.startsWith('**Providing street crossing instructions**\n\nThe user is asking how to cros'),
    ).toBe(true);
    for (const part of doneTexts(fixture, 'response.reasoning_summary_text.done'))
      expect(reasoning).toContain(part);
    expect(outcome.events.at(-1)).toMatchObject({
      type: 'usage',
      inputTokens: 13,
      outputTokens: 1680,
      totalTokens: 1693,
      reasoningTokens: 1408,
    });
  });

  it('turns an in-band insufficient_quota error into a non-retryable rate-limit error', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-responses/error-insufficient-quota.sse'),
    });
    const outcome = await run(fromOpenAIResponses(client(server), { model: 'gpt-5-nano', input: 'Hi' }));
    expect(outcome.error).toMatchObject({
      code: 'rate-limit',
      retryable: false,
      providerCode: 'insufficient_quota',
      dialect: 'openai-responses',
    });
    expect(outcome.error?.message).toMatch(/You exceeded your current quota/);
    expect(outcome.error?.partial).toMatchObject({
      id: 'resp_05500b38c2cd9bfc00691c7c9d222481a3b595421266dab424',
      text: '',
    });
  });

  it('maps the SDK error for an HTTP 429 with retry-after-ms', async () => {
    server = await createReplayServer({
      fault: {
        kind: 'http-error',
        status: 429,
        body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
        headers: { 'retry-after-ms': '1500' },
      },
    });
    const outcome = await run(fromOpenAIResponses(client(server), { model: 'm', input: 'Hi' }));
    expect(outcome.error).toMatchObject({
      code: 'rate-limit',
      status: 429,
      retryAfterMs: 1500,
      retryable: true,
      providerCode: 'rate_limit_exceeded',
      message: 'HTTP 429: Rate limit reached',
      providerMessage: 'Rate limit reached',
    });
  });

  it('closes the connection on unsubscribe, without an error', async () => {
    const fixture = fixtureBytes('openai-responses/reasoning-summary-text.sse');
    server = await createReplayServer({
      transcript: fixture,
      timing: { sliceBytes: 256 },
      fault: { kind: 'stall', afterBytes: 20_000 },
    });
    const outcome = await unsubscribeAt(
      fromOpenAIResponses(client(server), { model: 'm', input: 'Hi' }),
      'reasoning',
    );
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.bytesSent).toBeLessThan(fixture.length);
    expect(outcome.errored).toBe(false);
  });
});
