import type { Observable } from 'rxjs';
import { GatedQueue } from '../flow/gatedQueue';

/** Options of {@link toReadableStream}. */
export interface ToReadableStreamConfig {
  /**
   * How many values may wait in the buffer for the reader before the source is held back.
   * A positive integer; default 64.
   */
  highWaterMark?: number;
  /**
   * Encode string values as UTF-8 `Uint8Array`s, for a response body. `Uint8Array` values pass
   * as they are; any other value errors the stream with a TypeError. Default false: values pass
   * as they are.
   */
  encode?: boolean;
}

/**
 * A web `ReadableStream` of what the Observable emits, read at the reader's pace.
 *
 * Intuition: the Observable pushes, the stream is pulled; a small buffer sits between them, and
 * when it is full the source is asked to stop reading the network until the reader catches up.
 *
 * - Lazy: the source is subscribed when the stream is first read, not when it is created.
 * - Bounded: once `highWaterMark` values wait unread, the source is held back through rxllm's
 *   flow gate, so an rxllm source (and anything piped from it through plain operators) stops
 *   reading its HTTP body until the reader pulls again. A source that cannot be held back (a
 *   plain `interval`) keeps being buffered.
 * - Completion closes the stream after the buffered values. An error errors the stream after the
 *   buffered values were read, with the error as it came (an `RxllmError` from rxllm sources).
 * - `cancel()` on the stream (or on its reader, or an aborted `pipeTo`) unsubscribes, which
 *   aborts the upstream HTTP request.
 *
 * @example
 * ```ts
 * import { fromOpenAI, toReadableStream, toSSE } from 'rxllm';
 * // Events for code that speaks Streams (a worker's postMessage loop, a WritableStream):
 * const reader = toReadableStream(fromOpenAI(openai, params), { highWaterMark: 16 }).getReader();
 * for (let read = await reader.read(); !read.done; read = await reader.read()) render(read.value);
 * // Or bytes for a response body:
 * const body = toReadableStream(fromOpenAI(openai, params).pipe(toSSE()), { encode: true });
 * ```
 */
export function toReadableStream(
  frames$: Observable<string | Uint8Array>,
  config: ToReadableStreamConfig & { encode: true },
): ReadableStream<Uint8Array>;
export function toReadableStream<T>(
  source$: Observable<T>,
  config?: ToReadableStreamConfig,
): ReadableStream<T>;
export function toReadableStream<T>(
  source$: Observable<T>,
  config: ToReadableStreamConfig = {},
): ReadableStream<T | Uint8Array> {
  if (typeof (source$ as { subscribe?: unknown } | null)?.subscribe !== 'function') {
    throw new TypeError(`rxllm: toReadableStream expects an Observable, got ${describe(source$)}`);
  }
  const highWaterMark = config.highWaterMark ?? 64;
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
    throw new TypeError(
      `rxllm: toReadableStream highWaterMark must be a positive integer, got ${describe(highWaterMark)}`,
    );
  }
  const encoder = config.encode ? new TextEncoder() : undefined;
  const convert = (value: T): T | Uint8Array => {
    if (!encoder) return value;
    if (typeof value === 'string') return encoder.encode(value);
    if (value instanceof Uint8Array) return value;
    throw new TypeError(
      `rxllm: toReadableStream with encode: true takes strings or Uint8Arrays, got ${describe(value)}`,
    );
  };

  let queue: GatedQueue<T>;
  let controller: ReadableStreamDefaultController<T | Uint8Array>;
  // True while a read waits for a value: only then is a value handed to the stream, so the stream's
  // own queue stays empty and `highWaterMark` alone bounds what waits.
  let demand = false;
  const deliver = () => {
    if (!demand) return;
    if (queue.size > 0) {
      demand = false;
      let chunk: T | Uint8Array;
      try {
        if (encoder && typeof queue.peek() === 'string') {
          // Bytes carry no frame boundaries: every string waiting goes out as one chunk, one
          // encode and one enqueue per read instead of per frame.
          let text = '';
          while (queue.size > 0 && typeof queue.peek() === 'string') text += queue.shift() as string;
          chunk = encoder.encode(text);
        } else chunk = convert(queue.shift());
      } catch (error) {
        queue.cancel();
        controller.error(error);
        return;
      }
      controller.enqueue(chunk);
      if (queue.size === 0 && queue.state === 'complete') controller.close();
    } else if (queue.state === 'complete') {
      demand = false;
      controller.close();
    } else if (queue.state === 'error') {
      demand = false;
      controller.error(queue.error);
    }
  };

  return new ReadableStream<T | Uint8Array>(
    {
      start(streamController) {
        controller = streamController;
        queue = new GatedQueue(source$, highWaterMark, deliver);
      },
      pull() {
        demand = true;
        queue.start();
        deliver();
      },
      cancel() {
        queue.cancel();
      },
    },
    // The stream pulls only when a read is pending; buffering is the gated queue's job.
    { highWaterMark: 0 },
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
