import type { Observable } from 'rxjs';
import type { FinishReason, RxllmEvent, Usage } from '../base/events';
import { RxllmError } from '../base/errors';
import { count, isObject } from '../wire/json';
import { parsePartialJson } from '../wire/parsePartialJson';
import { errorFromSdk } from '../sources/engine/sdkError';
import { sourceFromIterable, type ItemDecoder } from '../sources/engine/sourceFromIterable';
import type { EmitEvent } from '../wire/types';

/**
 * What `model.stream(...)` yields (an `AIMessageChunk`) or what `streamEvents(..., { version: 'v2' })`
 * yields (`{ event, data, run_id }`), as far as rxllm reads them. `@langchain/core` is not imported.
 */
export type LangChainStreamItem = object;

/** A LangChain stream: what `model.stream()` or `runnable.streamEvents()` returns. */
export type LangChainStream = AsyncIterable<LangChainStreamItem>;

export interface FromLangChainConfig {
  /** The `provider` of the `start` event. Default: `langchain`. */
  provider?: string;
}

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  STOP: 'stop',
  length: 'length',
  max_tokens: 'length',
  MAX_TOKENS: 'length',
  tool_calls: 'tool-calls',
  tool_use: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
  SAFETY: 'content-filter',
  refusal: 'refusal',
};

interface PendingCall {
  id: string;
  name: string;
  index: number;
  argsText: string;
}

/**
 * A LangChain chat model's stream as rxllm events: `model.stream(messages)` (its
 * `AIMessageChunk`s) or `runnable.streamEvents(input, { version: 'v2' })` (its
 * `on_chat_model_stream` events; everything else is skipped, and every chat model run in it
 * contributes to the one message).
 *
 * Intuition: `for await (const chunk of await model.stream(messages))`, as an Observable.
 *
 * Best given a function that starts the stream with the signal rxllm passes: then each
 * subscription streams anew (cold) and unsubscribing aborts the model call (LangChain's `signal`
 * call option). A stream given directly is read by one subscription.
 *
 * ```ts
 * fromLangChain((signal) => model.stream(messages, { signal }))
 * ```
 *
 * The stream is pulled one chunk at a time and only while the downstream flow gates are open.
 * Chunks: `content` (a string, or blocks of `text`, `thinking` with `signature`, `reasoning`,
 * `redacted_thinking`) and `additional_kwargs.reasoning_content` → `text` / `reasoning`;
 * `tool_call_chunks` → `tool-call-start` / `-delta`, completed with parsed arguments when the
 * stream ends; `usage_metadata` summed over the chunks, as LangChain concatenates them, →
 * `usage` at the end; `response_metadata.finish_reason` / `stop_reason` → `finish` (`stop`, or
 * `tool-calls` after tool calls, when none came). An error thrown by the model fails the stream
 * with an RxllmError (the provider SDK's status mapped as usual) whose `partial` holds what came.
 */
export function fromLangChain(
  input:
    | LangChainStream
    | Promise<LangChainStream>
    | ((signal: AbortSignal) => LangChainStream | Promise<LangChainStream>),
  config: FromLangChainConfig = {},
): Observable<RxllmEvent> {
  let used = false;
  return sourceFromIterable<LangChainStreamItem>(
    async (signal) => {
      if (typeof input !== 'function') {
        if (used)
          throw new RxllmError(
            'rxllm: fromLangChain: a stream can be read once; pass (signal) => model.stream(input, { signal }) to subscribe again',
            { code: 'provider', retryable: false },
          );
        used = true;
      }
      const stream = await (typeof input === 'function' ? input(signal) : input);
      if (typeof (stream as Partial<LangChainStream>)?.[Symbol.asyncIterator] !== 'function')
        throw new TypeError(
          'rxllm: fromLangChain expects model.stream(...) or streamEvents(...), or a function returning one',
        );
      return stream;
    },
    {
      name: 'fromLangChain',
      createDecoder: (emit) => createChunkDecoder(emit, config.provider ?? 'langchain'),
      mapError: (error) => errorFromSdk(error, 'langchain'),
    },
  );
}

type Fields = Record<string, unknown>;

