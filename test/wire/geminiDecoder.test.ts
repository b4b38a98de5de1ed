import type { RxllmEvent } from '../../src/base/events';
import type { Message } from '../../src/base/message';
import { decodeChunks, decodeFixtureEveryWay } from '../support/decodeFixture';

/** Decodes SSE text the way a source does; returns the events, the message and any error. */
const decode = (sse: string) => decodeChunks('gemini', [sse]);

const sse = (...chunks: unknown[]) =>
  chunks
    .map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\r\n\r\n`)
    .join('');

const response = (
  parts: unknown[],
  extra: Record<string, unknown> = {},
  candidate: Record<string, unknown> = {},
) => ({
  candidates: [{ content: { parts, role: 'model' }, ...candidate }],
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
  ...extra,
});

const byType = (events: RxllmEvent[], type: RxllmEvent['type']) =>
  events.filter((event) => event.type === type);

describe('createGeminiDecoder', () => {
  it('decodes a CRLF-framed stream where the latest usageMetadata wins', () => {
    const { message, events, error } = decodeFixtureEveryWay('gemini', 'edge/gemini-crlf.sse');
    expect(error).toBeUndefined();
    expect(message).toEqual<Message>({
      id: 'w1peaMz6INOvnvgPgYfPiQY',
      provider: 'google',
      model: 'gemini-2.0-flash-exp',
      text: 'The capital of France is Paris.\n',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: { inputTokens: 13, outputTokens: 8, totalTokens: 21 },
      finishReason: 'stop',
    });
    expect(events).toEqual([
      { type: 'start', id: 'w1peaMz6INOvnvgPgYfPiQY', provider: 'google', model: 'gemini-2.0-flash-exp' },
      { type: 'text', text: 'The' },
      { type: 'usage', inputTokens: 15, outputTokens: 0, totalTokens: 15 },
      { type: 'text', text: ' capital of France' },
      { type: 'text', text: ' is Paris.\n' },
      { type: 'finish', reason: 'stop', rawReason: 'STOP' },
      { type: 'usage', inputTokens: 13, outputTokens: 8, totalTokens: 21 },
    ]);
  });

  it('reads thought parts as reasoning and counts thinking tokens as output', () => {
    const { message, error } = decode(
      sse(
        response([{ text: 'Weighing', thought: true }]),
        response(
          [{ text: ' options.', thought: true }, { text: 'Go left.' }],
          {
            usageMetadata: {
              promptTokenCount: 10,
              candidatesTokenCount: 3,
              thoughtsTokenCount: 20,
              cachedContentTokenCount: 4,
              totalTokenCount: 33,
            },
          },
          { finishReason: 'STOP' },
        ),
      ),
    );
    expect(error).toBeUndefined();
    expect(message).toEqual<Message>({
      id: 'resp-1',
      provider: 'google',
      model: 'gemini-2.5-flash',
      text: 'Go left.',
      reasoning: 'Weighing options.',
      refusal: '',
      toolCalls: [],
      usage: {
        inputTokens: 10,
        outputTokens: 23,
        totalTokens: 33,
        cachedInputTokens: 4,
        reasoningTokens: 20,
      },
      finishReason: 'stop',
    });
  });

  it('reads functionCall parts as complete tool calls with synthesized ids and finishes with tool-calls', () => {
    const { events, message } = decode(
      sse(
        response([
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'get_time', args: {} } },
        ]),
        response([{ functionCall: { name: 'get_news' } }], {}, { finishReason: 'STOP' }),
      ),
    );
    expect(events.slice(1, 4)).toEqual([
      { type: 'tool-call-start', id: 'call_0', name: 'get_weather', index: 0 },
      { type: 'tool-call-delta', id: 'call_0', index: 0, argsText: '{"city":"Paris"}' },
      {
        type: 'tool-call',
        id: 'call_0',
        name: 'get_weather',
        index: 0,
        args: { city: 'Paris' },
        argsText: '{"city":"Paris"}',
      },
    ]);
    expect(message.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' },
      { id: 'call_1', name: 'get_time', args: {}, argsText: '{}' },
      { id: 'call_2', name: 'get_news', args: {}, argsText: '{}' },
    ]);
    expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'tool-calls', rawReason: 'STOP' }]);
  });

  it('passes a part’s thoughtSignature on as a reasoning signature', () => {
    const { events } = decode(
      sse(
        response(
          [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }],
          {},
          { finishReason: 'STOP' },
        ),
      ),
    );
    expect(events.map((event) => event.type)).toEqual([
      'start',
      'reasoning',
      'tool-call-start',
      'tool-call-delta',
      'tool-call',
      'finish',
    ]);
    expect(byType(events, 'reasoning')).toEqual([{ type: 'reasoning', text: '', signature: 'c2lnbmF0dXJl' }]);
  });

  it('keeps the id Gemini gives a function call', () => {
    const { message } = decode(
      sse(
        response([{ functionCall: { id: 'fc-9', name: 'f', args: { a: 1 } } }], {}, { finishReason: 'STOP' }),
      ),
    );
    expect(message.toolCalls).toEqual([{ id: 'fc-9', name: 'f', args: { a: 1 }, argsText: '{"a":1}' }]);
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content-filter'],
    ['RECITATION', 'content-filter'],
    ['MALFORMED_FUNCTION_CALL', 'error'],
    ['OTHER', 'other'],
  ])('normalizes finishReason %s to %s', (raw, reason) => {
    const { events, error } = decode(sse(response([{ text: 'x' }], {}, { finishReason: raw })));
    expect(error).toBeUndefined();
    expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason, rawReason: raw }]);
  });

  it('finishes with content-filter when the prompt is blocked and no candidate comes', () => {
    const { events, error } = decode(
      sse({
        promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
        usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 },
      }),
    );
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'start', provider: 'google' },
      { type: 'finish', reason: 'content-filter', rawReason: 'PROHIBITED_CONTENT' },
      { type: 'usage', inputTokens: 7, outputTokens: 0, totalTokens: 7 },
    ]);
  });

  it('keeps two candidates apart', () => {
    const { events, message } = decode(
      sse({
        candidates: [
          { index: 0, content: { parts: [{ text: 'One' }] }, finishReason: 'STOP' },
          { index: 1, content: { parts: [{ text: 'Two' }] }, finishReason: 'MAX_TOKENS' },
        ],
      }),
    );
    expect(events.slice(1)).toEqual([
      { type: 'text', text: 'One' },
      { type: 'finish', reason: 'stop', rawReason: 'STOP' },
      { type: 'text', text: 'Two', choice: 1 },
      { type: 'finish', reason: 'length', rawReason: 'MAX_TOKENS', choice: 1 },
    ]);
    expect(message.choices?.map((choice) => [choice.text, choice.finishReason])).toEqual([
      ['One', 'stop'],
      ['Two', 'length'],
    ]);
  });

  it('throws an in-band error mapped by its HTTP code, keeping the partial text', () => {
    const { error } = decode(
      sse(response([{ text: 'Partial' }]), {
        error: {
          code: 503,
          message: 'The model is overloaded. Please try again later.',
          status: 'UNAVAILABLE',
        },
      }),
    );
    expect(error).toMatchObject({
      code: 'overloaded',
      status: 503,
      providerCode: 'UNAVAILABLE',
      dialect: 'gemini',
      retryable: true,
      message: 'gemini: UNAVAILABLE: The model is overloaded. Please try again later.',
    });
    expect(error?.partial?.text).toBe('Partial');
  });

  it('throws a network error with the partial message when the stream ends before a finishReason', () => {
    const { error } = decode(sse(response([{ text: 'Half an ans' }])));
    expect(error).toMatchObject({ code: 'network', dialect: 'gemini' });
    expect(error?.message).toBe('gemini: stream ended before a finishReason');
    expect(error?.partial).toMatchObject({ text: 'Half an ans', finishReason: 'error', id: 'resp-1' });
  });

  it('throws malformed naming the dialect and quoting the line when parts is not an array', () => {
    const line = '{"candidates":[{"content":{"parts":{"text":"x"}}}]}';
    const { error } = decode(sse(line));
    expect(error).toMatchObject({ code: 'malformed', dialect: 'gemini', line });
    expect(error?.message).toBe(`gemini: content.parts is not an array: ${line}`);
  });

  it('throws malformed when a part’s text is not a string', () => {
    const { error } = decode(sse(response([{ text: 5 }])));
    expect(error?.code).toBe('malformed');
    expect(error?.message).toContain('parts[].text is not a string');
  });

  it('skips chunks it does not know and data-only keep-alives', () => {
    const { events, error } = decode(
      sse({}, { type: 'ping' }, response([{ text: 'Hi' }], {}, { finishReason: 'STOP' })),
    );
    expect(error).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['start', 'text', 'finish']);
  });
});
