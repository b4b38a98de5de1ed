import {
  asyncScheduler,
  type Observable,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { reportingUpstreamErrors } from '../wire/sseOutput';
import { holdDelivering, markFlow, type FlowGate } from '../flow/flow';
import { responseHeaders } from './responseHeaders';
import type { DialectName } from '../wire/types';

/**
 * The part of Node's `http.ServerResponse` (or `Http2ServerResponse`, or Express's and Fastify's
 * raw `res`) that {@link pipeToNodeResponse} uses. Typed structurally so that importing rxllm
 * never needs Node's types or modules.
 */
export interface NodeServerResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): unknown;
  /** Names of the headers set so far (node:http, HTTP/2): none lets all be written at once. */
  getHeaderNames?(): string[];
  writeHead?(status: number, headers: Record<string, string | number | string[]>): unknown;
  flushHeaders?(): void;
  write(chunk: string | Uint8Array): boolean;
  end(callback?: () => void): unknown;
  on(event: 'close' | 'drain' | 'error', listener: () => void): unknown;
  off(event: 'close' | 'drain' | 'error', listener: () => void): unknown;
}

/** Options of {@link pipeToNodeResponse}. */
export interface PipeToNodeResponseConfig {
  /** Status code, when the headers are not sent yet. Default 200. */
  status?: number;
  /**
   * Override: the dialect the frames are in, for its headers (`ai-sdk-ui` adds
   * `x-vercel-ai-ui-message-stream: v1`, which `useChat` checks). Not needed when `frames$` is
   * `toSSE`'s output itself, which says its dialect; give it for frames made otherwise (or piped
   * through further operators). Default: `toSSE`'s dialect, else `'rxllm'`.
   */
  dialect?: DialectName;
  /** Headers set over the SSE defaults (and over headers already set on `res`). */
  headers?: Record<string, string | number | readonly string[]>;
  /**
   * Send an SSE comment (`: keep-alive`, as `toSSE` does) after this many milliseconds without a
   * write, so that proxies and load balancers do not close a connection that waits for a slow
   * first token. Unlike `toSSE`'s heartbeat, this one sees the socket: none is written while the
   * client is not reading. Default 0: no heartbeat.
   */
  heartbeatMs?: number;
  /** The scheduler that times heartbeats. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * What a client disconnect does. `'abort'` (default) unsubscribes, which aborts the upstream
   * request. `'continue'` keeps the stream running to its end with its output discarded, so that
   * side effects in the pipeline (`aggregateUsage`, a `tap` that saves the answer for a resumable
   * chat) complete.
   */
  onDisconnect?: 'abort' | 'continue';
  /** Stops the stream from the server side (shutdown): unsubscribes and ends the response. */
  signal?: AbortSignal;
}

/** How {@link pipeToNodeResponse} ended, for logs and metrics. */
export interface PipeToNodeResponseResult {
  /**
   * How the upstream Observable ended: it completed, it errored, or it was unsubscribed (client
   * disconnect with `onDisconnect: 'abort'`, or `signal` aborted). `'error'` also when `toSSE`
   * wrote the failure as the dialect's error frames and completed (its default), as long as
   * `frames$` is `toSSE`'s output itself.
   */
  upstream: 'complete' | 'error' | 'unsubscribed';
  /** The upstream error, when `upstream` is `'error'`. */
  error?: unknown;
  /** The client went away before the response was finished. */
  clientDisconnected: boolean;
  /** Frames written to the response (heartbeats not counted). */
  framesWritten: number;
  /** Heartbeat comments written. */
  heartbeats: number;
}

const heartbeatComment = ': keep-alive\n\n';

