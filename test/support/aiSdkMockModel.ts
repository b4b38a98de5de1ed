import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';

/** What the mock model streams: reasoning, text, and one tool call, as a real provider adapter emits them. */
export const mockParts: LanguageModelV3StreamPart[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'resp-1', modelId: 'mock-model', timestamp: new Date(0) },
  { type: 'reasoning-start', id: 'r1' },
  { type: 'reasoning-delta', id: 'r1', delta: 'The user wants ' },
  { type: 'reasoning-delta', id: 'r1', delta: 'the weather.' },
  { type: 'reasoning-end', id: 'r1' },
  { type: 'text-start', id: 't1' },
  { type: 'text-delta', id: 't1', delta: 'Let me ' },
  { type: 'text-delta', id: 't1', delta: 'check "Paris" ' },
  { type: 'text-delta', id: 't1', delta: 'for you.' },
  { type: 'text-end', id: 't1' },
  { type: 'tool-input-start', id: 'call-1', toolName: 'weather' },
  { type: 'tool-input-delta', id: 'call-1', delta: '{"city":' },
  { type: 'tool-input-delta', id: 'call-1', delta: '"Paris"}' },
  { type: 'tool-input-end', id: 'call-1' },
  { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' },
  {
    type: 'finish',
    finishReason: { unified: 'tool-calls', raw: 'tool_use' },
    usage: {
      inputTokens: { total: 12, noCache: 12, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 30, text: 20, reasoning: 10 },
    },
  },
];

/**
 * The AI SDK's own mock model (`ai/test`) streaming `parts`, `chunkDelayInMs` apart (null: no
 * delay). `calls` records each doStream call's abort signal.
 */
export function mockModel(
  parts: LanguageModelV3StreamPart[] = mockParts,
  chunkDelayInMs: number | null = null,
) {
  const signals: Array<AbortSignal | undefined> = [];
  const model = new MockLanguageModelV3({
    doStream: async (options) => {
      signals.push(options.abortSignal);
      return { stream: simulateReadableStream({ chunks: parts, chunkDelayInMs, initialDelayInMs: null }) };
    },
  });
  return { model, signals };
}
