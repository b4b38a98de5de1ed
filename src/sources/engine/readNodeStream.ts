import type { SourceFlow } from '../../flow/sourceFlow';
import { errorFromHttpResponse, maxErrorBodyBytes } from '../../base/httpError';
import type { NodeClientRequest } from './StreamInput';
import { isClientRequest } from './isClientRequest';

/** What rxllm uses of a Node `Readable` (an `http.IncomingMessage`), typed without Node's types. */
export interface NodeReadable {
  read(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  destroy(): unknown;
  readonly readableEnded?: boolean;
  readonly destroyed?: boolean;
  readonly errored?: unknown;
  readonly readableObjectMode?: boolean;
}

/** The response of an owned request: a Readable with the status and headers. */
interface NodeResponse extends NodeReadable {
  readonly statusCode?: number;
  readonly headers?: Record<string, string | string[] | undefined>;
  setEncoding(encoding: string): unknown;
}

/** Where a source's failure happened: making the request, reading the body, decoding it. */
export type FailurePhase = 'request' | 'read' | 'decode';

/**
 * What the reader of one subscription reads for: the source engine's subscription itself, one
 * object the reader keeps rather than its subscriber, flow and three callbacks.
 */
export interface NodeReadTarget {
  /** The subscription ended: nothing more is read or reported. */
  readonly closed: boolean;
  /** Asked before each read whether a consumer downstream is holding back. */
  readonly flow: SourceFlow;
  /** Decodes one chunk; true once the dialect's terminal message has arrived. */
  push(chunk: Uint8Array | string): boolean;
  /** The input ended. */
  finish(): void;
  /** Ends the subscription with `error`, classified by `phase`. */
  fail(error: unknown, phase: FailurePhase): void;
}

/**
 * Reads `source` when it is a Node `Readable` (an `http.IncomingMessage`; not in object mode,
 * which the async-iterable path reads) or a Node `http.ClientRequest`, and returns what stops the
 * reading, or returns `undefined` for any other input.
 *
 * It is read with `read()` and its `readable`/`end`/`close`/`error` events, in the order the
 * engine's loop keeps (gates, read, push, terminal message), driven by the events rather than
 * awaited: a stream waiting for its next chunk holds one small reader and one listener, not
 * the async iterator's generator and `finished()` closures nor a chain of suspended async calls
 * and their promises (~2.5 KB less per open stream on a relay).
 *
 * A `ClientRequest` (`fromSSE(() => http.get(url))`) is owned: its response is read as above
 * once it arrives, a non-2xx one fails as a fetch `Response` would (`errorFromHttpResponse`,
 * the body's first 64 KB), and teardown destroys the request, which ends it whether or not the
 * response has arrived. No `AbortSignal` reaches Node's `http` then: `http.get({ signal })`
 * keeps, for the whole stream, the signal's listener and a `finished()` on the request with its
 * seven closures (~1.6 KB per open stream on a relay).
 *
 * Node-only code: package.json's `imports` (`#nodeReader`, resolved in dist/) give a browser
 * bundle readNodeStreamStub instead, which reads nothing, so an app does not pay for it; there an
 * `IncomingMessage` cannot occur, and any async iterable is still read by the engine.
 */
export function readNodeStream(source: unknown, target: NodeReadTarget): { unsubscribe(): void } | undefined {
  const request = isClientRequest(source) ? source : undefined;
  if (request === undefined && !isNodeReadable(source)) return undefined;
  const reader = new NodeStreamReader(request, target);
  if (request !== undefined) {
    request.on('response', reader.listener);
    request.on('error', reader.listener);
  } else reader.read(source as NodeReadable);
  return reader;
}

/**
 * A class with `#private` members (a minifier shortens their names; it keeps public ones) rather
 * than closures over a shared scope: one object and one listener per open stream, the same
 * function for every event of the stream (and of an owned request), told apart by its argument.
 * Its `unsubscribe` destroys the request or the stream: the engine calls it on teardown, or once
 * the terminal message arrived (the rest of the stream is not read).
 */
class NodeStreamReader {
  #failure: { error: unknown } | undefined = undefined;
  #busy = false; // in the loop of #pump, which reads until read() says nothing is left
  #gated = false; // waiting for a gate to open, which pumps again
  #stream: NodeReadable | undefined = undefined;
  readonly #request: NodeClientRequest | undefined;
  readonly #target: NodeReadTarget;

