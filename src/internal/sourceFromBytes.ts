import { Observable } from 'rxjs';
import type { RxllmEvent } from '../events';
import { isNetworkFailure, RxllmError, withCauseMessage } from '../errors';
import { MessageAccumulator } from '../message';
import type { ByteStream, StreamInput } from '../sources/fromSSE';
import { getDialect } from '../wire/dialects';
import type { DecoderOptions, Dialect, DialectName, Framing } from '../wire/types';
import { createStreamDecoder } from './createStreamDecoder';
import { captureGates, waitForGates } from './flowGate';
import { errorFromHttpResponse } from './httpError';

export interface SourceFromBytesOptions {
  dialect: Dialect;
  decoderOptions?: DecoderOptions;
  /**
   * Turns a failure of the request itself (an SDK's `APIError`) into an RxllmError; `undefined`
   * leaves it to `RxllmError.from`.
   */
  mapError?: (error: unknown) => RxllmError | undefined;
  /** Names the source in errors about its input (`fromSSE`, `fromOpenAI`, ...). */
  name: string;
  /**
   * What the source knows of its request (the model asked for): emitted as a `step-start` at
   * subscribe, before the request is made, so that a stream cancelled before its response can
   * still be priced. Absent for a generic source (`fromSSE`), whose input may carry its own steps.
   */
  step?: { model?: string; provider?: string };
}

/** How much of a non-2xx body is read for the error message; error bodies are small. */
const maxErrorBodyBytes = 64 * 1024;

/**
 * The one engine behind every HTTP source: makes the request lazily on subscribe, reads with a
 * reader loop that waits on the flow gates between chunks, decodes through the dialect, stamps
 * `seq`, folds a {@link MessageAccumulator} so that any failure carries `partial`, and on
 * unsubscribe aborts the request and cancels the reader at once, silently.
 */
export function sourceFromBytes(input: StreamInput, options: SourceFromBytesOptions): Observable<RxllmEvent> {
  const { dialect, decoderOptions, mapError, name, step } = options;
  return new Observable<RxllmEvent>((subscriber) => {
    // Captured synchronously: the gates are ambient only during this subscribe call.
    const gates = captureGates();
    // Only a request made by the input function gets a signal; made lazily, since a
    // `Response` or stream passed in directly has no request of ours to abort.
    let controller: AbortController | undefined;
    // The input was read to its end: nothing is left to abort or cancel on teardown. (Aborting
    // anyway costs a DOMException with a stack trace per stream.)
    let drained = false;
    const accumulator = new MessageAccumulator();
    let seq = 0;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let iterator: AsyncIterator<Uint8Array | string> | undefined;

    // The hot path: one property write, one fold, one `next` per event.
    const decoder = createStreamDecoder(
      dialect,
      (event) => {
        event.seq = seq++;
        accumulator.apply(event);
        subscriber.next(event);
      },
      decoderOptions,
    );

    const fail = (thrown: unknown, fallbackCode?: 'network') => {
      if (subscriber.closed) return; // unsubscribed: whatever the abort caused is not an error
      let error = mapError?.(thrown) ?? networkFailure(thrown, dialect.name);
      if (!error) {
        error = RxllmError.from(thrown, {
          dialect: dialect.name,
          ...(fallbackCode !== undefined && { code: fallbackCode }),
        });
      }
      error.partial ??= accumulator.snapshot();
      subscriber.error(error);
    };

    /** Reads chunks until the input ends, waiting on the flow gates before each read. */
    const readAll = async (next: () => Promise<IteratorResult<Uint8Array | string>>): Promise<void> => {
      for (;;) {
        const wait = waitForGates(gates);
        if (wait) await wait;
        if (subscriber.closed) return;
        let chunk: IteratorResult<Uint8Array | string>;
        try {
          chunk = await next();
        } catch (error) {
          fail(error, 'network');
          return;
        }
        if (subscriber.closed) return;
        if (chunk.done) break;
        decoder.push(chunk.value);
      }
      drained = true;
      decoder.end();
      subscriber.complete();
    };

    const readBody = (body: ReadableStream<Uint8Array>): Promise<void> => {
      if (body.locked) throw usedInput(name);
      const bodyReader = body.getReader();
      reader = bodyReader;
      return readAll(() => bodyReader.read() as Promise<IteratorResult<Uint8Array>>);
    };

    const readIterable = (iterable: AsyncIterable<Uint8Array | string>): Promise<void> => {
      const iterableIterator = iterable[Symbol.asyncIterator]();
      iterator = iterableIterator;
      return readAll(() => iterableIterator.next());
    };

    const readErrorBody = async (body: ReadableStream<Uint8Array> | null): Promise<string> => {
      if (!body || body.locked) return '';
      reader = body.getReader();
      const text = new TextDecoder();
      let out = '';
      try {
        while (out.length < maxErrorBodyBytes) {
          const chunk = await reader.read();
          if (chunk.done) return out + text.decode();
          out += text.decode(chunk.value, { stream: true });
        }
        void reader.cancel().catch(ignore);
      } catch {
        // A body cut short still leaves the status to report.
      }
      return out;
    };

    const run = async (): Promise<void> => {
      let source: ByteStream;
      try {
        if (typeof input === 'function') {
          controller = new AbortController();
          source = await input(controller.signal);
        } else source = input;
      } catch (error) {
        fail(error);
        return;
      }
      if (subscriber.closed) {
        release(source);
        return;
      }
      if (isResponse(source)) {
        if (!source.ok) {
          const body = await readErrorBody(source.body);
          if (subscriber.closed) return;
          const error = errorFromHttpResponse(source.status, body, source.headers, dialect.name);
          error.partial = accumulator.snapshot();
          subscriber.error(error);
          return;
        }
        if (source.bodyUsed) throw usedInput(name);
        const contentType = source.headers.get('content-type') ?? '';
        if (dialect.framing === 'sse' && /json/i.test(contentType)) {
          // A whole JSON document where events were expected (the request lacked `stream: true`,
          // or a gateway answered with an error): say so, instead of "stream ended early".
          const body = await readErrorBody(source.body);
          if (subscriber.closed) return;
          throw new RxllmError(
            `${dialect.name}: ${name} expected an event stream but got ${contentType}: ${body.slice(0, 300)}`,
            { code: 'malformed', retryable: false, dialect: dialect.name, line: body.slice(0, 300) },
          );
        }
        if (!source.body) {
          decoder.end(); // an empty body is a stream that ended at once; the decoder judges it
          subscriber.complete();
          return;
        }
        await readBody(source.body);
      } else if (isReadableStream(source)) {
        await readBody(source);
      } else if (isAsyncIterable(source)) {
        await readIterable(source);
      } else {
        throw new TypeError(`rxllm: ${name}: the input function returned ${describe(source)}, not a stream`);
      }
    };

    if (step !== undefined) {
      const stepStart: RxllmEvent = { type: 'step-start', step: 0, seq: seq++ };
      if (step.model !== undefined) stepStart.model = step.model;
      if (step.provider !== undefined) stepStart.provider = step.provider;
      accumulator.apply(stepStart);
      subscriber.next(stepStart);
    }
    if (subscriber.closed) return;
    run().catch((error: unknown) => fail(error));

    return () => {
      if (drained) return;
      controller?.abort();
      // Cancelling the reader closes the connection even when no signal reaches the request
      // (a Response passed in directly), and settles a pending read at once.
      if (reader) reader.cancel().catch(ignore);
      if (iterator?.return) Promise.resolve(iterator.return()).catch(ignore);
    };
  });
}

