import { createParser } from 'eventsource-parser';
import { from } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { toSSE } from '../../src/operators/toSSE';
import { decode, sse } from './support';

// Issue 12, item 6: decoders accepted `1e999` and negative counts, and toSSE then wrote Infinity
// and NaN; deep tool arguments made the rxllm and ai-sdk-ui encoders throw RangeError. Decision:
// a usage count that is not a finite integer >= 0 (or a cost not finite and >= 0) is `malformed`;
// a non-finite `created` is dropped; encoders write any number they splice in as a finite one and
// fall back for values with no JSON text.

const encoders = ['rxllm', 'openai-chat', 'openai-responses', 'anthropic', 'ai-sdk-ui'] as const;

function framesOf(events: RxllmEvent[], dialect: (typeof encoders)[number]): string[] {
  const data: string[] = [];
  let text = '';
  from(events)
    .pipe(toSSE({ dialect }))
    .subscribe({
      next: (frame) => (text += frame),
      error: (error) => {
        throw error;
      },
    });
  createParser({ onEvent: (event) => data.push(event.data) }).feed(text);
  return data.filter((frame) => frame !== '[DONE]');
}

describe('usage numbers from the wire', () => {
  const chat = (usage: string) =>
    sse(
      [
        {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }],
        },
      ],
      [`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":${usage}}`],
      ['[DONE]'],
    );

  it.each([
    ['1e999', '{"prompt_tokens":1e999,"completion_tokens":1,"total_tokens":2}'],
    ['negative', '{"prompt_tokens":-5,"completion_tokens":1,"total_tokens":2}'],
    ['fractional', '{"prompt_tokens":1.5,"completion_tokens":1,"total_tokens":2}'],
    ['an infinite cost', '{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":1e999}'],
    [
      'a negative cached count',
      '{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":-1}}',
    ],
  ])('openai-chat: %s is malformed, with the text kept in partial', async (_, usage) => {
    const outcome = await decode('openai-chat', chat(usage));
    expect(outcome.error?.code).toBe('malformed');
    expect(outcome.error?.message).toMatch(/usage/);
    expect(outcome.error?.partial?.text).toBe('hi');
  });

  it('anthropic: a negative output count is malformed', async () => {
    const outcome = await decode(
      'anthropic',
      sse(
        [
          {
            type: 'message_start',
            message: { id: 'm', model: 'c', usage: { input_tokens: 3, output_tokens: 1 } },
          },
          'message_start',
        ],
        [
          { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: -7 } },
          'message_delta',
        ],
        [{ type: 'message_stop' }, 'message_stop'],
      ),
    );
    expect(outcome.error?.code).toBe('malformed');
  });

  it('openai-responses: input_tokens of 1e999 is malformed', async () => {
    const outcome = await decode(
      'openai-responses',
      sse(
        [{ type: 'response.created', response: { id: 'r', model: 'm' } }],
        [
          '{"type":"response.completed","response":{"status":"completed","usage":{"input_tokens":1e999,"output_tokens":1}}}',
        ],
      ),
    );
    expect(outcome.error?.code).toBe('malformed');
  });

  it('ollama and gemini: infinite counts are malformed', async () => {
    const ollama = await decode('ollama', '{"model":"m","response":"hi","done":true,"eval_count":1e999}\n');
    expect(ollama.error?.code).toBe('malformed');
    const gemini = await decode(
      'gemini',
      sse([
        '{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":-1}}',
      ]),
    );
    expect(gemini.error?.code).toBe('malformed');
  });

  it('a created time of 1e999 is dropped from start, and every encoder writes valid JSON', async () => {
    const outcome = await decode(
      'openai-chat',
      sse(
        [
          '{"id":"c","object":"chat.completion.chunk","created":1e999,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}',
        ],
        ['[DONE]'],
      ),
    );
    expect(outcome.error).toBeUndefined();
    const start = outcome.events.find((event) => event.type === 'start');
    expect(start).toBeDefined();
    expect(start).not.toHaveProperty('created');
    for (const dialect of encoders)
      for (const frame of framesOf(outcome.events, dialect)) expect(() => JSON.parse(frame)).not.toThrow();
  });
});

