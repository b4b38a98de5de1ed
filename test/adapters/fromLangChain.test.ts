import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { FakeListChatModel, FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { BehaviorSubject, filter, firstValueFrom, tap } from 'rxjs';
import { fromLangChain } from '../../src/adapters/fromLangChain';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { pausable } from '../../src/operators/pausable';
import { collect } from '../../src/sinks/collect';

const messages = [new HumanMessage('Weather in Paris?')];

/** Chunks as a provider integration streams them: thinking, text, a tool call in pieces, usage split over chunks. */
const chunks = () => [
  new AIMessageChunk({
    id: 'run-1',
    content: [{ type: 'thinking', thinking: 'Need the weather.', signature: 'SIG' }],
    usage_metadata: { input_tokens: 12, output_tokens: 0, total_tokens: 12 },
    response_metadata: { model_name: 'claude-test' },
  }),
  new AIMessageChunk({ content: 'Checking ' }),
  new AIMessageChunk({ content: [{ type: 'text', text: 'Paris.' }] }),
  new AIMessageChunk({
    content: '',
    tool_call_chunks: [
      { type: 'tool_call_chunk', index: 1, id: 'toolu_1', name: 'weather', args: '{"city":' },
    ],
  }),
  new AIMessageChunk({
    content: '',
    tool_call_chunks: [{ type: 'tool_call_chunk', index: 1, args: '"Paris"}' }],
  }),
  new AIMessageChunk({
    content: '',
    usage_metadata: { input_tokens: 0, output_tokens: 20, total_tokens: 20 },
    response_metadata: { stop_reason: 'tool_use' },
  }),
];

describe('fromLangChain (@langchain/core fake chat models)', () => {
  it("maps a fake chat model's stream: thinking with its signature, text and a tool call", async () => {
    const model = new FakeStreamingChatModel({
      chunks: [
        new AIMessageChunk({
          content: [{ type: 'thinking', thinking: 'Need the weather.', signature: 'SIG' }],
        }),
        new AIMessageChunk({ content: 'Checking ' }),
        new AIMessageChunk({ content: [{ type: 'text', text: 'Paris.' }] }),
        new AIMessageChunk({
          content: '',
          tool_calls: [{ id: 'toolu_1', name: 'weather', args: { city: 'Paris' }, type: 'tool_call' }],
        }),
      ],
    });
    const events: RxllmEvent[] = [];
    const message = await collect(
      fromLangChain((signal) => model.stream(messages, { signal })).pipe(tap((event) => events.push(event))),
    );
    expect(message).toMatchObject({
      provider: 'langchain',
      text: 'Checking Paris.',
      reasoning: 'Need the weather.',
      toolCalls: [{ id: 'toolu_1', name: 'weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' }],
      usage: null,
      // No stop reason in the chunks: a stream that ends after a tool call finishes with tool-calls.
      finishReason: 'tool-calls',
    });
    expect(
      events.filter((event) => event.type === 'reasoning').map(({ seq: _seq, ...event }) => event),
    ).toEqual([
      { type: 'reasoning', text: 'Need the weather.' },
      { type: 'reasoning', text: '', signature: 'SIG' },
    ]);
  });

  it('sums usage split over chunks, joins tool-call chunks by index and reads the stop reason', async () => {
    // The chunk shapes a provider integration (here Anthropic's) streams, as real AIMessageChunks.
    async function* stream() {
      yield* chunks();
    }
    const message = await collect(fromLangChain(stream()));
    expect(message).toEqual({
      id: 'run-1',
      provider: 'langchain',
      model: 'claude-test',
      text: 'Checking Paris.',
      reasoning: 'Need the weather.',
      refusal: '',
      toolCalls: [{ id: 'toolu_1', name: 'weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' }],
      usage: { inputTokens: 12, outputTokens: 20, totalTokens: 32 },
      finishReason: 'tool-calls',
    });
    const length = new FakeListChatModel({ responses: ['Cut'], generationInfo: { finish_reason: 'length' } });
    expect((await collect(fromLangChain((signal) => length.stream(messages, { signal })))).finishReason).toBe(
      'length',
    );
  });

  it("reads streamEvents' on_chat_model_stream events and skips the rest", async () => {
    const model = new FakeListChatModel({ responses: ['Hello there'] });
    const seen = new Set<string>();
    const message = await collect(
      fromLangChain((signal) => {
        const stream = model.streamEvents(messages, { version: 'v2', signal });
        return (async function* () {
          for await (const event of stream) {
            seen.add(event.event);
            yield event;
          }
        })();
      }),
    );
    expect(seen).toContain('on_chat_model_start');
    expect(seen).toContain('on_chat_model_end');
    expect(message).toMatchObject({ text: 'Hello there', finishReason: 'stop', toolCalls: [] });
  });

  it('aborts the model call when the subscriber unsubscribes', async () => {
    const model = new FakeListChatModel({ responses: ['a long answer streamed slowly'], sleep: 10 });
    const signals: AbortSignal[] = [];
    const first = await firstValueFrom(
      fromLangChain((signal) => {
        signals.push(signal);
        return model.stream(messages, { signal });
      }).pipe(filter((event) => event.type === 'text')),
    );
    expect(first).toMatchObject({ type: 'text', text: 'a' });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('fails with the error the model throws as an RxllmError with a partial message', async () => {
    const model = new FakeStreamingChatModel({ chunks: chunks(), thrownErrorString: 'model exploded' });
    const error = await collect(fromLangChain((signal) => model.stream(messages, { signal }))).catch(
      (thrown: unknown) => thrown,
    );
    expect(RxllmError.isInstance(error)).toBe(true);
    expect((error as RxllmError).message).toMatch(/model exploded/);
    expect((error as RxllmError).partial).toMatchObject({ text: '', toolCalls: [] });
  });

  it('reads a stream given directly once', async () => {
    const model = new FakeListChatModel({ responses: ['Hi'] });
    const source = fromLangChain(model.stream(messages));
    expect((await collect(source)).text).toBe('Hi');
    await expect(collect(source)).rejects.toThrow(/can be read once/);
  });

  it('pulls the chunks only while a pausable consumer is not paused', async () => {
    const model = new FakeListChatModel({ responses: ['abcdefghijklmnopqrstuvwxyz'] });
    const paused$ = new BehaviorSubject(false);
    let pulled = 0;
    let texts = 0;
    let onPause!: () => void;
    const pausedAtFirstText = new Promise<void>((resolve) => (onPause = resolve));
    const done = collect(
      fromLangChain((signal) => model.stream(messages, { signal })).pipe(
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
    expect((await done).text).toBe('abcdefghijklmnopqrstuvwxyz');
  });
});
