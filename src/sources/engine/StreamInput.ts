// What the byte sources read. Defined here, in the engine, and re-exported by `fromSSE`, so that
// the engine does not import the front door that imports it.
import type { Subscribable } from 'rxjs';

/**
 * Bytes (or already decoded text) that carry a framed stream: a fetch `Response`, a
 * `ReadableStream`, an async iterable, an Observable (anything with `subscribe`, such as an RxJS
 * Observable) or an array of chunks, each chunk a `Uint8Array` or a string cut anywhere.
 */
export type ByteStream =
  | Response
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Subscribable<Uint8Array | string>
  | readonly (Uint8Array | string)[];

/** What the input function of a resuming source (`fromSSE` with `reconnect`) is told on each call. */
export interface StreamResume {
  /** The `id:` of the last frame read on the connections before (undefined on the first call). */
  lastEventId: string | undefined;
}

/**
 * What rxllm uses of a Node `http.ClientRequest` (what `http.get` and `http.request` return),
 * typed without Node's types: an input function may return one instead of a promise of its
 * response. The source then owns the request: it reads the response when it arrives, fails on a
 * non-2xx status as for a fetch `Response`, and destroys the request on unsubscribe (no signal
 * needed; Node-only, see sources/engine/readNodeStream).
 */
export interface NodeClientRequest {
  readonly method: string;
  readonly path: string;
  on(event: string, listener: (...args: never[]) => void): unknown;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  destroy(): unknown;
}

/**
 * What a stream source reads: a {@link ByteStream}, or a function that makes the request when the
 * source is subscribed. The function gets an `AbortSignal` that aborts when the subscriber
 * unsubscribes; pass it on to `fetch`. In Node it may instead return the `http.ClientRequest`
 * itself (`() => http.get(url)`), which the source destroys on unsubscribe. An Observable is subscribed when the source is and
 * unsubscribed with it; the second argument tells a resuming source's function where to resume
 * (`fromSSE`'s `reconnect`). An Observable pushes, so chunks it sends while a consumer holds back (`pausable`)
 * wait in memory instead of in a socket.
 */
export type StreamInput =
  | ByteStream
  | ((signal: AbortSignal, resume: StreamResume) => ByteStream | NodeClientRequest | PromiseLike<ByteStream>);
