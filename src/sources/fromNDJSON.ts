import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { createNDJSONDecoder } from '../wire/createNDJSONDecoder';
import { framedSource } from './engine/sourceFromBytes';
import { getDialect } from '../wire/dialects';
import type { DialectInput } from '../wire/registry';
import type { StreamInput } from './fromSSE';
import type { StreamLimits } from '../base/limits';

export interface FromNDJSONConfig {
  /** The wire format of the lines: `ollama` or the dialect object (`ollamaDialect`). Required. */
  dialect: DialectInput;
  /** The `provider` of the `start` event, when you know better than the dialect. */
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
}

/**
 * Reads a newline-delimited JSON stream (one JSON object per line, as Ollama's native API sends)
 * in a provider's dialect as rxllm events.
 *
 * Intuition: the same as {@link fromSSE}, for streams framed by newlines instead of SSE events.
 *
 * Cold and lazy: given a function, nothing is requested until subscribe, and each subscription
 * makes its own request. Every event carries `seq` (0, 1, 2, ...). The source reads the next chunk
 * only when downstream flow gates (`pausable`) are open.
 *
 * Completes when the stream ends properly. Errors with an {@link RxllmError} whose `partial` holds
 * the message so far: a non-2xx response (mapped by status), a dropped connection or a stream that
 * ends before its final line (`network`), a line that is not JSON (`malformed`) or an in-band
 * `{"error": ...}` line. Unsubscribing aborts the request and cancels the reader at once, silently.
 *
 * @example
 * ```ts
 * import { fromNDJSON } from 'rxllm';
 * fromNDJSON(
 *   (signal) => fetch('http://127.0.0.1:11434/api/chat', { method: 'POST', body, signal }),
 *   { dialect: 'ollama' },
 * ).subscribe((event) => console.log(event));
 * ```
 */
export function fromNDJSON(input: StreamInput, config: FromNDJSONConfig): Observable<RxllmEvent> {
  return framedSource('fromNDJSON', 'ndjson', createNDJSONDecoder, input, config, getDialect);
}