/**
 * Streams SSE frames into a Node `http.ServerResponse`, at the pace the client reads them.
 *
 * Intuition: `res.write` for every frame, except that when the socket is full the pipeline is
 * asked to stop reading its upstream until the socket drains, so a slow client never makes the
 * server buffer the whole answer.
 *
 * - Headers: unless already sent, `content-type: text/event-stream; charset=utf-8`,
 *   `cache-control: no-cache, no-transform`, `connection: keep-alive` (not on HTTP/2, which
 *   forbids it) and `x-accel-buffering: no`, plus the dialect's own (`sseHeaders`; the dialect read
 *   from `toSSE`'s output) are set where `res` has none,
 *   then `config.headers` over them, and the headers are flushed at once so that the client sees
 *   the stream open.
 * - Backpressure: when `res.write` returns false, the source is held back through rxllm's flow
 *   gate until `'drain'` (rxllm sources stop reading their HTTP body); frames already in flight
 *   wait in a queue meanwhile.
 * - Heartbeat: with `heartbeatMs`, a `: keep-alive` comment after that long without a write.
 * - Completion ends the response (frames still waiting for `'drain'` are handed to Node first).
 *   An error ends it too and writes nothing more: the frames from `toSSE` already carry the
 *   dialect's error event. Either way an upstream failure resolves `upstream: 'error'` with it.
 * - A client disconnect (`'close'` before the response finished) unsubscribes, aborting the
 *   upstream request, or with `onDisconnect: 'continue'` lets the stream run to its end.
 *
 * A browser's `EventSource` reconnects (about 3 s later, a new request: a new model call) whenever
 * the body ends, normally or after an error frame: it has no notion of a finished stream. Read the
 * stream with `fromEventSource` (which stops at the dialect's terminal message or error), or call
 * `es.close()` on the `done` / `rxllm-error` frame.
 *
 * Returns a promise that always resolves (never rejects) when everything is over: the response
 * finished or the client left, and the upstream ended or was unsubscribed. Bad arguments throw
 * synchronously.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { fromOpenAI, pipeToNodeResponse, toSSE } from 'rxllm';
 * createServer(async (req, res) => {
 *   const frames$ = fromOpenAI(openai, params).pipe(toSSE({ dialect: 'openai-chat' }));
 *   const result = await pipeToNodeResponse(frames$, res, { heartbeatMs: 15_000 });
 *   if (result.upstream === 'error') console.error(result.error);
 * }).listen(3000);
 * ```
 */
export function pipeToNodeResponse(
  frames$: Observable<string | Uint8Array>,
  res: NodeServerResponse,
  config: PipeToNodeResponseConfig = {},
): Promise<PipeToNodeResponseResult> {
  if (typeof (frames$ as { subscribe?: unknown } | null)?.subscribe !== 'function') {
    throw new TypeError(
      `rxllm: pipeToNodeResponse expects an Observable of SSE frames, got ${String(frames$)}`,
    );
  }
  if (typeof (res as { write?: unknown } | null)?.write !== 'function' || typeof res.on !== 'function') {
    throw new TypeError(`rxllm: pipeToNodeResponse expects a Node http.ServerResponse, got ${String(res)}`);
  }
  const { heartbeatMs = 0, onDisconnect = 'abort' } = config;
  if (typeof heartbeatMs !== 'number' || !(heartbeatMs >= 0) || !Number.isFinite(heartbeatMs)) {
    throw new TypeError(
      `rxllm: pipeToNodeResponse heartbeatMs must be a non-negative number of milliseconds, got ${String(heartbeatMs)}`,
    );
  }
  if (onDisconnect !== 'abort' && onDisconnect !== 'continue') {
    throw new TypeError(
      `rxllm: pipeToNodeResponse onDisconnect must be 'abort' or 'continue', got ${String(onDisconnect)}`,
    );
  }

  return new Promise((resolve) => new NodeResponsePipe(res, config, resolve).start(frames$, config));
}

/** Where the frames are: not yet subscribed, running, ended, or unsubscribed by the pipe. */
type FramesState = 'idle' | 'running' | 'complete' | 'error' | 'cancelled';

/**
 * One piping, as a class rather than a dozen closures over shared variables: a relay holds one
 * per open stream. It is itself the observer of the frames, and the flow gate (see flow/flow.ts)
 * marked on that observer, closed while the socket waits for `'drain'`: no queue, gate or
 * observer objects of their own. Frames are written as they come; only those arriving while the
 * socket is full wait, in an array made for them. Its listeners are one `close` arrow field, a
 * `drain` one made at the first full socket, and a shared error listener; the abort listener is
 * made only with a signal. What is needed only at the start (the frames Observable as given, the
 * config) is not kept.
 */
