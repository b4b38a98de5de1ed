import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { concat, from, throwError } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import type { Dialect } from '../../src/wire/types';
import { defaultLimits } from '../../src/base/limits';
import { toSSE } from '../../src/operators/toSSE';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromNDJSON } from '../../src/sources/fromNDJSON';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromOpenAIResponses } from '../../src/sources/fromOpenAIResponses';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { run } from '../sources/helpers';
import { decode, pieces, sse } from './support';

// Issue 12, item 7 and "bounded memory": no line, event, tool-argument or message size was
// limited. Each limit now fails the stream with a `limit-exceeded` RxllmError naming it, keeps what
// arrived before in `partial`, and can be raised per source with `limits`.

const chunk = (delta: object, finish: string | null = null) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function expectLimit(error: RxllmError | undefined, limit: string): void {
  expect(error?.code).toBe('limit-exceeded');
  expect(error?.limit).toBe(limit);
  expect(error?.retryable).toBe(false);
  expect(error?.message).toContain(`limits.${limit}`);
}

describe('maxEventSize', () => {
  const before = sse([chunk({ content: 'kept' })]);

  it('an SSE line that never ends fails once it passes the limit, whatever the chunking', async () => {
    const line = `data: ${'x'.repeat(500)}`;
    const outcome = await decode('openai-chat', [before, line, line, line], { maxEventSize: 1000 });
    expectLimit(outcome.error, 'maxEventSize');
    expect(outcome.error?.partial?.text).toBe('kept');
  });

  it('data lines that never get their blank line fail too', async () => {
    const lines = Array.from({ length: 50 }, () => `data: ${'y'.repeat(40)}\n`);
    const outcome = await decode('openai-chat', [before, ...lines], { maxEventSize: 1000 });
    expectLimit(outcome.error, 'maxEventSize');
  });

  it('the default is 8 MiB: an event just under it decodes, one over it fails', async () => {
    const under = JSON.stringify(chunk({ content: 'z'.repeat(defaultLimits.maxEventSize - 200) }));
    const ok = await decode('openai-chat', [sse([under]), sse(['[DONE]'])]);
    expect(ok.error).toBeUndefined();
    const over = `data: ${'z'.repeat(defaultLimits.maxEventSize + 1)}`;
    const outcome = await decode('openai-chat', [before, over]);
    expectLimit(outcome.error, 'maxEventSize');
  });

  it('an NDJSON line without a newline fails once it passes the limit', async () => {
    const outcome = await run(
      fromNDJSON(
        pieces(
          '{"model":"m","response":"kept","done":false}\n',
          ...Array.from({ length: 10 }, () => 'w'.repeat(300)),
        ),
        {
          dialect: 'ollama',
          limits: { maxEventSize: 1000 },
        },
      ),
    );
    expectLimit(outcome.error, 'maxEventSize');
    expect(outcome.error?.partial?.text).toBe('kept');
  });

  it('a complete NDJSON line over the limit fails too', async () => {
    const outcome = await decode('ollama', `{"model":"m","response":"${'v'.repeat(2000)}","done":true}\n`, {
      maxEventSize: 1000,
    });
    expectLimit(outcome.error, 'maxEventSize');
  });
});