  constructor(request: NodeClientRequest | undefined, target: NodeReadTarget) {
    this.#request = request;
    this.#target = target;
  }

  /**
   * Every event's listener: the stream's `readable`, `end` and `close` (no argument), its
   * `error`; an owned request's `response` (its response) and `error`. The request keeps it for
   * good: a request destroyed on teardown still emits an error ("socket hang up"), ignored then.
   */
  // Bound rather than an arrow field: one bound function (48 B) where an arrow keeps a closure and
  // a context for `this` (96 B), per open stream on a relay; it runs once per chunk, not per event.
  readonly listener: (arg?: unknown) => void = this.#listen.bind(this);

  #listen(arg?: unknown): void {
    if (arg !== undefined) {
      const request = this.#request as { res?: unknown } | undefined;
      if (request !== undefined && this.#stream === undefined && arg === request.res) {
        this.#respond(arg as NodeResponse);
        return;
      }
      this.#failure ??= { error: arg };
    }
    this.#pump();
  }

  unsubscribe(): void {
    (this.#request ?? this.#stream)?.destroy();
  }

  read(stream: NodeReadable): void {
    this.#stream = stream;
    stream.on('readable', this.listener);
    stream.on('end', this.listener);
    stream.on('close', this.listener);
    stream.on('error', this.listener);
    this.#pump();
  }

  #respond(response: NodeResponse): void {
    if (this.#target.closed) {
      // Destroyed unread, it emits an error ("aborted"): heard by the listener, which ignores it.
      response.on('error', this.listener);
      this.unsubscribe();
      return;
    }
    const status = response.statusCode ?? 200;
    if (status >= 200 && status < 300) {
      this.read(response);
      return;
    }
    // Rare, so closures are fine here: the first 64 KB of the body, then the error it explains.
    let body = '';
    let reported = false;
    const report = () => {
      if (reported || this.#target.closed) return;
      reported = true;
      const headers = response.headers ?? {};
      const get = (name: string): string | null => {
        const value = headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      };
      this.#target.fail(errorFromHttpResponse(status, body, { get }), 'request');
      response.destroy();
    };
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      body += text;
      if (body.length >= maxErrorBodyBytes) report();
    });
    response.on('end', report);
    response.on('close', report);
    response.on('error', report);
  }

  #pump(): void {
    if (this.#busy || this.#gated || this.#target.closed) return;
    const stream = this.#stream;
    if (stream === undefined) {
      // An owned request that failed before its response: it was never made, as a fetch that rejects.
      if (this.#failure !== undefined) this.#target.fail(this.#failure.error, 'request');
      return;
    }
    this.#busy = true;
    try {
      for (;;) {
        const wait = this.#target.flow.whenOpen();
        if (wait) {
          this.#gated = true;
          wait.then(
            () => {
              this.#gated = false;
              this.#pump();
            },
            (error: unknown) => this.#target.fail(error, 'decode'),
          );
          return;
        }
        if (this.#target.closed) return;
        const value = stream.read() as Uint8Array | string | null;
        if (value === null) {
          if (this.#failure === undefined && stream.errored != null)
            this.#failure = { error: stream.errored };
          if (this.#failure !== undefined) this.#target.fail(this.#failure.error, 'read');
          else if (stream.readableEnded === true) this.#target.finish();
          // Closed before its end without an error of its own: cut short, as `finished()` says.
          else if (stream.destroyed === true) this.#target.fail(prematureClose(), 'read');
          return; // else the next 'readable', 'end', 'close' or 'error' pumps again
        }
        if (this.#target.push(value)) {
          // The terminal message arrived: what follows is ignored, so it is not read either.
          this.unsubscribe();
          this.#target.finish();
          return;
        }
      }
    } catch (error) {
      this.#target.fail(error, 'decode');
    } finally {
      this.#busy = false;
    }
  }
}

function isNodeReadable(value: unknown): value is NodeReadable {
  const stream = value as Partial<Record<'read' | 'on' | 'destroy' | 'readableObjectMode', unknown>> | null;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof stream!.read === 'function' &&
    typeof stream!.on === 'function' &&
    typeof stream!.destroy === 'function' &&
    stream!.readableObjectMode === false
  );
}

/** What Node's `finished()` reports for a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
