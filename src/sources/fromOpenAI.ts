import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { sdkSource, type SdkBody, type SdkCreateMethod, type SdkRequestOptions } from './engine/sdkClient';
import type { StreamLimits } from '../base/limits';
import { openAIChatDialect } from '../wire/openai-chat/dialect';

/**
 * What fromOpenAI needs of an `openai` client: `chat.completions.create`. Any `new OpenAI(...)`
 * is one; the SDK is not imported by rxllm's types (see the parameter types below).
 */
export interface OpenAIChatClient {
  chat: { completions: SdkCreateMethod };
}

/**
 * Chat Completions parameters, typed by the `openai` version of the client you pass;
 * `stream` is set by {@link fromOpenAI}.
 */
export type FromOpenAIParams<Client extends OpenAIChatClient = OpenAIChatClient> = Omit<
  SdkBody<Client['chat']['completions']>,
  'stream'
> & {
  stream?: boolean | null;
};

/** The SDK's per-request options (headers, timeout, maxRetries, ...); the signal is rxllm's. */
export type OpenAIRequestOptions<Client extends OpenAIChatClient = OpenAIChatClient> = SdkRequestOptions<
  Client['chat']['completions']
>;

export interface FromOpenAIConfig<Client extends OpenAIChatClient = OpenAIChatClient> {
  /**
   * The `provider` of the `start` event: say `vllm`, `llama.cpp` or `lm-studio` when the client's
   * `baseURL` points at one. Default: `openai`.
   */
  provider?: string;
  /** Per-request options passed to the SDK (headers, timeout, maxRetries, ...). */
  request?: OpenAIRequestOptions<Client>;
  /**
   * Size limits for this stream (see `StreamLimits`, docs/SECURITY.md): raise one where a
   * legitimate stream needs more. Unset ones keep `defaultLimits`.
   */
  limits?: Partial<StreamLimits>;
  /**
   * What is kept for a failed stream's `partial`: `'full'` (default) the whole message, `'text'`
   * the answer without reasoning or tool calls, `'none'` nothing (no token is held once passed on).
   */
  partial?: PartialMode;
}

/**
 * Streams a Chat Completion through the official `openai` client as rxllm events.
 *
 * Intuition: `client.chat.completions.create({ ...params, stream: true })`, as an Observable that
 * also counts tokens: `stream_options.include_usage` is turned on (set it to `false` for a server
 * that rejects it).
 *
 * The SDK makes the request (its auth, `baseURL`, headers and retries of the initial request
 * stay yours); rxllm reads the raw response body with its own decoder. Works with every
 * OpenAI-compatible server through `new OpenAI({ baseURL })`: llama.cpp, vLLM, LM Studio,
 * Ollama's `/v1`, OpenRouter, DeepSeek, Groq.
 *
 * Cold and lazy: each subscription makes one request. Every event carries `seq`. Errors with an
 * {@link RxllmError} whose `partial` holds the message so far: the SDK's `APIError` mapped by
 * status (`auth`, `rate-limit` with `retryAfterMs`, `overloaded`, `context-length`, `http`), a
 * dropped connection (`network`), an in-band error chunk, a malformed chunk. Unsubscribing aborts
 * the request (the SDK's `signal`) and is silent.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromOpenAI, collect } from 'rxllm';
 * const openai = new OpenAI();
 * const message = await collect(
 *   fromOpenAI(openai, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
 * );
 * ```
 */
export function fromOpenAI<Client extends OpenAIChatClient>(
  client: Client,
  params: FromOpenAIParams<Client>,
  config: FromOpenAIConfig<Client> = {},
): Observable<RxllmEvent> {
  if (typeof client?.chat?.completions?.create !== 'function') {
    throw new TypeError(
      `rxllm: fromOpenAI: client must be an OpenAI client (new OpenAI(...)), got ${typeof client}`,
    );
  }
  if (typeof params !== 'object' || params === null) {
    throw new TypeError(
      `rxllm: fromOpenAI: params must be Chat Completions parameters, got ${String(params)}`,
    );
  }
  const streamOptions = (params as { stream_options?: { include_usage?: boolean | null } | null })
    .stream_options;
  const body = {
    ...params,
    stream: true,
    stream_options: { ...streamOptions, include_usage: streamOptions?.include_usage ?? true },
  };
  return sdkSource('fromOpenAI', openAIChatDialect, client.chat.completions, body, config);
}
