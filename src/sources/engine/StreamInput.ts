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
 * What a stream source reads: a {@link ByteStream}, or a function that makes the request when the
 * source is subscribed. The function gets an `AbortSignal` that aborts when the subscriber
 * unsubscribes; pass it on to `fetch`. An Observable is subscribed when the source is and
 * unsubscribed with it; the second argument tells a resuming source's function where to resume
 * (`fromSSE`'s `reconnect`). An Observable pushes, so chunks it sends while a consumer holds back (`pausable`)
 * wait in memory instead of in a socket.
 */
export type StreamInput =
  ByteStream | ((signal: AbortSignal, resume: StreamResume) => ByteStream | PromiseLike<ByteStream>);
