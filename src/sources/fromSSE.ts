import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { createSSEDecoder } from '../wire/createSSEDecoder';
import { framedSource } from './engine/sourceFromBytes';
import type { StreamLimits } from '../base/limits';
import { getDialect } from '../wire/dialects';
import type { DialectInput } from '../wire/registry';
import type { StreamInput } from './engine/StreamInput';
import type { SSEReconnect } from './reconnectSSE';

export type { ByteStream, StreamInput, StreamResume } from './engine/StreamInput';

export interface FromSSEConfig {
  /**
   * The wire format of the events: a name (`openai-chat`, `anthropic`, `openai-responses`,
   * `gemini`, `rxllm`) or the dialect object (`openAIChatDialect`, ...). Required.
   */
  dialect: DialectInput;
  /**
   * The `provider` of the `start` event, when you know better than the dialect (a vLLM or
   * llama.cpp server speaks `openai-chat`). Default: the dialect's own label.
   */
  provider?: string;
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
  /**
   * Resume a dropped connection: `reconnectSSE({ maxReconnects, retryDelayMs })`. The input
   * function is then called again with `{ lastEventId }` and frames already seen are skipped.
   * Default: none (a dropped connection errors with `network`).
   */
  reconnect?: SSEReconnect;
}

/**
 * Reads a Server-Sent Events stream in a provider's dialect as rxllm events.
 *
 * Intuition: `fetch` gives you bytes; this gives you `text`, `tool-call`, `usage` and `finish`
 * events, with the provider's quirks already handled.
 *
 * Cold and lazy: given a function, nothing is requested until subscribe, and each subscription
 * makes its own request (so `retry` works). A `Response` or stream passed directly can be read by
 * one subscription only. Every event carries `seq` (0, 1, 2, ...). The source reads the next chunk
 * only when downstream flow gates (`pausable`) are open, so a paused consumer stops the socket.
 *
 * Completes when the stream ends properly. Errors with an {@link RxllmError} whose `partial` holds
 * the message so far: a non-2xx response (`auth`, `rate-limit` with `retryAfterMs`, `overloaded`,
 * `context-length`, `http`), a dropped connection or a stream cut short (`network`), a broken chunk
 * (`malformed`) or an in-band provider error (mapped code). Unsubscribing aborts the request
 * (through the signal given to the function) and cancels the reader at once; it raises no error.
 *
 * With `reconnect: reconnectSSE()`, a connection that drops before the dialect's terminal message
 * is reopened by calling the function again with `{ lastEventId }`; frames whose numeric `id:`
 * is not above the last one seen are skipped, so every event arrives once (see `fromEventSource`).
 *
 * @example
 * ```ts
 * import { fromSSE, collect } from 'rxllm';
 * const events$ = fromSSE(
 *   (signal) => fetch('/api/chat', { method: 'POST', body: JSON.stringify({ messages }), signal }),
 *   { dialect: 'rxllm' },
 * );
 * const message = await collect(events$);
 * ```
 */
export function fromSSE(input: StreamInput, config: FromSSEConfig): Observable<RxllmEvent> {
  if (config?.reconnect !== undefined) return config.reconnect.source(input, config, getDialect);
  return framedSource('fromSSE', 'sse', createSSEDecoder, input, config, getDialect);
}
