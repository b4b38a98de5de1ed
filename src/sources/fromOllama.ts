import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { createNDJSONDecoder } from '../wire/createNDJSONDecoder';
import { decoderOptionsOf, sourceFromBytes } from './engine/sourceFromBytes';
import { requestStepStart } from './engine/requestStepStart';
import type { StreamLimits } from '../base/limits';
import { ollamaDialect } from '../wire/ollama/dialect';

/** A chat message as Ollama's `/api/chat` takes it. */
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64-encoded images, for multimodal models. */
  images?: string[];
  /** The model's reasoning, when passing an earlier thinking turn back. */
  thinking?: string;
  /** Tool calls of an earlier assistant turn (`arguments` is an object, not a JSON string). */
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  /** On a `tool` message: which tool this is the result of. */
  tool_name?: string;
}

export interface FromOllamaConfig {
  /** The model to run (`llama3.2`, `qwen3:8b`, ...). Required. */
  model: string;
  /** A conversation: posts to `/api/chat`. Give this or `prompt`. */
  messages?: OllamaMessage[];
  /** A single prompt: posts to `/api/generate`. Give this or `messages`. */
  prompt?: string;
  /** The server. Default `http://127.0.0.1:11434` (no environment is read: this runs in browsers too). */
  baseUrl?: string;
  /** Model options (`temperature`, `num_ctx`, `seed`, ...), sent as `options`. */
  options?: Record<string, unknown>;
  /** Tools the model may call (`/api/chat`), in Ollama's (OpenAI-like) function format. */
  tools?: unknown[];
  /** `'json'` or a JSON schema, for structured output. */
  format?: 'json' | Record<string, unknown>;
  /** Ask a thinking model to think (`true`/`false`, or `'low' | 'medium' | 'high'` for some models). */
  think?: boolean | 'low' | 'medium' | 'high';
  /** How long the model stays loaded after the request (`'5m'`, `0`). */
  keepAlive?: string | number;
  /** More fields for the request body, for options this config does not name (`system`, `raw`, ...). */
  body?: Record<string, unknown>;
  /** Extra request headers (an `Authorization` header for a hosted Ollama). */
  headers?: Record<string, string>;
  /** The `fetch` to use. Default: the global `fetch`, looked up when the source is subscribed. */
  fetch?: typeof fetch;
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
 * Streams a chat (`messages`) or a completion (`prompt`) from an Ollama server's native API as
 * rxllm events: text, thinking, tool calls (ids synthesized, since Ollama gives none), usage from
 * `prompt_eval_count` / `eval_count`, and the finish reason.
 *
 * Intuition: a local model as an Observable; `mergeTracks` can race it against a cloud one.
 *
 * For llama.cpp, vLLM and LM Studio (and Ollama's own `/v1`), which speak OpenAI's API, use
 * `fromOpenAI(new OpenAI({ baseURL }), params)`.
 *
 * Cold and lazy: each subscription posts one request with `stream: true`. Every event carries
 * `seq`. Errors with an {@link RxllmError} whose `partial` holds the message so far: a non-2xx
 * response (a missing model is a 404 `http` error quoting Ollama's message), a refused connection
 * (`network`: is `ollama serve` running?), an in-band `{"error": ...}` line, a stream that ends
 * before `done: true` (`network`). Unsubscribing aborts the request, silently.
 *
 * @example
 * ```ts
 * import { fromOllama, collect } from 'rxllm';
 * const message = await collect(
 *   fromOllama({ model: 'llama3.2', messages: [{ role: 'user', content: 'Why is the sky blue?' }] }),
 * );
 * ```
 */
export function fromOllama(config: FromOllamaConfig): Observable<RxllmEvent> {
  if (typeof config?.model !== 'string' || config.model === '') {
    throw new TypeError(`rxllm: fromOllama: model is required, got ${String(config?.model)}`);
  }
  const hasMessages = config.messages !== undefined;
  const hasPrompt = config.prompt !== undefined;
  if (hasMessages === hasPrompt) {
    throw new TypeError(
      'rxllm: fromOllama: give exactly one of messages (/api/chat) or prompt (/api/generate)',
    );
  }
  if (hasMessages && !Array.isArray(config.messages)) {
    throw new TypeError(`rxllm: fromOllama: messages must be an array, got ${typeof config.messages}`);
  }
  const baseUrl = (config.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
  const url = `${baseUrl}${hasMessages ? '/api/chat' : '/api/generate'}`;
  const body = JSON.stringify({
    ...config.body,
    model: config.model,
    ...(hasMessages ? { messages: config.messages } : { prompt: config.prompt }),
    ...(config.options !== undefined && { options: config.options }),
    ...(config.tools !== undefined && { tools: config.tools }),
    ...(config.format !== undefined && { format: config.format }),
    ...(config.think !== undefined && { think: config.think }),
    ...(config.keepAlive !== undefined && { keep_alive: config.keepAlive }),
    stream: true,
  });
  const headers = { 'content-type': 'application/json', accept: 'application/x-ndjson', ...config.headers };
  return sourceFromBytes(
    (signal) => {
      const request = config.fetch ?? globalThis.fetch;
      return request(url, { method: 'POST', headers, body, signal });
    },
    {
      dialect: ollamaDialect,
      name: 'fromOllama',
      decoderOptions: decoderOptionsOf(config, 'fromOllama'),
      createStreamDecoder: createNDJSONDecoder,
      first: () => requestStepStart(config.model, 'ollama'),
    },
  );
}
