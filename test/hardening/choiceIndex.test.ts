import { from } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { collect } from '../../src/sinks/collect';
import { messageReducer } from '../../src/sinks/messageReducer';
import { MessageAccumulator } from '../../src/base/message';
import { decode, sse } from './support';

// Issue 12, item 1: a choice index from the wire made decoders and the accumulator fill arrays up
// to it (1e6: 14 s and 800 MB; 1e8 aborted the process). Indexes are now bounded by
// limits.maxChoices (default 128) and nothing is filled up to an index from the wire.

const chatChunk = (index: unknown, delta: object, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt',
  choices: [{ index, delta, finish_reason: finish }],
});

describe('choice indexes from the wire', () => {
  it.each([
    ['a text delta', chatChunk(1000, { content: 'x' })],
    [
      'a tool call',
      chatChunk(1000, { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '' } }] }),
    ],
    ['a finish reason', chatChunk(1000, {}, 'stop')],
    ['a huge index', chatChunk(1e9, {}, 'stop')],
  ])(
    'openai-chat: %s at a choice index >= maxChoices is limit-exceeded, naming the limit',
    async (_, chunk) => {
      const outcome = await decode(
        'openai-chat',
        sse([chatChunk(0, { content: 'kept' })], [chunk], ['[DONE]']),
      );
      expect(outcome.error?.code).toBe('limit-exceeded');
      expect(outcome.error?.limit).toBe('maxChoices');
      expect(outcome.error?.retryable).toBe(false);
      expect(outcome.error?.partial?.text).toBe('kept');
    },
  );

  it.each([[-1], [1.5], ['1e999']])('openai-chat: a choice index of %s is malformed', async (index) => {
    const chunk = JSON.stringify(chatChunk(0, { content: 'x' })).replace('"index":0', `"index":${index}`);
    const outcome = await decode('openai-chat', sse([chunk], ['[DONE]']));
    expect(outcome.error?.code).toBe('malformed');
    expect(outcome.error?.dialect).toBe('openai-chat');
  });

  it('gemini: a candidate index >= maxChoices is limit-exceeded', async () => {
    const chunk = {
      candidates: [
        {
          index: 5000,
          content: { parts: [{ functionCall: { name: 'f', args: {} } }] },
          finishReason: 'STOP',
        },
      ],
    };
    const outcome = await decode('gemini', sse([chunk]));
    expect(outcome.error?.code).toBe('limit-exceeded');
    expect(outcome.error?.limit).toBe('maxChoices');
  });

  it('rxllm: an event with a choice >= maxChoices is limit-exceeded', async () => {
    const outcome = await decode(
      'rxllm',
      sse([{ type: 'text', text: 'x', choice: 100_000_000 }], ['[DONE]']),
    );
    expect(outcome.error?.code).toBe('limit-exceeded');
  });

  it('limits.maxChoices raises the bound for a stream that needs more', async () => {
    const outcome = await decode('openai-chat', sse([chatChunk(300, { content: 'x' }, 'stop')], ['[DONE]']), {
      maxChoices: 1000,
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.events.find((event) => event.type === 'text')).toMatchObject({ text: 'x', choice: 300 });
  });

  it('MessageAccumulator (collect) and messageReducer ignore a choice beyond the bound instead of filling to it', async () => {
    const events: RxllmEvent[] = [
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b', choice: 1e9 },
      { type: 'finish', reason: 'stop', choice: 1e9 },
      { type: 'text', text: 'c', choice: -1 },
      { type: 'text', text: 'd', choice: 1 },
    ];
    const message = await collect(from(events));
    expect(message.text).toBe('a');
    expect(message.choices?.map((choice) => choice.text)).toEqual(['a', 'd']);
    const accumulator = new MessageAccumulator();
    for (const event of events) accumulator.apply(event);
    expect(accumulator.snapshot().choices).toHaveLength(2);
    const state = events.reduce(messageReducer, messageReducer.initialState);
    expect(state.tracks.default?.choices?.map((choice) => choice.text)).toEqual(['a', 'd']);
  });
});
