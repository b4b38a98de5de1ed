import type { Observable } from 'rxjs';
import type { FinishReason, RxllmEvent, Usage } from '../base/events';
import { RxllmError } from '../base/errors';
import { errorFromHttpResponse } from '../base/httpError';
import { count, isObject } from '../wire/json';
import { sourceFromIterable, type ItemDecoder } from '../sources/engine/sourceFromIterable';
import type { EmitEvent } from '../wire/types';

/** One part of an AI SDK `fullStream` (`TextStreamPart`), as far as rxllm reads it. */
export interface AISDKStreamPart {
  type: string;
  [key: string]: unknown;
}

/** A `streamText(...)` result (its `fullStream` is read) or a `fullStream` itself. */
export type AISDKStream = { fullStream: AsyncIterable<AISDKStreamPart> } | AsyncIterable<AISDKStreamPart>;

export interface FromAISDKConfig {
  /** The `provider` of the `start` event. Default: `ai-sdk`. */
  provider?: string;
}

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool-calls',
  'content-filter': 'content-filter',
  error: 'error',
  other: 'other',
};

/**
 * An AI SDK `streamText` result as rxllm events, so a pipeline built on the AI SDK's providers
 * gets rxllm's operators and sinks.
 *
 * Intuition: `for await (const part of result.fullStream)`, as an Observable.
 *
 * Best given a function that calls `streamText` with the signal rxllm passes: then each
 * subscription makes its own call (cold, so `retry` works) and unsubscribing aborts it
 * (`abortSignal`). A result or `fullStream` given directly is read by one subscription, and
 * unsubscribing only stops reading it (abort it with your own `abortSignal`).
 *
 * ```ts
 * fromAISDK((signal) => streamText({ model, prompt, abortSignal: signal }))
 * ```
 *
 * The stream is pulled one part at a time and only while the downstream flow gates are open.
 * Parts: `text-delta` → `text`, `reasoning-delta` → `reasoning` (Anthropic's `signature` /
 * `redactedData` provider metadata → `signature` / `redacted`), `tool-input-start` / `-delta` and
 * `tool-call` → `tool-call-start` / `-delta` / `tool-call` (tools the provider ran itself,
 * `providerExecuted`, are skipped, as are tool results: the AI SDK runs your tools), `finish` →
 * `usage` (`totalUsage`, every step) and `finish`, `abort` → `finish` `cancelled`. Several steps
 * (tools with `execute` and `stopWhen`) are one message: their text runs on, one `finish` at the
 * end. An `error` part fails the stream with an RxllmError (an `APICallError` mapped by its
 * status like any HTTP error) whose `partial` holds what came before.
 */
export function fromAISDK(
  input: AISDKStream | ((signal: AbortSignal) => AISDKStream | Promise<AISDKStream>),
  config: FromAISDKConfig = {},
): Observable<RxllmEvent> {
  if (typeof input !== 'function' && !isStream(input))
    throw new TypeError(
      'rxllm: fromAISDK expects a streamText result, its fullStream, or (signal) => streamText({ ..., abortSignal: signal })',
    );
  let used = false;
  return sourceFromIterable<AISDKStreamPart>(
    async (signal) => {
      if (typeof input !== 'function') {
        if (used)
          throw new RxllmError(
            'rxllm: fromAISDK: a streamText result can be read once; pass (signal) => streamText(...) to subscribe again',
            {
              code: 'provider',
              retryable: false,
            },
          );
        used = true;
      }
      const stream = typeof input === 'function' ? await input(signal) : input;
      if (!isStream(stream))
        throw new TypeError('rxllm: fromAISDK: the function returned no streamText result');
      return 'fullStream' in stream ? stream.fullStream : stream;
    },
    {
      name: 'fromAISDK',
      createDecoder: (emit) => createFullStreamDecoder(emit, config.provider ?? 'ai-sdk'),
      mapError: aiSdkError,
    },
  );
}

interface PendingCall {
  id: string;
  name: string;
  index: number;
  argsText: string;
}

