import { EventType, type BaseEvent } from '@ag-ui/core';
import { from } from 'rxjs';
import { toSSE } from '../../src/operators/toSSE';
import { ev } from '../../src/testing';
import { decodeChunks } from '../support/decodeFixture';

const decode = (...events: Array<BaseEvent & Record<string, unknown>>) =>
  decodeChunks('ag-ui', [events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')]);

const run = { threadId: 't1', runId: 'r1' };

describe('createAGUIDecoder', () => {
  it('decodes text, reasoning and a tool call of one run, and usage from RUN_FINISHED', () => {
    const { events, message, error } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: EventType.REASONING_START, messageId: 'r' },
      { type: EventType.REASONING_MESSAGE_START, messageId: 'r', role: 'reasoning' },
      { type: EventType.REASONING_MESSAGE_CONTENT, messageId: 'r', delta: 'Think.' },
      { type: EventType.REASONING_MESSAGE_END, messageId: 'r' },
      { type: EventType.REASONING_END, messageId: 'r' },
      { type: EventType.TEXT_MESSAGE_START, messageId: 'm', role: 'assistant' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm', delta: 'Hi ' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm', delta: 'there' },
      { type: EventType.TEXT_MESSAGE_END, messageId: 'm' },
      { type: EventType.STEP_STARTED, stepName: 'tools' },
      { type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'weather', parentMessageId: 'm' },
      { type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{"city":' },
      { type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '"Paris"}' },
      { type: EventType.TOOL_CALL_END, toolCallId: 'c1' },
      { type: EventType.STEP_FINISHED, stepName: 'tools' },
      {
        type: EventType.RUN_FINISHED,
        ...run,
        usage: [
          { model: 'a', inputTokens: 10, outputTokens: 5 },
          { model: 'b', inputTokens: 1, outputTokens: 2, totalTokens: 3, reasoningTokens: 1 },
        ],
      },
    );
    expect(error).toBeUndefined();
    expect(events[0]).toEqual({ type: 'start', id: 'r1', provider: 'ag-ui' });
    expect(message).toMatchObject({
      text: 'Hi there',
      reasoning: 'Think.',
      toolCalls: [{ id: 'c1', name: 'weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' }],
      usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18, reasoningTokens: 1 },
      // The call is left for the client to run.
      finishReason: 'tool-calls',
    });
  });

  it('finishes with stop when the agent ran its tool calls itself (TOOL_CALL_RESULT)', () => {
    const { message } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'weather' },
      { type: EventType.TOOL_CALL_END, toolCallId: 'c1' },
      { type: EventType.TOOL_CALL_RESULT, messageId: 'tm', toolCallId: 'c1', content: '21°C' },
      { type: EventType.TEXT_MESSAGE_CHUNK, messageId: 'm2', role: 'assistant', delta: 'It is 21°C.' },
      { type: EventType.RUN_FINISHED, ...run },
    );
    expect(message).toMatchObject({ text: 'It is 21°C.', finishReason: 'stop' });
    expect(message.toolCalls).toEqual([{ id: 'c1', name: 'weather', args: {}, argsText: '' }]);
  });

  it('reads TOOL_CALL_CHUNKs, and the older THINKING_* content events as reasoning', () => {
    const { message } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: 'THINKING_TEXT_MESSAGE_CONTENT' as EventType, delta: 'old-style thought' },
      { type: EventType.TOOL_CALL_CHUNK, toolCallId: 'c1', toolCallName: 'a', delta: '{"x":' },
      { type: EventType.TOOL_CALL_CHUNK, delta: '1}' },
      { type: EventType.TOOL_CALL_CHUNK, toolCallId: 'c2', toolCallName: 'b', delta: '{}' },
      { type: EventType.RUN_FINISHED, ...run },
    );
    expect(message.reasoning).toBe('old-style thought');
    expect(message.toolCalls.map((call) => [call.id, call.name, call.args])).toEqual([
      ['c1', 'a', { x: 1 }],
      ['c2', 'b', {}],
    ]);
  });

  it('skips messages of other roles the agent echoes', () => {
    const { message } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: EventType.TEXT_MESSAGE_START, messageId: 'u', role: 'user' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'u', delta: 'question' },
      { type: EventType.TEXT_MESSAGE_END, messageId: 'u' },
      { type: EventType.TEXT_MESSAGE_CHUNK, messageId: 'a', role: 'assistant', delta: 'answer' },
      { type: EventType.RUN_FINISHED, ...run },
    );
    expect(message.text).toBe('answer');
  });

  it('marks a tool call whose arguments never became complete JSON as incomplete', () => {
    const { message } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'weather' },
      { type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{"city":"Par' },
      { type: EventType.RUN_FINISHED, ...run, outcome: { type: 'cancelled' } },
    );
    expect(message.toolCalls).toEqual([
      { id: 'c1', name: 'weather', args: {}, argsText: '{"city":"Par', incomplete: true },
    ]);
    expect(message.finishReason).toBe('cancelled');
  });

  it('throws RUN_ERROR with its code mapped like a provider error type, after the usage it reports', () => {
    const { error, message } = decode(
      { type: EventType.RUN_STARTED, ...run },
      { type: EventType.TEXT_MESSAGE_CHUNK, messageId: 'm', delta: 'Hel' },
      {
        type: EventType.RUN_ERROR,
        message: 'Rate limited',
        code: 'rate_limit_error',
        usage: [{ inputTokens: 3 }],
      },
    );
    expect(error).toMatchObject({
      code: 'rate-limit',
      retryable: true,
      providerCode: 'rate_limit_error',
      providerMessage: 'Rate limited',
    });
    expect(message).toMatchObject({
      text: 'Hel',
      usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 },
    });
    expect(decode({ type: EventType.RUN_ERROR, message: 'boom' }).error).toMatchObject({ code: 'provider' });
  });

  it('fails a stream that ends before RUN_FINISHED with a network error, and a broken event as malformed', () => {
    expect(
      decode({ type: EventType.RUN_STARTED, ...run }, { type: EventType.TEXT_MESSAGE_CHUNK, delta: 'x' })
        .error,
    ).toMatchObject({ code: 'network', dialect: 'ag-ui' });
    expect(decode({ type: EventType.TOOL_CALL_ARGS, toolCallId: 'nope', delta: 'x' }).error).toMatchObject({
      code: 'malformed',
    });
    expect(decode({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm', delta: 3 }).error).toMatchObject({
      code: 'malformed',
    });
  });
});

describe('createAGUIEncoder through toSSE', () => {
  it("writes the caller's threadId and runId, and without a finish event a RUN_FINISHED without a reason", () => {
    let text = '';
    from([ev.text('Hi')])
      .pipe(toSSE({ dialect: 'ag-ui', threadId: 'thread-7', id: 'run-9' }))
      .subscribe((frame) => (text += frame));
    const events = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice('data: '.length)) as Record<string, unknown>);
    expect(events).toEqual([
      { type: 'RUN_STARTED', threadId: 'thread-7', runId: 'run-9' },
      { type: 'TEXT_MESSAGE_START', messageId: 'run-9-text-0', role: 'assistant' },
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'run-9-text-0', delta: 'Hi' },
      { type: 'TEXT_MESSAGE_END', messageId: 'run-9-text-0' },
      { type: 'RUN_FINISHED', threadId: 'thread-7', runId: 'run-9' },
    ]);
  });
});
