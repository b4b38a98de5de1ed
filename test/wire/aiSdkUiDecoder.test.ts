import { streamText, tool } from 'ai';
import { z } from 'zod';
import type { Message } from '../../src/base/message';
import { collect } from '../../src/sinks/collect';
import { fromSSE } from '../../src/sources/fromSSE';
import { decodeChunks, slices } from '../support/decodeFixture';
import { mockModel } from '../support/aiSdkMockModel';

const decode = (sse: string) => decodeChunks('ai-sdk-ui', [sse]);
const sse = (...chunks: unknown[]) =>
  chunks.map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`).join('');

/** The real `ai` package: streamText over its own mock model, served as useChat expects it. */
function aiSdkResponse(withUsage = false): Response {
  const { model } = mockModel();
  const result = streamText({
    model,
    prompt: 'Weather in Paris?',
    tools: { weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
  });
  return result.toUIMessageStreamResponse({
    sendReasoning: true,
    ...(withUsage && {
      messageMetadata: ({ part }) => (part.type === 'finish' ? { usage: part.totalUsage } : undefined),
    }),
  });
}

describe('createAISDKUIDecoder', () => {
  it("decodes the real output of streamText(...).toUIMessageStreamResponse() to the model's text, reasoning and tool call", async () => {
    const response = aiSdkResponse();
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const message = await collect(fromSSE(response, { dialect: 'ai-sdk-ui' }));
    expect(message).toEqual<Message>({
      provider: 'ai-sdk',
      text: 'Let me check "Paris" for you.',
      reasoning: 'The user wants the weather.',
      refusal: '',
      toolCalls: [{ id: 'call-1', name: 'weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' }],
      usage: null,
      finishReason: 'tool-calls',
    });
  });

  it('reads usage an AI SDK server sends in its finish metadata, whole and byte by byte alike', async () => {
    const bytes = new Uint8Array(await aiSdkResponse(true).arrayBuffer());
    const whole = decodeChunks('ai-sdk-ui', [bytes]);
    expect(whole.error).toBeUndefined();
    expect(whole.message.usage).toEqual({
      inputTokens: 12,
      outputTokens: 30,
      totalTokens: 42,
      reasoningTokens: 10,
    });
    const split = decodeChunks('ai-sdk-ui', slices(bytes, 'byte-by-byte'));
    expect(split.events).toEqual(whole.events);
  });

  it('gives a tool call that arrives whole a start and one delta, and skips tool outputs, steps and data parts', () => {
    const { events, message, error } = decode(
      sse(
        { type: 'start', messageId: 'm1' },
        { type: 'start-step' },
        { type: 'data-weather', data: { city: 'Paris' } },
        { type: 'tool-input-available', toolCallId: 'c1', toolName: 'weather', input: { city: 'Paris' } },
        { type: 'tool-output-available', toolCallId: 'c1', output: { temperature: 21 } },
        { type: 'finish-step' },
        { type: 'finish' },
        '[DONE]',
      ),
    );
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'start', id: 'm1', provider: 'ai-sdk' },
      { type: 'tool-call-start', id: 'c1', name: 'weather', index: 0 },
      { type: 'tool-call-delta', id: 'c1', index: 0, argsText: '{"city":"Paris"}' },
      {
        type: 'tool-call',
        id: 'c1',
        name: 'weather',
        index: 0,
        args: { city: 'Paris' },
        argsText: '{"city":"Paris"}',
      },
      { type: 'finish', reason: 'tool-calls' },
    ]);
    expect(message.finishReason).toBe('tool-calls');
  });

  it('reads a signature and redacted reasoning from Anthropic provider metadata', () => {
    const { events } = decode(
      sse(
        { type: 'start' },
        { type: 'reasoning-start', id: 'r0', providerMetadata: { anthropic: { redactedData: 'ENC' } } },
        { type: 'reasoning-end', id: 'r0' },
        { type: 'reasoning-start', id: 'r1' },
        { type: 'reasoning-delta', id: 'r1', delta: 'hmm' },
        {
          type: 'reasoning-delta',
          id: 'r1',
          delta: '',
          providerMetadata: { anthropic: { signature: 'SIG' } },
        },
        { type: 'reasoning-end', id: 'r1' },
        { type: 'finish', finishReason: 'stop' },
        '[DONE]',
      ),
    );
    expect(events.filter((event) => event.type === 'reasoning')).toEqual([
      { type: 'reasoning', text: '', redacted: 'ENC' },
      { type: 'reasoning', text: 'hmm' },
      { type: 'reasoning', text: '', signature: 'SIG' },
    ]);
  });

  it('takes a second start with a new messageId after content as a reset', () => {
    const { message, events } = decode(
      sse(
        { type: 'start', messageId: 'm1' },
        { type: 'text-start', id: 't0' },
        { type: 'text-delta', id: 't0', delta: 'draft' },
        { type: 'text-end', id: 't0' },
        { type: 'start', messageId: 'm1-1' },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'final' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: 'stop' },
        '[DONE]',
      ),
    );
    expect(events.filter((event) => event.type === 'reset')).toHaveLength(1);
    expect(message.text).toBe('final');
  });

  it('throws the error chunk as a provider error after the partial text', () => {
    const { message, error } = decode(
      sse(
        { type: 'start' },
        { type: 'text-start', id: 't0' },
        { type: 'text-delta', id: 't0', delta: 'Hel' },
        { type: 'error', errorText: 'Overloaded' },
        '[DONE]',
      ),
    );
    expect(error).toMatchObject({ code: 'provider', providerMessage: 'Overloaded' });
    expect(message.text).toBe('Hel');
  });

  it('ends an aborted stream as cancelled', () => {
    const { message, error } = decode(sse({ type: 'start' }, { type: 'abort' }, '[DONE]'));
    expect(error).toBeUndefined();
    expect(message.finishReason).toBe('cancelled');
  });

  it('fails a stream cut off before its finish chunk and [DONE] with a network error', () => {
    const { error, message } = decode(
      sse({ type: 'start' }, { type: 'text-start', id: 't0' }, { type: 'text-delta', id: 't0', delta: 'Hi' }),
    );
    expect(error).toMatchObject({ code: 'network', dialect: 'ai-sdk-ui' });
    expect(message.text).toBe('Hi');
  });

  it('throws malformed for a chunk without a type or a delta that is not a string', () => {
    expect(decode(sse({ id: 'x' })).error).toMatchObject({ code: 'malformed' });
    expect(decode(sse({ type: 'text-delta', id: 't', delta: 5 })).error).toMatchObject({ code: 'malformed' });
    expect(decode(sse('{not json')).error).toMatchObject({ code: 'malformed' });
  });
});
