import { APICallError } from '@ai-sdk/provider';
import { streamText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { BehaviorSubject, firstValueFrom, filter, tap } from 'rxjs';
import { z } from 'zod';
import { fromAISDK } from '../../src/adapters/fromAISDK';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { pausable } from '../../src/operators/pausable';
import { collect } from '../../src/sinks/collect';
import { mockModel, mockParts } from '../support/aiSdkMockModel';

const tools = { weather: tool({ inputSchema: z.object({ city: z.string() }) }) };

describe('fromAISDK (ai streamText over its own mock model)', () => {
  it("maps the fullStream's reasoning, text, tool call, usage and finish", async () => {
    const { model } = mockModel();
    const events: RxllmEvent[] = [];
    const message = await collect(
      fromAISDK((signal) => streamText({ model, prompt: 'Weather?', tools, abortSignal: signal })).pipe(
        tap((event) => events.push(event)),
      ),
    );
    expect(message).toEqual({
      provider: 'ai-sdk',
      text: 'Let me check "Paris" for you.',
      reasoning: 'The user wants the weather.',
      refusal: '',
      toolCalls: [{ id: 'call-1', name: 'weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' }],
      usage: { inputTokens: 12, outputTokens: 30, totalTokens: 42, reasoningTokens: 10 },
      finishReason: 'tool-calls',
    });
    expect(events.map((event) => event.type)).toEqual([
      'start',
      'reasoning',
      'reasoning',
      'text',
      'text',
      'text',
      'tool-call-start',
      'tool-call-delta',
      'tool-call-delta',
      'tool-call',
      'usage',
      'finish',
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
  });

  it('makes one streamText call per subscription from a function, and reads a result given directly once', async () => {
    const { model, signals } = mockModel();
    const source = fromAISDK((signal) => streamText({ model, prompt: 'Hi', tools, abortSignal: signal }));
    await collect(source);
    await collect(source);
    expect(signals).toHaveLength(2);

    const direct = fromAISDK(streamText({ model: mockModel().model, prompt: 'Hi', tools }));
    expect((await collect(direct)).text).toBe('Let me check "Paris" for you.');
    await expect(collect(direct)).rejects.toThrow(/can be read once/);
  });

  it("aborts streamText's call when the subscriber unsubscribes", async () => {
    // A slow model: one part every 20 ms, so the call is still running at the first text.
    const { model, signals } = mockModel(mockParts, 20);
    const first = await firstValueFrom(
      fromAISDK((signal) => streamText({ model, prompt: 'Hi', tools, abortSignal: signal })).pipe(
        filter((event) => event.type === 'text'),
      ),
    );
    expect(first).toMatchObject({ type: 'text', text: 'Let me ' });
    expect(signals[0]?.aborted).toBe(true);
  });

  it('fails with the provider error mapped by status, after what streamed', async () => {
    const model = new MockLanguageModelV3({
      doStream: () => {
        throw new APICallError({
          message: 'Rate limit reached',
          url: 'https://api.example.com/v1/chat',
          requestBodyValues: {},
          statusCode: 429,
          responseHeaders: { 'retry-after': '3' },
          responseBody: '{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}',
        });
      },
    });
    const error = await collect(
      fromAISDK((signal) =>
        streamText({ model, prompt: 'Hi', maxRetries: 0, abortSignal: signal, onError: () => {} }),
      ),
    ).catch((thrown: unknown) => thrown);
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'rate-limit', status: 429, retryAfterMs: 3000 });
    expect((error as RxllmError).partial).toMatchObject({ text: '' });
  });

  it('pulls the fullStream only while a pausable consumer is not paused', async () => {
    const { model } = mockModel();
    const paused$ = new BehaviorSubject(false);
    let pulled = 0;
    let texts = 0;
    let onPause!: () => void;
    const pausedAtFirstText = new Promise<void>((resolve) => (onPause = resolve));
    const done = collect(
      fromAISDK((signal) => streamText({ model, prompt: 'Hi', tools, abortSignal: signal })).pipe(
        tap(() => pulled++),
        pausable(paused$),
        tap((event) => {
          if (event.type === 'text' && ++texts === 1) {
            paused$.next(true);
            onPause();
          }
        }),
      ),
    );
    await pausedAtFirstText;
    const atPause = pulled;
    for (let turn = 0; turn < 50; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulled - atPause).toBeLessThanOrEqual(1);
    paused$.next(false);
    expect((await done).text).toBe('Let me check "Paris" for you.');
  });
});