function createChunkDecoder(emit: EmitEvent, provider: string): ItemDecoder<LangChainStreamItem> {
  let started = false;
  let usage: Usage | undefined;
  let rawFinish: string | undefined;
  const calls = new Map<string, PendingCall>();
  let callCount = 0;

  const start = (chunk: Fields): void => {
    if (started) return;
    started = true;
    const metadata = isObject(chunk.response_metadata) ? chunk.response_metadata : {};
    const model =
      typeof metadata.model_name === 'string'
        ? metadata.model_name
        : typeof metadata.model === 'string'
          ? metadata.model
          : undefined;
    emit({
      type: 'start',
      provider,
      ...(typeof chunk.id === 'string' && { id: chunk.id }),
      ...(model !== undefined && { model }),
    });
  };

  const content = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value !== '') emit({ type: 'text', text: value });
      return;
    }
    if (!Array.isArray(value)) return;
    for (const block of value) {
      if (!isObject(block)) continue;
      switch (block.type) {
        case 'text':
        case 'text_delta':
          if (typeof block.text === 'string' && block.text !== '') emit({ type: 'text', text: block.text });
          break;
        case 'thinking':
          if (typeof block.thinking === 'string' && block.thinking !== '')
            emit({ type: 'reasoning', text: block.thinking });
          if (typeof block.signature === 'string' && block.signature !== '')
            emit({ type: 'reasoning', text: '', signature: block.signature });
          break;
        case 'reasoning':
          if (typeof block.reasoning === 'string' && block.reasoning !== '')
            emit({ type: 'reasoning', text: block.reasoning });
          break;
        case 'redacted_thinking':
          if (typeof block.data === 'string') emit({ type: 'reasoning', text: '', redacted: block.data });
          break;
      }
    }
  };

  const toolChunks = (value: unknown, run: string): void => {
    if (!Array.isArray(value)) return;
    for (const part of value) {
      if (!isObject(part)) continue;
      const key = `${run}:${typeof part.index === 'number' ? part.index : String(part.id)}`;
      let call = calls.get(key);
      if (!call) {
        const id = typeof part.id === 'string' && part.id !== '' ? part.id : `call_${callCount}`;
        const name = typeof part.name === 'string' ? part.name : '';
        call = { id, name, index: callCount++, argsText: '' };
        calls.set(key, call);
        emit({ type: 'tool-call-start', id, name, index: call.index });
      }
      if (typeof part.args === 'string' && part.args !== '') {
        call.argsText += part.args;
        emit({ type: 'tool-call-delta', id: call.id, index: call.index, argsText: part.args });
      }
    }
  };

  const chunk = (message: Fields, run: string): void => {
    start(message);
    content(message.content);
    const kwargs = isObject(message.additional_kwargs) ? message.additional_kwargs : {};
    if (typeof kwargs.reasoning_content === 'string' && kwargs.reasoning_content !== '')
      emit({ type: 'reasoning', text: kwargs.reasoning_content });
    // Streaming integrations send `tool_call_chunks` (and a partial parse of them as
    // `tool_calls`); a chunk with whole calls only (a model that does not stream them) has
    // `tool_calls` alone.
    if (Array.isArray(message.tool_call_chunks) && message.tool_call_chunks.length > 0)
      toolChunks(message.tool_call_chunks, run);
    else if (Array.isArray(message.tool_calls))
      toolChunks(
        message.tool_calls.map((call: unknown) =>
          isObject(call) ? { id: call.id, name: call.name, args: JSON.stringify(call.args ?? {}) } : call,
        ),
        `${run}:whole`,
      );
    if (isObject(message.usage_metadata)) usage = addUsage(usage, message.usage_metadata);
    const metadata = isObject(message.response_metadata) ? message.response_metadata : {};
    const finish = metadata.finish_reason ?? metadata.stop_reason ?? metadata.finishReason;
    if (typeof finish === 'string' && finish !== '') rawFinish = finish;
  };

  return {
    item(value) {
      const item = value as Fields;
      if (typeof item.event === 'string' && isObject(item.data)) {
        // streamEvents (v2): only the chat models' chunks carry the message.
        if (item.event === 'on_chat_model_stream' && isObject(item.data.chunk))
          chunk(item.data.chunk, typeof item.run_id === 'string' ? item.run_id : '');
        return;
      }
      chunk(item, '');
    },
    end() {
      if (!started) start({});
      for (const call of calls.values()) {
        const parsed = call.argsText === '' ? { value: {}, complete: true } : parsePartialJson(call.argsText);
        const base = {
          type: 'tool-call',
          id: call.id,
          name: call.name,
          index: call.index,
          args: parsed?.value ?? {},
          argsText: call.argsText,
        } as const;
        emit(parsed?.complete ? base : { ...base, incomplete: true });
      }
      if (usage) emit({ type: 'usage', ...usage });
      emit(
        rawFinish === undefined
          ? { type: 'finish', reason: callCount > 0 ? 'tool-calls' : 'stop' }
          : { type: 'finish', reason: finishReasons[rawFinish] ?? 'other', rawReason: rawFinish },
      );
    },
  };
}

/** LangChain's `UsageMetadata` of one chunk added to the running sum (chunks carry parts of it). */
function addUsage(sum: Usage | undefined, raw: Record<string, unknown>): Usage {
  const input = count(raw.input_tokens) ?? 0;
  const output = count(raw.output_tokens) ?? 0;
  const next: Usage = {
    inputTokens: (sum?.inputTokens ?? 0) + input,
    outputTokens: (sum?.outputTokens ?? 0) + output,
    totalTokens: (sum?.totalTokens ?? 0) + (count(raw.total_tokens) ?? input + output),
  };
  const inputDetails = isObject(raw.input_token_details) ? raw.input_token_details : {};
  const outputDetails = isObject(raw.output_token_details) ? raw.output_token_details : {};
  const cached = count(inputDetails.cache_read);
  if (cached !== undefined || sum?.cachedInputTokens !== undefined)
    next.cachedInputTokens = (sum?.cachedInputTokens ?? 0) + (cached ?? 0);
  const reasoning = count(outputDetails.reasoning);
  if (reasoning !== undefined || sum?.reasoningTokens !== undefined)
    next.reasoningTokens = (sum?.reasoningTokens ?? 0) + (reasoning ?? 0);
  return next;
}
