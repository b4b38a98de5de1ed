import type { PartialMode } from '../../wire/types';
import { Observable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import { errorFromHttpResponse } from '../../base/httpError';
import { createSSEDecoder } from '../../wire/createSSEDecoder';
import { decoderOptionsOf, sourceFromBytes } from './sourceFromBytes';
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

const maxRetryDelayMs = 30_000;

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
  if (!Number.isInteger(maxReconnects) || maxReconnects < 0) {
    throw new TypeError(
      `rxllm: fromEventSource: maxReconnects must be an integer >= 0, got ${String(maxReconnects)}`,
    );
  }
  if (typeof retryDelayMs !== 'number' || !(retryDelayMs >= 0) || retryDelayMs === Infinity) {
    throw new TypeError(
      `rxllm: fromEventSource: retryDelayMs must be a finite number >= 0, got ${String(retryDelayMs)}`,
    );
  }
  const dialect = resolve(config.dialect ?? 'rxllm', 'decode');
  if (dialect.framing !== 'sse') {
    throw new TypeError(`rxllm: fromEventSource: dialect '${dialect.name}' is not framed as SSE`);
  }
  const decoderOptions = decoderOptionsOf(config, 'fromEventSource');
  const doFetch = config.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const href = String(url);

  const connect = (signal: AbortSignal, lastEventId: string | undefined): Promise<Response> => {
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
  };

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
    async function* reconnecting(first: Response, signal: AbortSignal): AsyncGenerator<Uint8Array> {
      let response = first;
      for (let attempt = 1; ; attempt++) {
        const reader = response.body!.getReader();
        let cut: unknown;
        let ended = false;
        try {
          for (;;) {
            const chunk = await reader.read();
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
          if (!ended) reader.cancel().catch(ignore);
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
        response = await connect(signal, lastId);
        if (response.status === 204) return; // the SSE way of saying "do not reconnect"
        if (!response.ok || !response.body) {
          throw errorFromHttpResponse(
            response.status,
            await bodyText(response),
            response.headers,
            dialect.name,
          );
        }
      }
    }

    return sourceFromBytes(
      async (signal) => {
        const first = await connect(signal, undefined);
        const contentType = first.headers.get('content-type') ?? '';
        // What is not an event stream is left to the engine, which reports it as it would for fromSSE.
        if (!first.ok || !first.body || /json|html/i.test(contentType)) return first;
        return reconnecting(first, signal);
      },
      {
        dialect,
        name: 'fromEventSource',
        decoderOptions,
        createStreamDecoder: (streamDialect, emit, options) => {
          const decoder = createSSEDecoder(streamDialect, emit, options, { accept });
          restart = () => decoder.restart?.();
          return decoder;
        },
      },
    ).subscribe(subscriber);
  });
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
