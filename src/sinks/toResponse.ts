import { catchError, EMPTY, map, type Observable } from 'rxjs';
import { reportingUpstreamErrors } from '../wire/sseOutput';
import { responseHeaders } from './responseHeaders';
import type { DialectName } from '../wire/types';
import { toReadableStream } from './toReadableStream';

/** Options of {@link toResponse}: a `ResponseInit` plus how the body is buffered. */
export interface ToResponseConfig extends ResponseInit {
  /**
   * How many frames may wait unread in the body before the source is held back. A positive
   * integer; default 64.
   */
  highWaterMark?: number;
  /**
   * Called once with the upstream error, for the server's logs: whether `toSSE` wrote it as the
   * dialect's error frames (its default, `errors: 'frame'`, when `frames$` is `toSSE`'s output
   * itself) or passed it on (`errors: 'propagate'`). The body then ends normally: the frames
   * already carry the dialect's error event, which a client reads as the stream's error (a body
   * that broke off would look like a dropped connection). Default: the error is dropped.
   */
  onError?: (error: unknown) => void;
  /**
   * Override: the dialect the frames are in, for its headers (`ai-sdk-ui` adds
   * `x-vercel-ai-ui-message-stream: v1`, which `useChat` checks). Not needed when `frames$` is
   * `toSSE`'s output itself, which says its dialect; give it for frames made otherwise (or piped
   * through further operators). Default: `toSSE`'s dialect, else `'rxllm'`.
   */
  dialect?: DialectName;
}

/**
 * A web `Response` that streams SSE frames: for Hono, Next.js route handlers, Bun, Deno and
 * Cloudflare Workers, anything that answers a request with a fetch `Response`.
 *
 * Intuition: `return toResponse(events$.pipe(toSSE({ dialect })))` and the body is pulled from
 * the pipeline as fast as the client reads it, no faster.
 *
 * Headers: `content-type: text/event-stream; charset=utf-8`, `cache-control: no-cache,
 * no-transform`, `connection: keep-alive` (where the runtime allows it; HTTP/2 servers drop it)
 * and `x-accel-buffering: no`, plus what the dialect needs (see `sseHeaders`): the dialect is read
 * from `toSSE`'s output, so it is named once, in `toSSE`. Headers in `config` are merged over them
 * and win.
 *
 * - Lazy and bounded: nothing is subscribed until the body is first read; then at most
 *   `highWaterMark` frames wait unread before the source is held back (rxllm sources stop
 *   reading their upstream HTTP body meanwhile).
 * - Completion ends the body. An upstream error ends the body too (the frames already carry the
 *   error event) and is passed to `onError`, also when `toSSE` wrote it as frames.
 * - When the client goes away the runtime cancels the body, which unsubscribes and so aborts the
 *   upstream request.
 *
 * A browser's `EventSource` reconnects (about 3 s later, a new request: a new model call) whenever
 * the body ends, normally or after an error frame: it has no notion of a finished stream. Read the
 * stream with `fromEventSource` (which stops at the dialect's terminal message or error), or call
 * `es.close()` on the `done` / `rxllm-error` frame.
 *
 * @example
 * ```ts
 * import { fromOpenAI, toResponse, toSSE } from 'rxllm';
 * export async function POST(request: Request) {
 *   const { messages } = await request.json();
 *   return toResponse(fromOpenAI(openai, { model: 'gpt-4o-mini', messages }).pipe(toSSE()));
 * }
 * ```
 */
export function toResponse(
  frames$: Observable<string | Uint8Array>,
  config: ToResponseConfig = {},
): Response {
  if (typeof (frames$ as { subscribe?: unknown } | null)?.subscribe !== 'function') {
    throw new TypeError(`rxllm: toResponse expects an Observable of SSE frames, got ${String(frames$)}`);
  }
  const { highWaterMark, onError, dialect, headers: userHeaders, ...init } = config;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`rxllm: toResponse onError must be a function, got ${String(onError)}`);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(responseHeaders(frames$, dialect))) {
    try {
      headers.set(name, value);
    } catch {
      // A runtime that forbids a hop-by-hop header (connection) manages it itself.
    }
  }
  new Headers(userHeaders).forEach((value, name) => headers.set(name, value));

  // With toSSE's default `errors: 'frame'` the frames complete after the error event; the hook
  // still tells onError what failed upstream.
  const reported = onError === undefined ? frames$ : reportingUpstreamErrors(frames$, onError);
  const body = reported.pipe(
    catchError((error: unknown) => {
      onError?.(error);
      return EMPTY;
    }),
    map(checkFrame),
  );
  return new Response(toReadableStream(body, { encode: true, highWaterMark: highWaterMark ?? 64 }), {
    status: 200,
    ...init,
    headers,
  });
}

/** Events passed by mistake would otherwise fail deep in the body with a vaguer message. */
function checkFrame(frame: string | Uint8Array): string | Uint8Array {
  if (typeof frame === 'string' || frame instanceof Uint8Array) return frame;
  throw new TypeError(
    `rxllm: toResponse takes SSE frames (strings), got ${Object.prototype.toString.call(frame)}; pipe events through toSSE() first`,
  );
}