function createFullStreamDecoder(emit: EmitEvent, provider: string): ItemDecoder<AISDKStreamPart> {
  let started = false;
  let finished = false;
  const calls = new Map<string, PendingCall>();
  const skipped = new Set<string>();
  let callCount = 0;

  const start = (): void => {
    if (started) return;
    started = true;
    emit({ type: 'start', provider });
  };

  const callStart = (id: string, name: string): PendingCall => {
    const call: PendingCall = { id, name, index: callCount++, argsText: '' };
    calls.set(id, call);
    emit({ type: 'tool-call-start', id, name, index: call.index });
    return call;
  };

  return {
    item(part) {
      switch (part.type) {
        case 'start':
          start();
          return;
        case 'text-delta':
          start();
          if (typeof part.text === 'string' && part.text !== '') emit({ type: 'text', text: part.text });
          return;
        case 'reasoning-start':
        case 'reasoning-delta':
        case 'reasoning-end': {
          start();
          const anthropic = anthropicMetadata(part.providerMetadata);
          if (part.type === 'reasoning-delta' && typeof part.text === 'string' && part.text !== '')
            emit({ type: 'reasoning', text: part.text });
          if (typeof anthropic?.redactedData === 'string')
            emit({ type: 'reasoning', text: '', redacted: anthropic.redactedData });
          if (typeof anthropic?.signature === 'string')
            emit({ type: 'reasoning', text: '', signature: anthropic.signature });
          return;
        }
        case 'tool-input-start': {
          start();
          if (typeof part.id !== 'string' || typeof part.toolName !== 'string') return;
          if (part.providerExecuted === true) skipped.add(part.id);
          else if (!calls.has(part.id)) callStart(part.id, part.toolName);
          return;
        }
        case 'tool-input-delta': {
          const call = typeof part.id === 'string' ? calls.get(part.id) : undefined;
          if (!call || typeof part.delta !== 'string' || part.delta === '') return;
          call.argsText += part.delta;
          emit({ type: 'tool-call-delta', id: call.id, index: call.index, argsText: part.delta });
          return;
        }
        case 'tool-call': {
          start();
          const id = part.toolCallId;
          const name = part.toolName;
          if (
            typeof id !== 'string' ||
            typeof name !== 'string' ||
            skipped.has(id) ||
            part.providerExecuted === true
          )
            return;
          let call = calls.get(id);
          if (!call) {
            call = callStart(id, name);
            call.argsText = JSON.stringify(part.input ?? {});
            emit({ type: 'tool-call-delta', id, index: call.index, argsText: call.argsText });
          }
          const argsText = call.argsText === '' ? JSON.stringify(part.input ?? {}) : call.argsText;
          emit({
            type: 'tool-call',
            id,
            name: call.name,
            index: call.index,
            args: part.input ?? {},
            argsText,
          });
          return;
        }
        case 'finish': {
          start();
          const usage = readUsage(part.totalUsage);
          if (usage) emit({ type: 'usage', ...usage });
          finished = true;
          const raw = typeof part.finishReason === 'string' ? part.finishReason : undefined;
          emit(
            raw === undefined
              ? { type: 'finish', reason: callCount > 0 ? 'tool-calls' : 'stop' }
              : { type: 'finish', reason: finishReasons[raw] ?? 'other', rawReason: raw },
          );
          return;
        }
        case 'abort':
          start();
          if (!finished) {
            finished = true;
            emit({ type: 'finish', reason: 'cancelled', rawReason: 'abort' });
          }
          return;
        case 'error':
          throw aiSdkError(part.error) ?? RxllmError.from(part.error);
        default:
          return; // steps, tool results, sources, files, raw chunks
      }
    },
    end() {
      if (!finished)
        throw new RxllmError('ai-sdk: the fullStream ended without a finish part', { code: 'network' });
    },
  };
}

/** An AI SDK `APICallError` (status, response body and headers) mapped like any HTTP error. */
function aiSdkError(thrown: unknown): RxllmError | undefined {
  if (!isObject(thrown) && !(thrown instanceof Error)) return undefined;
  const error = thrown as {
    statusCode?: unknown;
    responseBody?: unknown;
    responseHeaders?: unknown;
    message?: unknown;
  };
  const status = count(error.statusCode);
  if (status === undefined) return undefined;
  const headers = isObject(error.responseHeaders) ? (error.responseHeaders as Record<string, string>) : {};
  const body = typeof error.responseBody === 'string' ? error.responseBody : String(error.message);
  return errorFromHttpResponse(status, body, new Headers(headers), 'ai-sdk', thrown);
}

/** The AI SDK's `LanguageModelUsage`: flat counts, and per-kind details in v6. */
function readUsage(raw: unknown): Usage | undefined {
  if (!isObject(raw)) return undefined;
  const inputTokens = count(raw.inputTokens);
  const outputTokens = count(raw.outputTokens);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  const usage: Usage = {
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    totalTokens: count(raw.totalTokens) ?? (inputTokens ?? 0) + (outputTokens ?? 0),
  };
  const inputDetails = isObject(raw.inputTokenDetails) ? raw.inputTokenDetails : {};
  const outputDetails = isObject(raw.outputTokenDetails) ? raw.outputTokenDetails : {};
  const cached = count(raw.cachedInputTokens) ?? count(inputDetails.cacheReadTokens);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const reasoning = count(raw.reasoningTokens) ?? count(outputDetails.reasoningTokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

function anthropicMetadata(metadata: unknown): Record<string, unknown> | undefined {
  return isObject(metadata) && isObject(metadata.anthropic) ? metadata.anthropic : undefined;
}

function isStream(value: unknown): value is AISDKStream {
  if (typeof value !== 'object' || value === null) return false;
  if ('fullStream' in value) return true;
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
