import type { PartialMode } from '../../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import { decoderOptionsOf } from './sourceFromBytes';
import { checkReconnect, reconnectingSSE } from './reconnectingSSE';
import type { StreamLimits } from '../../base/limits';
import type { DialectInput } from '../../wire/registry';
import type { Dialect } from '../../wire/types';

/** Options of `fromEventSource`. */
export interface FromEventSourceConfig {
  /** The wire format the server writes: a name or a dialect object. Default `rxllm`. */
  dialect?: DialectInput;
  /** HTTP method. Default `GET`, or `POST` when there is a `body`. */
  method?: string;
  /**
   * The request body (what `EventSource` cannot send), sent again on each reconnect, so it must
   * be re-readable: a string, `FormData`, `URLSearchParams`, a `Blob` or bytes, not a stream.
   */
  body?: string | FormData | URLSearchParams | Blob | ArrayBuffer | ArrayBufferView | null;
  /** Request headers; `Accept: text/event-stream` is added unless given. */
  headers?: Record<string, string>;
  /** `fetch`'s credentials mode (cookies on a cross-origin request). Default: fetch's own. */
  credentials?: RequestCredentials;
  /**
   * How many times a connection dropped before the stream's terminal message is reopened, in
   * all. Default 3; 0 never reconnects. A finished stream (`[DONE]`, the dialect's last message)
   * or an error frame is final: never reopened.
   */
  maxReconnects?: number;
  /** Wait before the first reconnect, doubled for each next one (at most 30 s). Default 1000 ms. */
  retryDelayMs?: number;
  /** The fetch to use (a wrapped or polyfilled one). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** The `provider` of the `start` event, as for `fromSSE`. */
  provider?: string;
  /** Size limits for this stream, as for `fromSSE`. */
  limits?: Partial<StreamLimits>;
  /**
   * What is kept for a failed stream's `partial`: `'full'` (default) the whole message, `'text'`
   * the answer without reasoning or tool calls, `'none'` nothing (no token is held once passed on).
   */
  partial?: PartialMode;
}

/**
 * `fromEventSource` (src/sources/fromEventSource.ts) with the dialect found by `resolve` (the root's table, or `rxllm/core`'s
 * registry): checks the options when the source is built, so a wrong one throws at once.
 */
export function fromEventSourceWith(
  url: string | URL,
  config: FromEventSourceConfig,
  resolve: (dialect: DialectInput, need: 'decode') => Dialect,
): Observable<RxllmEvent> {
  if (typeof url !== 'string' && !(typeof url === 'object' && url !== null && 'href' in url)) {
    throw new TypeError(`rxllm: fromEventSource expects a URL, got ${String(url)}`);
  }
  const { maxReconnects = 3, retryDelayMs = 1000 } = config ?? {};
  checkReconnect('fromEventSource', maxReconnects, retryDelayMs);
  const dialect = resolve(config.dialect ?? 'rxllm', 'decode');
  if (dialect.framing !== 'sse') {
    throw new TypeError(`rxllm: fromEventSource: dialect '${dialect.name}' is not framed as SSE`);
  }
  const decoderOptions = decoderOptionsOf(config, 'fromEventSource');
  const doFetch = config.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const href = String(url);

  return reconnectingSSE({
    name: 'fromEventSource',
    dialect,
    decoderOptions,
    maxReconnects,
    retryDelayMs,
    connect(signal, lastEventId) {
      const headers: Record<string, string> = { ...config.headers };
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'accept')) {
        headers.accept = 'text/event-stream';
      }
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const init: RequestInit = {
        method: config.method ?? (config.body == null ? 'GET' : 'POST'),
        headers,
        signal,
      };
      if (config.body != null) init.body = config.body as BodyInit;
      if (config.credentials !== undefined) init.credentials = config.credentials;
      return doFetch(href, init);
    },
  });
}
