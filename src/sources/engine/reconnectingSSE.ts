import { Observable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import { errorFromHttpResponse } from '../../base/httpError';
import { createSSEDecoder } from '../../wire/createSSEDecoder';
import type { DecoderOptions, Dialect } from '../../wire/types';
import { isReadableStream, isResponse, sourceFromBytes } from './sourceFromBytes';
import type { ByteStream } from './StreamInput';

/** What {@link reconnectingSSE} needs: the request, the decoding and how often to reopen. */
export interface ReconnectingSSEOptions {
  /** Names the source in errors (`fromEventSource`, `fromSSE`). */
  name: string;
  dialect: Dialect;
  decoderOptions: DecoderOptions;
  /** Reconnects in all; 0 never reconnects. */
  maxReconnects: number;
  /** Wait before the first reconnect, doubled for each next one (at most 30 s). */
  retryDelayMs: number;
  /** Opens a connection: the first with `lastEventId` undefined, each reconnect with the last id seen. */
  connect(signal: AbortSignal, lastEventId: string | undefined): ByteStream | PromiseLike<ByteStream>;
}

const maxRetryDelayMs = 30_000;

/** Checks the reconnect options when the source is built, so a wrong one throws at once. */
export function checkReconnect(name: string, maxReconnects: unknown, retryDelayMs: unknown): void {
  if (!Number.isInteger(maxReconnects) || (maxReconnects as number) < 0) {
    throw new TypeError(
      `rxllm: ${name}: maxReconnects must be an integer >= 0, got ${String(maxReconnects)}`,
    );
  }
  if (typeof retryDelayMs !== 'number' || !(retryDelayMs >= 0) || retryDelayMs === Infinity) {
    throw new TypeError(
      `rxllm: ${name}: retryDelayMs must be a finite number >= 0, got ${String(retryDelayMs)}`,
    );
  }
}

/**
 * An SSE source that reopens its connection when it drops before the dialect's terminal message,
 * telling the server the last `id:` it read and dropping frames whose numeric id (`12`, or `12.1`
 * for the second frame of one event, as rxllm's stream log numbers them) is not above the last one
 * seen, so that a resumed or replayed stream adds no duplicates. Without any `id:` seen, a stream
 * that already delivered frames is not reopened (a new request would start the answer over): the
 * decoder reports the early end (`network`). An HTTP error status on a reconnect is final; 204
 * means "do not reconnect". Shared by `fromEventSource` and `fromSSE` with `reconnect`.
 */
export function reconnectingSSE(options: ReconnectingSSEOptions): Observable<RxllmEvent> {
  const { name, dialect, decoderOptions, maxReconnects, retryDelayMs, connect } = options;
  // One decoder per subscription across all its connections, so a stream resumed mid-way keeps
  // its state (an open tool call, the text so far, `seq`), built here per subscriber. (Not `defer`,
  // which would bundle RxJS's `from` machinery for nothing; the subscriber is passed on as is, so
  // flow gates downstream are found from it.)
  return new Observable<RxllmEvent>((subscriber) => {
    let lastId: string | undefined;
    // The last numeric id as [seq, frame]: rxllm's stream log numbers the further frames of one
    // event `<seq>.1`, `<seq>.2`.
    let lastNumeric: [number, number] = [-Infinity, 0];
    let framesSeen = false;
    let restart: (() => void) | undefined;

    const accept = (id: string | undefined): boolean => {
      framesSeen = true;
      if (id === undefined) return true;
      const match = /^(\d+)(?:\.(\d+))?$/.exec(id);
      if (match !== null) {
        const numeric: [number, number] = [Number(match[1]), Number(match[2] ?? 0)];
        const [seq, frame] = lastNumeric;
        // Not above the last one: already delivered before the cut.
        if (numeric[0] < seq || (numeric[0] === seq && numeric[1] <= frame)) return false;
        lastNumeric = numeric;
      }
      lastId = id;
      return true;
    };

    /** The bodies of successive connections as one byte stream, reopened while the stream is unfinished. */
    async function* reconnecting(
      first: ByteStream,
      signal: AbortSignal,
    ): AsyncGenerator<Uint8Array | string> {
      let connection = first;
      for (let attempt = 1; ; attempt++) {
        const reader = chunksOf(connection, name);
        let cut: unknown;
        let ended = false;
        try {
          for (;;) {
            const chunk = await reader.next();
            if (chunk.done) {
              ended = true;
              break;
            }
            yield chunk.value;
          }
        } catch (error) {
          if (signal.aborted) throw error;
          cut = error;
        } finally {
          // Reached on a cut, at the end, and when the source stops reading (the terminal
          // message arrived, or unsubscribe): the connection is released in every case.
          if (!ended) Promise.resolve(reader.return?.()).catch(ignore);
        }
        // Here the body ended, or broke, before the terminal message (else the source would have
        // stopped reading): reopen it if that can resume without repeating the answer.
        const resumable = lastId !== undefined || !framesSeen;
        if (attempt > maxReconnects || !resumable) {
          if (cut !== undefined) throw cut;
          return; // the decoder reports the early end (`network`)
        }
        await sleep(Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs), signal);
        restart?.();
        connection = await connect(signal, lastId);
        if (isResponse(connection)) {
          if (connection.status === 204) return; // the SSE way of saying "do not reconnect"
          if (!connection.ok || !connection.body) {
            throw errorFromHttpResponse(
              connection.status,
              await bodyText(connection),
              connection.headers,
              dialect.name,
            );
          }
        }
      }
    }

    return sourceFromBytes(
      async (signal) => {
        const first = await connect(signal, undefined);
        // What is not an event stream is left to the engine, which reports it as it would for fromSSE.
        if (
          isResponse(first) &&
          (!first.ok || !first.body || /json|html/i.test(first.headers.get('content-type') ?? ''))
        ) {
          return first;
        }
        return reconnecting(first, signal);
      },
      {
        dialect,
        name,
        decoderOptions,
        keepAs: createSSEDecoder,
        createStreamDecoder: (streamDialect, emit, decoderOptions) => {
          const decoder = createSSEDecoder(streamDialect, emit, decoderOptions, { accept });
          restart = () => decoder.restart?.();
          return decoder;
        },
      },
    ).subscribe(subscriber);
  });
}

/** The chunks of one connection, read one at a time; `return` releases it. */
function chunksOf(input: ByteStream, name: string): AsyncIterator<Uint8Array | string> {
  if (isResponse(input) || isReadableStream(input)) {
    const reader = (isResponse(input) ? input.body! : input).getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
      return: async () => {
        await reader.cancel();
        return { value: undefined, done: true };
      },
    };
  }
  if (Array.isArray(input)) return (input as (Uint8Array | string)[])[Symbol.iterator]() as never;
  if (typeof (input as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator] === 'function') {
    return (input as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  }
  throw new TypeError(
    `rxllm: ${name}: a reconnecting input must give a Response, a ReadableStream, an async iterable or an array`,
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function bodyText(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 64 * 1024);
  } catch {
    return '';
  }
}

function ignore(): void {}