describe('encoders given numbers no decoder would emit', () => {
  const events: RxllmEvent[] = [
    { type: 'start', id: 'x', model: 'm', created: NaN },
    { type: 'text', text: 'hi', choice: 0 },
    { type: 'tool-call-start', id: 't', name: 'f', index: Infinity },
    { type: 'tool-call', id: 't', name: 'f', index: NaN, args: {}, argsText: '{}' },
    {
      type: 'usage',
      inputTokens: Infinity,
      outputTokens: NaN,
      totalTokens: -Infinity,
      cachedInputTokens: NaN,
      reasoningTokens: Infinity,
      cost: NaN,
    },
    { type: 'finish', reason: 'stop' },
  ];
  it.each(encoders)('%s writes valid JSON', (dialect) => {
    const frames = framesOf(events, dialect);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(() => JSON.parse(frame)).not.toThrow();
  });
});

describe('deep tool arguments', () => {
  let deep: unknown = 0;
  for (let depth = 0; depth < 100_000; depth++) deep = [deep];
  const argsText = `${'['.repeat(100_000)}0${']'.repeat(100_000)}`;
  const events: RxllmEvent[] = [
    { type: 'tool-call-start', id: 'call_1', name: 'f', index: 0 },
    { type: 'tool-call-delta', id: 'call_1', index: 0, argsText },
    { type: 'tool-call', id: 'call_1', name: 'f', index: 0, args: deep, argsText },
    { type: 'finish', reason: 'tool-calls' },
  ];

  it.each(encoders)('%s writes valid JSON instead of throwing RangeError', (dialect) => {
    const frames = framesOf(events, dialect);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(() => JSON.parse(frame)).not.toThrow();
  });

  it('rxllm: the call keeps its argsText and is marked incomplete', () => {
    const call = framesOf(events, 'rxllm')
      .map((frame) => JSON.parse(frame) as RxllmEvent)
      .find((event) => event.type === 'tool-call');
    expect(call).toMatchObject({ type: 'tool-call', id: 'call_1', argsText, incomplete: true });
    expect(call).not.toHaveProperty('args');
  });

  it('ai-sdk-ui: the call becomes a tool-input-error carrying the raw text', () => {
    const error = framesOf(events, 'ai-sdk-ui')
      .map((frame) => JSON.parse(frame) as { type: string; input?: unknown })
      .find((chunk) => chunk.type === 'tool-input-error');
    expect(error?.input).toBe(argsText);
  });
});

describe('deep values from the wire', () => {
  const deepJson = `${'['.repeat(200_000)}0${']'.repeat(200_000)}`;

  it.each([
    [
      'gemini: functionCall args',
      'gemini' as const,
      sse([
        `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":${deepJson}}}}]},"finishReason":"STOP"}]}`,
      ]),
    ],
    [
      'ollama: tool call arguments',
      'ollama' as const,
      `{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":${deepJson}}}}]},"done":true}\n`,
    ],
    [
      'anthropic: tool_use input given whole',
      'anthropic' as const,
      sse(
        [{ type: 'message_start', message: { id: 'm', model: 'c' } }, 'message_start'],
        [
          `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a":${deepJson}}}}`,
          'content_block_start',
        ],
        [{ type: 'content_block_stop', index: 0 }, 'content_block_stop'],
        [{ type: 'message_stop' }, 'message_stop'],
      ),
    ],
    ['openai-chat: an in-band error body', 'openai-chat' as const, sse([`{"error":${deepJson}}`])],
  ])('%s nested deeper than the stack is malformed, not a RangeError', async (_, dialect, text) => {
    const outcome = await decode(dialect, text, { maxEventSize: 16 * 1024 * 1024 });
    expect(outcome.error?.code).toBe('malformed');
    expect(outcome.error?.message).toMatch(/nested too deeply/);
  });
});