describe('maxToolArgumentsSize and maxMessageSize', () => {
  it('one tool call whose arguments grow past the limit fails, naming it', async () => {
    const start = chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '' } }] });
    const pieceOfArgs = chunk({
      tool_calls: [{ index: 0, function: { arguments: '"aaaaaaaaaaaaaaaaaaaa' } }],
    });
    const outcome = await decode(
      'openai-chat',
      sse([start], ...Array.from({ length: 10 }, () => [pieceOfArgs] as const)),
      { maxToolArgumentsSize: 100 },
    );
    expectLimit(outcome.error, 'maxToolArgumentsSize');
  });

  it('a tool call that arrives whole is counted too (ollama)', async () => {
    const args = JSON.stringify({ q: 'u'.repeat(500) });
    const outcome = await decode(
      'ollama',
      `{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":${args}}}]},"done":false}\n`,
      { maxToolArgumentsSize: 100 },
    );
    expectLimit(outcome.error, 'maxToolArgumentsSize');
  });

  it('text, reasoning and arguments together count against maxMessageSize', async () => {
    const events = Array.from(
      { length: 20 },
      (_, i) => [chunk(i % 2 ? { content: 'abcdefghij' } : { reasoning_content: 'abcdefghij' })] as const,
    );
    const outcome = await decode('openai-chat', sse(...events, ['[DONE]']), { maxMessageSize: 150 });
    expectLimit(outcome.error, 'maxMessageSize');
    expect(outcome.error?.partial?.text).toBe('abcdefghij'.repeat(7));
  });

  // A decoder of the app's own (or the browser's rxllm checker, which leaves optional fields to
  // the app) may pass a field of the wrong type: the count must not be switched off by it.
  it.each([
    ['a negative length', { length: -1e300 }],
    ['a string length', { length: 'x' }],
  ])('an optional field with %s does not switch the message limit off', async (_, signature) => {
    const trusting: Dialect = {
      name: 'trusting',
      framing: 'sse',
      createDecoder: (emit) => ({
        message: (data) => emit(JSON.parse(data) as RxllmEvent),
        end: () => {},
      }),
    };
    const events = [
      [{ type: 'reasoning', text: '', signature }] as const,
      ...Array.from({ length: 30 }, () => [{ type: 'text', text: 'abcdefghij' }] as const),
    ];
    const outcome = await run(
      fromSSE(pieces(sse(...events)), { dialect: trusting, limits: { maxMessageSize: 100 } }),
    );
    expectLimit(outcome.error, 'maxMessageSize');
    expect(outcome.error?.partial?.text).toBe('abcdefghij'.repeat(10));
  });

  it('under the limits the same stream completes', async () => {
    const events = Array.from({ length: 20 }, () => [chunk({ content: 'abcdefghij' })] as const);
    const outcome = await decode('openai-chat', sse(...events, ['[DONE]']), { maxMessageSize: 200 });
    expect(outcome.error).toBeUndefined();
  });
});

describe('the limits option', () => {
  it.each([
    [{ maxEventSize: -1 }, /maxEventSize must be a number > 0/],
    [{ maxEventSize: Number.NaN }, /maxEventSize must be a number > 0/],
    [{ maxEvents: 3 }, /unknown limit "maxEvents"/],
  ])('%j throws a TypeError when the source is built', (limits, message) => {
    expect(() => fromSSE(pieces(''), { dialect: 'rxllm', limits: limits as never })).toThrow(message);
  });

  it('a limit-exceeded error crosses the rxllm dialect with its limit named', async () => {
    const error = new RxllmError('rxllm: the message exceeds limits.maxMessageSize (10)', {
      code: 'limit-exceeded',
      limit: 'maxMessageSize',
    });
    let text = '';
    concat(
      from([{ type: 'text' as const, text: 'a' }]),
      throwError(() => error),
    )
      .pipe(toSSE({ dialect: 'rxllm' }))
      .subscribe((frame) => (text += frame));
    const outcome = await decode('rxllm', text);
    expect(outcome.error?.code).toBe('limit-exceeded');
    expect(outcome.error?.limit).toBe('maxMessageSize');
  });
});

describe('the SDK sources and fromOllama take limits', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fromOpenAI', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('openai-chat/text-include-usage.sse') });
    const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const outcome = await run(
      fromOpenAI(
        client,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { limits: { maxMessageSize: 10 } },
      ),
    );
    expectLimit(outcome.error, 'maxMessageSize');
  });

  it('fromOpenAIResponses', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-responses/reasoning-summary-text.sse'),
    });
    const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const outcome = await run(
      fromOpenAIResponses(client, { model: 'o4-mini', input: 'hi' }, { limits: { maxMessageSize: 10 } }),
    );
    expectLimit(outcome.error, 'maxMessageSize');
  });

  it('fromAnthropic', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('anthropic/tool-use.sse') });
    const client = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const outcome = await run(
      fromAnthropic(
        client,
        { model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        { limits: { maxToolArgumentsSize: 5 } },
      ),
    );
    expectLimit(outcome.error, 'maxToolArgumentsSize');
  });

  it('fromOllama', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('ollama/chat-text-docs.ndjson') });
    const outcome = await run(
      fromOllama({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'hi' }],
        baseUrl: server.url,
        limits: { maxEventSize: 20 },
      }),
    );
    expectLimit(outcome.error, 'maxEventSize');
  });
});
