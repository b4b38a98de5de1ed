import type { SourceFlow } from '../../flow/sourceFlow';

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

/** What the source engine gives the reader of one subscription. */
export interface NodeReadTarget {
  readonly closed: boolean;
}

/**
 * Reads `source` when it is a Node `Readable` (an `http.IncomingMessage`; not in object mode,
 * which the async-iterable path reads) and returns what stops the reading, or returns `undefined`
 * for any other input.
 *
 * It is read with `read()` and its `readable`/`end`/`close`/`error` events, in the order the
 * engine's loop keeps (gates, read, push, terminal message), driven by the events rather than
 * awaited: a stream waiting for its next chunk holds one small reader and its two listeners, not
 * the async iterator's generator and `finished()` closures nor a chain of suspended async calls
 * and their promises (~2.5 KB less per open stream on a relay).
 *
 * Node-only code: package.json's `imports` (`#nodeReader`, resolved in dist/) give a browser
 * bundle readNodeStreamStub instead, which reads nothing, so an app does not pay for it; there an
 * `IncomingMessage` cannot occur, and any async iterable is still read by the engine.
 */
export function readNodeStream(
  source: unknown,
  subscriber: NodeReadTarget,
  flow: SourceFlow,
  push: (chunk: Uint8Array | string) => boolean,
  finish: () => void,
  fail: (error: unknown, phase: 'read' | 'decode') => void,
): { unsubscribe(): void } | undefined {
  if (!isNodeReadable(source)) return undefined;
  const reader = new NodeStreamReader(source, subscriber, flow, push, finish, fail);
  reader.start();
  return reader;
}

/**
 * A class with `#private` members (a minifier shortens their names; it keeps public ones) rather
 * than closures over a shared scope: one object and two listeners per open stream. Its
 * `unsubscribe` destroys the stream: the engine calls it on teardown, or once the terminal message
 * arrived (the rest of the stream is not read).
 */
class NodeStreamReader {
  #failure: { error: unknown } | undefined = undefined;
  #busy = false; // in the loop of #pump, which reads until read() says nothing is left
  #gated = false; // waiting for a gate to open, which pumps again
  readonly #stream: NodeReadable;
  readonly #subscriber: NodeReadTarget;
  readonly #flow: SourceFlow;
  readonly #push: (chunk: Uint8Array | string) => boolean;
  readonly #finish: () => void;
  readonly #fail: (error: unknown, phase: 'read' | 'decode') => void;

  constructor(
    stream: NodeReadable,
    subscriber: NodeReadTarget,
    flow: SourceFlow,
    push: (chunk: Uint8Array | string) => boolean,
    finish: () => void,
    fail: (error: unknown, phase: 'read' | 'decode') => void,
  ) {
    this.#stream = stream;
    this.#subscriber = subscriber;
    this.#flow = flow;
    this.#push = push;
    this.#finish = finish;
    this.#fail = fail;
  }

  unsubscribe(): void {
    this.#stream.destroy();
  }

  start(): void {
    const stream = this.#stream;
    stream.on('readable', this.#pump);
    stream.on('end', this.#pump);
    stream.on('close', this.#pump);
    stream.on('error', this.#onError);
    this.#pump();
  }

  readonly #onError = (error: unknown): void => {
    this.#failure ??= { error };
    this.#pump();
  };

  readonly #reopen = (): void => {
    this.#gated = false;
    this.#pump();
  };

  readonly #pump = (): void => {
    if (this.#busy || this.#gated || this.#subscriber.closed) return;
    this.#busy = true;
    const stream = this.#stream;
    try {
      for (;;) {
        const wait = this.#flow.whenOpen();
        if (wait) {
          this.#gated = true;
          wait.then(this.#reopen, (error: unknown) => this.#fail(error, 'decode'));
          return;
        }
        if (this.#subscriber.closed) return;
        const value = stream.read() as Uint8Array | string | null;
        if (value === null) {
          if (this.#failure === undefined && stream.errored != null)
            this.#failure = { error: stream.errored };
          if (this.#failure !== undefined) this.#fail(this.#failure.error, 'read');
          else if (stream.readableEnded === true) this.#finish();
          // Closed before its end without an error of its own: cut short, as `finished()` says.
          else if (stream.destroyed === true) this.#fail(prematureClose(), 'read');
          return; // else the next 'readable', 'end', 'close' or 'error' pumps again
        }
        if (this.#push(value)) {
          // The terminal message arrived: what follows is ignored, so it is not read either.
          stream.destroy();
          this.#finish();
          return;
        }
      }
    } catch (error) {
      this.#fail(error, 'decode');
    } finally {
      this.#busy = false;
    }
  };
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