class NodeResponsePipe implements FlowGate {
  readonly #result: PipeToNodeResponseResult = {
    upstream: 'unsubscribed',
    clientDisconnected: false,
    framesWritten: 0,
    heartbeats: 0,
  };
  #responseOver = false; // finished, or the client left
  #upstreamOver = false;
  #waitingForDrain = false;
  #lastWriteAt: number;
  #heartbeat: Subscription | undefined = undefined;
  // toSSE (errors: 'frame') completes after writing an upstream error as frames: the report
  // keeps `upstream: 'error'` true to what happened.
  #framedError: { error: unknown } | undefined = undefined;
  #state: FramesState = 'idle';
  #error: unknown = undefined;
  #subscription: Subscription | undefined = undefined;
  // Frames waiting for 'drain' (from #head on), or undefined when none wait.
  #waiting: (string | Uint8Array | undefined)[] | undefined = undefined;
  #head = 0;
  // The gate: closed while the socket waits for 'drain'; the sources waiting for it to open.
  #gateClosed = false;
  #whenOpen: (() => void)[] | undefined = undefined;
  #onDrain: (() => void) | undefined = undefined;
  readonly #heartbeatMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #onDisconnect: 'abort' | 'continue';
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;
  readonly #res: NodeServerResponse;
  readonly #resolve: (result: PipeToNodeResponseResult) => void;

  constructor(
    res: NodeServerResponse,
    config: PipeToNodeResponseConfig,
    resolve: (result: PipeToNodeResponseResult) => void,
  ) {
    this.#res = res;
    this.#resolve = resolve;
    this.#heartbeatMs = config.heartbeatMs ?? 0;
    this.#scheduler = config.scheduler ?? asyncScheduler;
    this.#onDisconnect = config.onDisconnect ?? 'abort';
    this.#signal = config.signal;
    this.#lastWriteAt = this.#scheduler.now();
    this.#onAbort =
      this.#signal &&
      (() => {
        if (this.#upstreamOver) return;
        this.#cancel();
        this.#upstreamOver = true;
        this.#endResponse();
      });
  }

  // ---- the flow gate, and the mark that shows it to a source walking its downstream path

  get gate(): FlowGate {
    return this;
  }

  get paused(): boolean {
    return this.#gateClosed;
  }

  whenOpen(): Promise<void> {
    if (!this.#gateClosed) return Promise.resolve();
    return new Promise((resolve) => (this.#whenOpen ??= []).push(resolve));
  }

  #hold(held: boolean): void {
    if (held) {
      this.#gateClosed = true;
      return;
    }
    this.#gateClosed = false;
    const waiting = this.#whenOpen;
    this.#whenOpen = undefined;
    if (waiting) for (const resolve of waiting) resolve();
  }

  // ---- the observer of the frames

  next(frame: string | Uint8Array): void {
    if (this.#state !== 'running') return;
    if (this.#waiting === undefined && !this.#waitingForDrain && !this.#result.clientDisconnected) {
      this.#writeFrame(frame); // the common case: straight to the socket, no array
      return;
    }
    (this.#waiting ??= []).push(frame);
    // Tells the source delivering this frame, in case its walk cannot see this gate.
    if (this.#gateClosed) holdDelivering(this);
    this.#pump();
  }

  error(error: unknown): void {
    if (this.#state !== 'running') return;
    this.#state = 'error';
    this.#error = error;
    this.#pump();
  }

  complete(): void {
    if (this.#state !== 'running') return;
    this.#state = 'complete';
    this.#pump();
  }

  start(frames$: Observable<string | Uint8Array>, config: PipeToNodeResponseConfig): void {
    const res = this.#res;
    const signal = this.#signal;
    const onAbort = this.#onAbort;
    const heartbeatMs = this.#heartbeatMs;
    const scheduler = this.#scheduler;
    res.on('close', this.#onCloseOrReport);
    res.on('error', ignoreResponseError);

    if (res.destroyed || res.writableEnded) {
      this.#clientGone();
      if (this.#upstreamOver) return;
    } else if (!res.headersSent) {
      writeHeaders(res, config.status ?? 200, responseHeaders(frames$, config.dialect), config.headers);
    }

    if (signal && onAbort) {
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }

    if (heartbeatMs > 0 && !this.#responseOver) {
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const pipe = this;
      this.#heartbeat = scheduler.schedule(function (this: SchedulerAction<void>) {
        const idle = scheduler.now() - pipe.#lastWriteAt;
        if (idle < heartbeatMs) {
          this.schedule(undefined, heartbeatMs - idle);
          return;
        }
        // A socket that is not draining is busy, not idle: no heartbeat then.
        if (!pipe.#waitingForDrain && !pipe.#responseOver) {
          pipe.#write(heartbeatComment);
          pipe.#result.heartbeats += 1;
        }
        this.schedule(undefined, heartbeatMs);
      }, heartbeatMs);
    }

    if (this.#state !== 'idle') return; // cancelled already: a disconnect, or the signal
    this.#state = 'running';
    const reported = reportingUpstreamErrors(frames$, this.#onCloseOrReport);
    // The gate, found by a source walking its downstream path (see flow/flow.ts).
    const subscription = reported.subscribe(markFlow(this, this));
    // Frames that ended synchronously (or a cancel from within) left nothing to keep.
    const state = this.#state as FramesState;
    if (state === 'cancelled') subscription.unsubscribe();
    else if (state === 'running') this.#subscription = subscription;
  }

  /** Unsubscribes from the frames and drops what waited. Idempotent. */
  #cancel(): void {
    const state = this.#state;
    if (state === 'cancelled') return;
    this.#state = 'cancelled';
    this.#waiting = undefined;
    this.#head = 0;
    if (state === 'running') this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    // A source waiting on the gate must not wait forever: it was unsubscribed and will notice.
    if (this.#gateClosed) this.#hold(false);
  }

  #settle(): void {
    if (!this.#responseOver || !this.#upstreamOver) return;
    this.#heartbeat?.unsubscribe();
    this.#res.off('close', this.#onCloseOrReport);
    if (this.#onDrain) this.#res.off('drain', this.#onDrain);
    this.#res.off('error', ignoreResponseError);
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#resolve(this.#result);
  }

  #write(chunk: string | Uint8Array): void {
    // Only the heartbeat reads the time: without one, a frame costs no clock read.
    if (this.#heartbeatMs > 0) this.#lastWriteAt = this.#scheduler.now();
    if (!this.#res.write(chunk) && !this.#waitingForDrain) {
      this.#waitingForDrain = true;
      this.#hold(true);
      // Listened to from the first full socket on: a client that keeps up never needs it.
      if (this.#onDrain === undefined) {
        this.#onDrain = () => this.#drained();
        this.#res.on('drain', this.#onDrain);
      }
    }
  }

  /** Writes one frame; false when it could not be (the pipe failed and is over). */
  #writeFrame(frame: unknown): boolean {
    if (typeof frame !== 'string' && !(frame instanceof Uint8Array)) {
      // Thrown from here it would escape RxJS as an unhandled error and crash the process.
      this.#fail(
        new TypeError(
          `rxllm: pipeToNodeResponse takes SSE frames (strings), got ${Object.prototype.toString.call(frame)}; pipe events through toSSE() first`,
        ),
      );
      return false;
    }
    try {
      this.#write(frame);
    } catch (error) {
      this.#fail(error);
      return false;
    }
    this.#result.framesWritten += 1;
    return true;
  }

  #pump(): void {
    const result = this.#result;
    const state = this.#state;
    if (result.clientDisconnected) {
      // 'continue' after a disconnect: keep the stream flowing, with nowhere to write.
      this.#waiting = undefined;
      this.#head = 0;
    } else {
      // Once the upstream ended nothing more is produced: the rest goes to Node's buffer at once,
      // and the response ends without waiting for 'drain' (which also stops the heartbeat).
      const ended = state === 'complete' || state === 'error';
      const waiting = this.#waiting;
      if (waiting !== undefined) {
        while (this.#head < waiting.length && (!this.#waitingForDrain || ended)) {
          const frame = waiting[this.#head];
          waiting[this.#head++] = undefined; // let the frame be collected before the array goes
          if (!this.#writeFrame(frame)) return;
        }
        if (this.#head === waiting.length) {
          this.#waiting = undefined;
          this.#head = 0;
        } else if (this.#head >= 1024 && this.#head * 2 >= waiting.length) {
          this.#waiting = waiting.slice(this.#head);
          this.#head = 0;
        }
      }
      if (!ended && (this.#waiting !== undefined || this.#waitingForDrain)) return;
    }
    if (this.#upstreamOver || state === 'running' || state === 'idle' || state === 'cancelled') return;
    if (state === 'error') {
      result.upstream = 'error';
      result.error = this.#error;
    } else if (this.#framedError !== undefined) {
      result.upstream = 'error';
      result.error = this.#framedError.error;
    } else {
      result.upstream = 'complete';
    }
    this.#upstreamOver = true;
    this.#endResponse();
  }

  // The frames cannot be written: stop the upstream and end the response with what was sent.
  #fail(error: unknown): void {
    this.#cancel();
    this.#result.upstream = 'error';
    this.#result.error = error;
    this.#upstreamOver = true;
    this.#endResponse();
  }

  #endResponse(): void {
    this.#heartbeat?.unsubscribe();
    if (this.#responseOver || this.#res.writableEnded) {
      this.#responseOver = true;
      this.#settle();
      return;
    }
    this.#res.end(() => {
      this.#responseOver = true;
      this.#settle();
    });
  }

  #drained(): void {
    if (!this.#waitingForDrain) return;
    this.#waitingForDrain = false;
    this.#hold(false);
    this.#pump();
  }

  // The client is gone (or the response was ended by someone else): nothing more can be written.
  #clientGone(): void {
    this.#result.clientDisconnected = true;
    this.#responseOver = true;
    this.#waitingForDrain = false;
    this.#heartbeat?.unsubscribe();
    if (this.#onDisconnect === 'abort') {
      if (!this.#upstreamOver) this.#cancel();
      this.#upstreamOver = true;
    } else {
      this.#hold(false);
      this.#pump();
    }
    this.#settle();
  }

  // The response's 'close' listener and toSSE's report: bound, one function (48 B) where an arrow
  // field keeps a closure and a context for `this` (96 B) per open stream.
  readonly #onCloseOrReport = this.#closeOrReport.bind(this);

  #closeOrReport(...reported: unknown[]): void {
    // Also toSSE's report of an upstream failure it wrote as frames (the error its one argument):
    // one function, so that a stream keeps one for both. 'close' comes with none.
    if (reported.length > 0) this.#framedError ??= { error: reported[0] };
    else if (!this.#res.writableFinished && !this.#responseOver) this.#clientGone();
  }
}

function writeHeaders(
  res: NodeServerResponse,
  status: number,
  sse: Record<string, string>,
  headers: PipeToNodeResponseConfig['headers'],
): void {
  if (res.writeHead !== undefined && res.getHeaderNames?.().length === 0 && !('stream' in res)) {
    // node:http with no header set yet: all at once, which writes them straight into the header
    // block instead of keeping a header map on the response (~0.5 KB per open stream on a relay).
    // Not HTTP/2 (which has `stream`), whose writeHead rejects `connection`.
    res.writeHead(status, (headers === undefined ? sse : { ...sse, ...headers }) as Record<string, string>);
    res.flushHeaders?.();
    return;
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(sse)) {
    if (res.getHeader(name) !== undefined) continue;
    try {
      res.setHeader(name, value);
    } catch {
      // HTTP/2 responses reject connection-specific headers: the protocol keeps connections alive itself.
    }
  }
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  res.flushHeaders?.();
}

/** A broken socket: 'close' follows and decides; this listener keeps the error from crashing the process. */
function ignoreResponseError(): void {}
