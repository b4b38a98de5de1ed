import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { fromEventSourceWith, type FromEventSourceConfig } from './engine/fromEventSourceWith';
import { getDialect } from '../wire/dialects';

export type { FromEventSourceConfig } from './engine/fromEventSourceWith';

/**
 * Reads a Server-Sent Events endpoint from the browser (or any runtime with `fetch`): the
 * client-side source, a fetch-based replacement for `EventSource` that knows when the stream is over.
 *
 * Intuition: `new EventSource(url)` reconnects about every 3 s after the stream *ends* (and after
 * an error frame), and each reconnect is a new model call; this reads the same stream once.
 *
 * The request is `fetch(url, { method, body, headers, signal })`, so unlike `EventSource` it can
 * POST a body. The stream is decoded as `fromSSE` would (any dialect rxllm reads; `rxllm` by
 * default), with the same `seq`, `partial` on errors and flow control (`pausable` stops the socket).
 *
 * Reconnection: when the connection drops (or the body ends) before the dialect's terminal
 * message, it is reopened up to `maxReconnects` times with backoff, sending `Last-Event-ID: <the
 * last id: seen>`. A server that resumes (`toSSE({ ids })` numbers frames) continues from there;
 * frames whose numeric id (`12`, or `12.1` for the second frame of one event, as rxllm's stream log
 * numbers them) is not above the last one seen are dropped, so a replay from the start
 * adds no duplicates. Without any `id:` seen, a stream that already delivered frames is not
 * reopened (a new request would start the answer over): it fails with `network`, as `fromSSE` does.
 * A finished stream, an error frame, or an HTTP error status is final.
 *
 * Unsubscribing aborts the request (the server sees the connection close).
 *
 * @example
 * ```ts
 * import { fromEventSource, toStore, createMessageStore } from 'rxllm';
 * const store = createMessageStore();
 * fromEventSource('/api/chat', { method: 'POST', body: JSON.stringify({ messages }) })
 *   .subscribe(toStore(store));
 * ```
 */
export function fromEventSource(
  url: string | URL,
  config: FromEventSourceConfig = {},
): Observable<RxllmEvent> {
  return fromEventSourceWith(url, config, getDialect);
}
