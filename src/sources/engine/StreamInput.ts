// What the byte sources read. Defined here, in the engine, and re-exported by `fromSSE`, so that
// the engine does not import the front door that imports it.

/** Bytes (or already decoded text) that carry a framed stream. */
export type ByteStream = Response | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/**
 * What a stream source reads: a fetch `Response`, a byte stream, an async iterable of bytes or
 * text, or a function that makes the request when the source is subscribed. The function gets an
 * `AbortSignal` that aborts when the subscriber unsubscribes; pass it on to `fetch`.
 */
export type StreamInput = ByteStream | ((signal: AbortSignal) => ByteStream | PromiseLike<ByteStream>);
