import type { RxllmEvent } from '../../src/base/events';
import type { Message } from '../../src/base/message';
import { decodeChunks, decodeFixtureEveryWay } from '../support/decodeFixture';

/** Decodes NDJSON text the way a source does; returns the events, the message and any error. */
const decode = (ndjson: string) => decodeChunks('ollama', [ndjson]);

const lines = (...objects: unknown[]) =>
  objects.map((object) => (typeof object === 'string' ? object : JSON.stringify(object))).join('\n') + '\n';

const chat = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }) => ({
  model: 'qwen3',
  created_at: '2025-01-01T00:00:00Z',
  message: { role: 'assistant', content: '', ...message },
  ...extra,
});

const byType = (events: RxllmEvent[], type: RxllmEvent['type']) =>
  events.filter((event) => event.type === type);

describe('createOllamaDecoder', () => {
  describe('recorded transcripts', () => {
    it('decodes /api/chat text with a final object that has no done_reason', () => {
      const { message, events, error } = decodeFixtureEveryWay('ollama', 'ollama/chat-text-docs.ndjson');
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        provider: 'ollama',
        model: 'llama3.2',
        text: 'The',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 26, outputTokens: 282, totalTokens: 308 },
        finishReason: 'stop',
      });
      expect(events).toEqual([
        // 2023-08-04T08:52:19.385406455-07:00
        {
          type: 'start',
          provider: 'ollama',
          model: 'llama3.2',
          created: Date.UTC(2023, 7, 4, 15, 52, 19, 385),
        },
        { type: 'text', text: 'The' },
        { type: 'finish', reason: 'stop' },
        { type: 'usage', inputTokens: 26, outputTokens: 282, totalTokens: 308 },
      ]);
    });

    it('decodes a complete tool call with a synthesized id and reports tool-calls though done_reason is stop', () => {
      const { message, events, error } = decodeFixtureEveryWay('ollama', 'ollama/chat-tool-call-docs.ndjson');
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        provider: 'ollama',
        model: 'llama3.2',
        text: '',
        reasoning: '',
        refusal: '',
        toolCalls: [
          { id: 'call_0', name: 'get_weather', args: { city: 'Tokyo' }, argsText: '{"city":"Tokyo"}' },
        ],
        usage: { inputTokens: 169, outputTokens: 15, totalTokens: 184 },
        finishReason: 'tool-calls',
      });
      expect(events.slice(1)).toEqual([
        { type: 'tool-call-start', id: 'call_0', name: 'get_weather', index: 0 },
        { type: 'tool-call-delta', id: 'call_0', index: 0, argsText: '{"city":"Tokyo"}' },
        {
          type: 'tool-call',
          id: 'call_0',
          name: 'get_weather',
          index: 0,
          args: { city: 'Tokyo' },
          argsText: '{"city":"Tokyo"}',
        },
        { type: 'finish', reason: 'tool-calls', rawReason: 'stop' },
        { type: 'usage', inputTokens: 169, outputTokens: 15, totalTokens: 184 },
      ]);
    });

    it('keeps the last token of a done object and emits no usage when no counts are reported', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'ollama',
        'ollama/generate-docs-done-on-last-token.ndjson',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        provider: 'ollama',
        model: 'gemma4',
        text: "That's a fantastic question!",
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: 'stop',
      });
      expect(byType(events, 'usage')).toEqual([]);
      expect(events.slice(-2)).toEqual([
        { type: 'text', text: '!' },
        { type: 'finish', reason: 'stop', rawReason: 'stop' },
      ]);
    });

    it('throws the error line as a provider error, keeping the text that arrived', () => {
      const { error } = decodeFixtureEveryWay('ollama', 'ollama/generate-midstream-error.ndjson');
      expect(error).toMatchObject({
        code: 'provider',
        dialect: 'ollama',
        message: 'ollama: error: an error was encountered while running the model',
        retryable: false,
      });
      expect(error?.partial).toEqual<Message>({
        provider: 'ollama',
        model: 'gemma4',
        text: ' Yes.Ican',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: 'error',
      });
    });

    it('decodes /api/generate text with context and duration metrics', () => {
      const { message, error } = decodeFixtureEveryWay(
        'ollama',
        'ollama/generate-text-context-metrics.ndjson',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        provider: 'ollama',
        model: 'granite3.3:2b',
        text: 'Fluffy Burrower.',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 50, outputTokens: 8, totalTokens: 58 },
        finishReason: 'stop',
      });
    });

    it('reads /api/generate thinking as reasoning, skipping empty deltas', () => {
      const { message, events, error } = decodeFixtureEveryWay(
        'ollama',
        'ollama/generate-thinking-cloud-no-durations.ndjson',
      );
      expect(error).toBeUndefined();
      expect(message).toEqual<Message>({
        provider: 'ollama',
        model: 'gpt-oss:120b',
        text: 'Soft, swift, curious.',
        reasoning: 'We need to respond with three words describing a rabbit. No disallowed content. Simple.',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 81, outputTokens: 34, totalTokens: 115 },
        finishReason: 'stop',
      });
      expect(byType(events, 'reasoning')).toHaveLength(18);
      expect(byType(events, 'text')).toHaveLength(6);
    });
  });

  describe('shapes', () => {
    it('reads /api/chat thinking and numbers several tool calls in stream order', () => {
      const { message, events } = decode(
        lines(
          chat({ thinking: 'Two lookups.' }),
          chat({ tool_calls: [{ function: { name: 'a', arguments: { x: 1 } } }] }),
          chat({ tool_calls: [{ function: { name: 'b', arguments: {} } }] }),
          chat({}, { done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 9 }),
        ),
      );
      expect(message.reasoning).toBe('Two lookups.');
      expect(message.toolCalls).toEqual([
        { id: 'call_0', name: 'a', args: { x: 1 }, argsText: '{"x":1}' },
        { id: 'call_1', name: 'b', args: {}, argsText: '{}' },
      ]);
      expect(byType(events, 'tool-call-start').map((event) => (event as { index: number }).index)).toEqual([
        0, 1,
      ]);
      expect(message.finishReason).toBe('tool-calls');
    });

    it('parses tool arguments sent as JSON text', () => {
      const { message } = decode(
        lines(
          chat({ tool_calls: [{ id: 'call_x', function: { name: 'f', arguments: '{"q":"rx"}' } }] }),
          chat({}, { done: true, done_reason: 'stop' }),
        ),
      );
      expect(message.toolCalls).toEqual([
        { id: 'call_x', name: 'f', args: { q: 'rx' }, argsText: '{"q":"rx"}' },
      ]);
    });

    it('normalizes done_reason length', () => {
      const { events } = decode(
        lines(chat({ content: 'Hi' }), chat({}, { done: true, done_reason: 'length', eval_count: 1 })),
      );
      expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'length', rawReason: 'length' }]);
      expect(byType(events, 'usage')).toEqual([
        { type: 'usage', inputTokens: 0, outputTokens: 1, totalTokens: 1 },
      ]);
    });

    it('throws malformed naming the dialect and quoting the line when message.content is not a string', () => {
      const line = '{"model":"qwen3","message":{"role":"assistant","content":7},"done":false}';
      const { error } = decode(lines(line));
      expect(error).toMatchObject({ code: 'malformed', dialect: 'ollama', line });
      expect(error?.message).toBe(`ollama: message.content is not a string: ${line}`);
    });

    it('throws malformed for a line that is not JSON', () => {
      const { error } = decode(lines(chat({ content: 'Hi' }), '{"model":"qwen3","respo'));
      expect(error).toMatchObject({ code: 'malformed', line: '{"model":"qwen3","respo' });
      expect(error?.message).toBe('ollama: invalid JSON: {"model":"qwen3","respo');
      expect(error?.partial?.text).toBe('Hi');
    });

    it('throws a network error with the partial message when the stream ends before done:true', () => {
      const { error } = decode(lines(chat({ content: 'Once upon' }), chat({ content: ' a' })));
      expect(error).toMatchObject({ code: 'network', dialect: 'ollama', retryable: true });
      expect(error?.message).toBe('ollama: stream ended before the final "done": true object');
      expect(error?.partial).toMatchObject({ text: 'Once upon a', finishReason: 'error', model: 'qwen3' });
    });

    it('skips lines it does not know and keep-alive objects', () => {
      const { events, error } = decode(
        lines(
          {},
          { status: 'pulling manifest' },
          chat({ content: 'Hi' }),
          chat({}, { done: true, done_reason: 'stop' }),
        ),
      );
      expect(error).toBeUndefined();
      expect(events.map((event) => event.type)).toEqual(['start', 'text', 'finish']);
    });
  });
});