/**
 * `fromSSE` and `fromNDJSON`: checks the input and the dialect (which must be decodable and framed
 * as `framing`) when the source is built, so a wrong one throws at once, then reads with the engine.
 */
export function framedSource(
  name: 'fromSSE' | 'fromNDJSON',
  framing: Framing,
  input: StreamInput,
  config: { dialect: DialectName; provider?: string },
): Observable<RxllmEvent> {
  assertStreamInput(input, name);
  if (typeof config?.dialect !== 'string') {
    throw new TypeError(
      `rxllm: ${name}: config.dialect is required (which wire format to decode), got ${String(config?.dialect)}`,
    );
  }
  const dialect = getDialect(config.dialect, 'decode');
  if (dialect.framing !== framing) {
    const other = framing === 'sse' ? 'fromNDJSON' : 'fromSSE';
    throw new TypeError(
      `rxllm: ${name}: dialect '${dialect.name}' is framed as ${dialect.framing}, not ${framing === 'sse' ? 'SSE' : 'NDJSON'}; use ${other}`,
    );
  }
  return sourceFromBytes(input, {
    dialect,
    name,
    ...(config.provider !== undefined && { decoderOptions: { provider: config.provider } }),
  });
}

/** Checks a source's input when the source is built, so a wrong one throws at once. */
export function assertStreamInput(input: unknown, name: string): asserts input is StreamInput {
  if (typeof input === 'function' || isResponse(input) || isReadableStream(input) || isAsyncIterable(input)) {
    return;
  }
  throw new TypeError(
    `rxllm: ${name} expects a Response, a ReadableStream, an async iterable or a function (signal) => Response, got ${describe(input)}`,
  );
}

function release(source: ByteStream): void {
  const body = isResponse(source) ? source.body : isReadableStream(source) ? source : null;
  if (body && !body.locked) body.cancel().catch(ignore);
  else if (!body && isAsyncIterable(source)) {
    const iterator = source[Symbol.asyncIterator]();
    if (iterator.return) Promise.resolve(iterator.return()).catch(ignore);
  }
}

/** A failed fetch or socket as a `network` error, its cause's words in the message. */
function networkFailure(error: unknown, dialect: string): RxllmError | undefined {
  if (RxllmError.isInstance(error) || !isNetworkFailure(error)) return undefined;
  return new RxllmError(withCauseMessage(error.message, error.cause), {
    code: 'network',
    cause: error,
    dialect,
  });
}

function usedInput(name: string): RxllmError {
  return new RxllmError(
    `rxllm: ${name}: the stream was already read; pass a function (signal) => fetch(...) to subscribe more than once`,
    { code: 'provider', retryable: false },
  );
}

// Duck-typed rather than `instanceof`: Responses and streams come from undici, polyfills and
// SDK shims whose classes differ from the global ones.
function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).status === 'number' &&
    'body' in value &&
    'headers' in value &&
    typeof (value as Response).ok === 'boolean'
  );
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return (
    typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function'
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

function ignore(): void {}
