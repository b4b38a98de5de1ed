import { Observable, type Subscribable, type Subscriber, type Unsubscribable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import { isNetworkFailure, isStackOverflow, RxllmError } from '../../base/errors';
import { resolveLimits, type StreamLimits } from '../../base/limits';
import { MessageAccumulator } from '../../base/message';
import type { ByteStream, StreamInput } from './StreamInput';
import type { DialectInput } from '../../wire/registry';
import type { DecoderOptions, Dialect, EmitEvent, Framing, PartialMode } from '../../wire/types';
import type { StreamDecoder, StreamDecoderFactory } from '../../wire/StreamDecoder';
import { failedPartial } from '../../base/failedPartial';
import { sourceFlow, type SourceFlow } from '../../flow/sourceFlow';
import { errorFromHttpResponse, maxErrorBodyBytes } from '../../base/httpError';
// Node's `http.IncomingMessage` read without its async iterator; nothing in a browser bundle.
import { readNodeStream, type FailurePhase, type NodeReadTarget } from './readNodeStream';
import { keepShapes } from '../../wire/keepShapes';

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
   * How the bytes are framed: createSSEDecoder, createNDJSONDecoder, Bedrock's binary event
   * stream. Given by each source, so that a bundle holds only the framing it reads.
   */
  createStreamDecoder: StreamDecoderFactory;
  /**
   * The module-level framing factory that `createStreamDecoder` wraps, when that is a closure made
   * per subscription (reconnectSSE's, with its hooks): what the specimens kept against a GC are
   * built with (see keepShapes), so that they hold nothing of a subscription.
   */
  keepAs?: StreamDecoderFactory;
  /**
   * The event emitted at subscribe, before the request is made, a new one per subscription: the
   * SDK sources' and fromOllama's `step-start` (see requestStepStart). Absent for a generic source
   * (`fromSSE`), whose input may carry its own steps.
   */
  first?: () => RxllmEvent;
}

/** What `partial: 'text'` does not keep: reasoning and tool calls. */
const notText: ReadonlySet<RxllmEvent['type']> = new Set<RxllmEvent['type']>([
  'reasoning',
  'tool-call-start',
  'tool-call-delta',
  'tool-call',
]);

/** Why a request is aborted on unsubscribe: made once, so no abort captures a stack. */
const unsubscribed: Error = Object.freeze(
  Object.assign(new Error('rxllm: unsubscribed'), {
    name: 'AbortError',
    stack: 'AbortError: rxllm: unsubscribed',
  }),
);

/** What the input function is told on its (only) call: nothing to resume. */
const firstCall = Object.freeze({ lastEventId: undefined });

/**
 * The one engine behind every HTTP source: makes the request lazily on subscribe, reads with a
 * reader loop that waits while a gate on its downstream path is closed (see flow/flow.ts), decodes through the dialect, stamps
 * `seq`, folds a {@link MessageAccumulator} so that any failure carries `partial`, and on
 * unsubscribe aborts the request and cancels the reader at once, silently.
 */
export function sourceFromBytes(input: StreamInput, options: SourceFromBytesOptions): Observable<RxllmEvent> {
  return new Observable<RxllmEvent>((subscriber) => {
    // In Node, one specimen of each part of a stream, kept so that its hidden classes outlive a GC.
    keepShapes(options.keepAs ?? options.createStreamDecoder, options.dialect, BytesReading);
    const reading = new BytesReading(subscriber, options);
    // Stamped, kept and delivered as the decoded events are.
    if (options.first !== undefined) reading.emit(options.first());
    if (subscriber.closed) return;
    reading.run(input).catch((error: unknown) => reading.fail(error, 'decode'));
    // The subscription itself is the teardown (its `unsubscribe`): no closure per stream.
    return reading;
  });
}

/**
 * One subscription of the engine: an object with prototype methods rather than closures over a
 * scope, since a relay holds one per open stream (one object, where a context and seven closures
 * were). The Node reader (readNodeStream) is given it whole, as its target.
 */
class BytesReading implements NodeReadTarget, Unsubscribable {
  readonly #subscriber: Subscriber<RxllmEvent>;
  readonly #options: SourceFromBytesOptions;
  // Bound to this subscriber: asked before each read whether a consumer downstream is holding back.
  readonly flow!: SourceFlow;
  readonly #decoder!: StreamDecoder;
  // Kept only for a failure's `partial`, as much as the source was asked to keep: it holds the
  // events and folds them only when a failure asks (or enough are held), so that a stream that
  // succeeds costs a push per event (see MessageAccumulator). None with `partial: 'none'`.
  readonly #accumulator: MessageAccumulator | undefined;
  // `partial: 'text'`: reasoning and tool calls are not kept.
  readonly #textOnly: boolean = false;
  #seq = 0;
  // Only a request made by the input function gets a signal; made lazily, since a
  // `Response` or stream passed in directly has no request of ours to abort.
  #controller: AbortController | undefined;
  // The input was read to its end: nothing is left to abort or cancel on teardown. (Aborting
  // anyway costs a DOMException with a stack trace per stream.)
  #drained = false;
  // What stopReading closes: the body's reader, the iterable's iterator, the input's subscription.
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #iterator: AsyncIterator<Uint8Array | string> | undefined;
  #inputSubscription: Unsubscribable | undefined;

  constructor(subscriber?: Subscriber<RxllmEvent>, options?: SourceFromBytesOptions) {
    this.#subscriber = subscriber!;
    this.#options = options!;
    // The blank one (keepShapes' specimen) has its fields defined, all it is for.
    if (subscriber === undefined || options === undefined) return;
    this.flow = sourceFlow(subscriber);
    const { decoderOptions } = options;
    const partial = decoderOptions?.partial ?? 'full';
    if (partial !== 'none') this.#accumulator = new MessageAccumulator();
    this.#textOnly = partial === 'text';
    this.#decoder = options.createStreamDecoder(options.dialect, this.emit, decoderOptions);
  }

  get closed(): boolean {
    return this.#subscriber.closed;
  }

  /**
   * The hot path, the decoder's `emit` (the one closure of a subscription): one property write
   * (which changes no hidden class for events a decoder created with `seq` in place, see
   * textEvent), one push into the accumulator (none with `partial: 'none'`), one `next` per event.
   */
  readonly emit: EmitEvent = (event) => {
    event.seq = this.#seq++;
    if (!(this.#textOnly && notText.has(event.type))) this.#accumulator?.apply(event);
    this.#subscriber.next(event);
  };

  /**
   * Ends the subscription with what went wrong, classified by where it happened (see
   * {@link classifyFailure}): making the request, reading the body, or decoding it.
   */
  fail(thrown: unknown, phase: FailurePhase): void {
    const subscriber = this.#subscriber;
    if (subscriber.closed) return; // unsubscribed: whatever the abort caused is not an error
    const { mapError, dialect } = this.#options;
    const error = mapError?.(thrown) ?? classifyFailure(thrown, phase, dialect.name);
    const accumulator = this.#accumulator;
    if (accumulator !== undefined && RxllmError.isInstance(error) && error.partial === undefined) {
      error.partial = failedPartial(accumulator);
    }
    subscriber.error(error);
  }

  /** Decodes one chunk; true once the dialect's terminal message has arrived. */
  push(chunk: Uint8Array | string): boolean {
    // On the delivery stack while this chunk's events go out: a consumer holding one back
    // registers its gate here, even across a share() the walk cannot see through.
    const flow = this.flow;
    flow.enter();
    try {
      this.#decoder.push(chunk);
    } finally {
      flow.exit();
    }
    return this.#decoder.ended();
  }

  finish(): void {
    this.#drained = true;
    this.#decoder.end();
    this.#subscriber.complete();
  }

  /** Closes the input without aborting the request: it succeeded, only its tail is unwanted. */
  #stopReading(): void {
    this.#reader?.cancel().catch(ignore);
    const iterator = this.#iterator;
    if (iterator?.return) Promise.resolve(iterator.return()).catch(ignore);
    this.#inputSubscription?.unsubscribe();
  }

  /** The teardown. */
  unsubscribe(): void {
    this.flow.stop();
    if (this.#drained) return;
    // A shared reason: `abort()` would make a DOMException whose unformatted stack holds this
    // subscription (decoder, accumulator, reader), and an SDK that keeps our signal until
    // the response body is collected (Anthropic's request-signal registry, itself kept alive
    // through that object) would never let any of it go: ~11 KB per unsubscribe.
    this.#controller?.abort(unsubscribed);
    // Cancelling the reader closes the connection even when no signal reaches the request
    // (a Response passed in directly), and settles a pending read at once.
    this.#stopReading();
  }

  /** Reads chunks until the input ends, waiting before each read while the downstream holds back. */
  async #readAll(
    // A plain result (an array's iterator) is awaited as a promise is.
    next: () => IteratorResult<Uint8Array | string> | Promise<IteratorResult<Uint8Array | string>>,
  ): Promise<void> {
    const subscriber = this.#subscriber;
    for (;;) {
      const wait = this.flow.whenOpen();
      if (wait) await wait;
      if (subscriber.closed) return;
      let chunk: IteratorResult<Uint8Array | string>;
      try {
        chunk = await next();
      } catch (error) {
        this.fail(error, 'read');
        return;
      }
      if (subscriber.closed) return;
      if (chunk.done) break;
      if (this.push(chunk.value)) {
        // The terminal message arrived: what follows is ignored, so it is not read either.
        this.#stopReading();
        break;
      }
    }
    this.finish();
  }

  #readBody(body: ReadableStream<Uint8Array>): Promise<void> {
    // `locked` is read only when getReader fails: each of Node's ReadableStreams has a hidden
    // class of its own, so every property read of one misses V8's caches and costs a lookup.
    let bodyReader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      bodyReader = body.getReader();
    } catch (error) {
      if (body.locked) throw usedInput(this.#options.name);
      throw error;
    }
    this.#reader = bodyReader;
    return this.#readAll(() => bodyReader.read() as Promise<IteratorResult<Uint8Array>>);
  }

  /**
   * Reads an async iterable, or an array of chunks through its own iterator (a body whose
   * chunks are all there: readAll awaits its plain results as it awaits promises).
   */
  #readIterable(
    iterable: AsyncIterable<Uint8Array | string> | readonly (Uint8Array | string)[],
  ): Promise<void> {
    const iterableIterator = Array.isArray(iterable)
      ? iterable[Symbol.iterator]()
      : (iterable as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    this.#iterator = iterableIterator as AsyncIterator<Uint8Array | string>;
    return this.#readAll(() => iterableIterator.next());
  }

  /**
   * Reads an Observable of chunks: what it pushes is queued (it cannot be paused) and read like
   * a body; its error, after the chunks before it, is a read failure.
   */
  #readObservable(input: Subscribable<Uint8Array | string>): Promise<void> {
    // Each arrival as the read that returns it (a chunk, the end) or throws it (the error).
    const queue: (() => IteratorResult<Uint8Array | string>)[] = [];
    let at = 0;
    let wake: (() => void) | undefined;
    const arrive = (item: () => IteratorResult<Uint8Array | string>) => {
      queue.push(item);
      wake?.();
    };
    this.#inputSubscription = input.subscribe({
      next: (value) => arrive(() => ({ value, done: false })),
      error: (error: unknown) =>
        arrive(() => {
          throw error;
        }),
      complete: () => arrive(() => ({ value: undefined, done: true })),
    });
    return this.#readAll(async () => {
      while (at === queue.length) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue[at++]!;
      if (at === queue.length) queue.length = at = 0; // drained: the array does not grow forever
      return item();
    });
  }

  async #readErrorBody(body: ReadableStream<Uint8Array> | null): Promise<string> {
    if (!body || body.locked) return '';
    const reader = (this.#reader = body.getReader());
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
  }

  /** Makes the request (when the input is a function) and reads what it gives. */
  async run(input: StreamInput): Promise<void> {
    const { dialect, name } = this.#options;
    let source: ByteStream;
    try {
      if (typeof input === 'function') {
        const controller = (this.#controller = new AbortController());
        // A Node `http.ClientRequest` too, which readNodeStream owns (typed apart from ByteStream).
        const made = input(controller.signal, firstCall);
        // Only a promise is awaited: a returned request gets its listeners in this tick, before
        // an 'error' it emits on the next one (a custom agent failing at once), which with no
        // listener would crash the process.
        source = (
          typeof (made as { then?: unknown } | null | undefined)?.then === 'function' ? await made : made
        ) as ByteStream;
      } else source = input;
    } catch (error) {
      this.fail(error, 'request');
      return;
    }
    if (this.#subscriber.closed) {
      release(source);
      return;
    }
    // A stream first: one property read tells it (see readBody), where isResponse takes one more.
    const stream = isReadableStream(source);
    if (!stream && isResponse(source)) {
      // Thrown, as every failure below: `fail` drops it if unsubscribed meanwhile, and adds `partial`.
      if (!source.ok)
        throw errorFromHttpResponse(
          source.status,
          await this.#readErrorBody(source.body),
          source.headers,
          dialect.name,
        );
      if (source.bodyUsed) throw usedInput(name);
      const contentType = source.headers.get('content-type') ?? '';
      const page = /^\s*text\/html/i.test(contentType);
      if (page || (dialect.framing === 'sse' && /json/i.test(contentType))) {
        // A web page with a 200 (a captive portal, a proxy's or CDN's error page, a wrong
        // baseURL): the server answered, so it is not the network (`http`). A whole JSON
        // document where events were expected (the request lacked `stream: true`, or a gateway
        // answered with an error): `malformed`, instead of "stream ended early". Either way
        // keep what it said.
        const excerpt = truncate((await this.#readErrorBody(source.body)).trim(), 500);
        throw new RxllmError(
          `${dialect.name}: ${name} expected an event stream but got HTTP ${source.status} ${contentType}: ${excerpt}`,
          {
            code: page ? 'http' : 'malformed',
            status: source.status,
            retryable: false,
            dialect: dialect.name,
            line: excerpt,
            providerMessage: excerpt,
          },
        );
      }
      // An empty body is a stream that ended at once; the decoder judges it.
      if (!source.body) this.finish();
      else await this.#readBody(source.body);
    } else if (stream) {
      await this.#readBody(source as ReadableStream<Uint8Array>);
    } else if ((this.#inputSubscription = readNodeStream(source, this))) {
      // Read as its events come, not awaited: nothing waits for it. Unsubscribed, it is destroyed,
      // which ends it whatever was done with the signal: the controller (with its signal's
      // listener map, ~0.3 KB) is not kept for the stream's life.
      this.#controller = undefined;
    } else if (isAsyncIterable(source) || Array.isArray(source)) {
      await this.#readIterable(source);
    } else if (isSubscribable(source)) {
      await this.#readObservable(source);
    } else {
      throw new RxllmError(
        `rxllm: ${name}: the input function returned ${describe(source)}, not a Response, ReadableStream, async iterable, Observable or array`,
        { code: 'invalid-argument', retryable: false },
      );
    }
  }
}

/**
 * `fromSSE` and `fromNDJSON`: checks the input and the dialect (which must be decodable and framed
 * as `framing`) when the source is built, so a wrong one throws at once, then reads with the engine.
 */
export function framedSource(
  name: 'fromSSE' | 'fromNDJSON',
  framing: Framing,
  decode: StreamDecoderFactory,
  input: StreamInput,
  config: { dialect: DialectInput; provider?: string; limits?: Partial<StreamLimits>; partial?: PartialMode },
  resolve: (dialect: DialectInput, need: 'decode') => Dialect,
): Observable<RxllmEvent> {
  assertStreamInput(input, name);
  if (
    typeof config?.dialect !== 'string' &&
    (typeof config?.dialect !== 'object' || config.dialect === null)
  ) {
    throw new TypeError(`rxllm: ${name}: config.dialect is required, got ${String(config?.dialect)}`);
  }
  const dialect = resolve(config.dialect, 'decode');
  if (dialect.framing !== framing) {
    const other =
      dialect.framing === 'eventstream'
        ? 'fromBedrock or fromBedrockEventStream from rxllm/bedrock'
        : framing === 'sse'
          ? 'fromNDJSON'
          : 'fromSSE';
    throw new TypeError(
      `rxllm: ${name}: dialect '${dialect.name}' is framed as ${dialect.framing}, not ${framing === 'sse' ? 'SSE' : 'NDJSON'}; use ${other}`,
    );
  }
  return sourceFromBytes(input, {
    dialect,
    name,
    decoderOptions: decoderOptionsOf(config, name),
    createStreamDecoder: decode,
  });
}

/**
 * The decoder options of a source's config: `provider` and `limits`, the limits checked when the
 * source is built (a wrong one throws at once). Internal, shared with the SDK sources and fromOllama.
 */
const partialNone: DecoderOptions = /* @__PURE__ */ Object.freeze({ partial: 'none' });

export function decoderOptionsOf(
  config: { provider?: string; limits?: Partial<StreamLimits>; partial?: PartialMode } | undefined,
  name: string,
): DecoderOptions {
  // A relay's `{ partial: 'none' }`: one shared frozen object, not one per stream (the decoder and
  // the engine keep it for the stream's life).
  if (config?.partial === 'none' && config.provider === undefined && config.limits === undefined)
    return partialNone;
  const options: DecoderOptions = {};
  if (config?.provider !== undefined) options.provider = config.provider;
  if (config?.limits !== undefined) options.limits = resolveLimits(config.limits, `${name}: limits`);
  const partial = config?.partial;
  if (partial !== undefined) {
    if (partial !== 'full' && partial !== 'text' && partial !== 'none')
      throw new TypeError(`rxllm: ${name}: partial must be 'full', 'text' or 'none', got ${String(partial)}`);
    options.partial = partial;
  }
  return options;
}

/** Checks a source's input when the source is built, so a wrong one throws at once. */
export function assertStreamInput(input: unknown, name: string): asserts input is StreamInput {
  if (
    typeof input === 'function' ||
    isReadableStream(input) ||
    isResponse(input) ||
    isAsyncIterable(input) ||
    Array.isArray(input) ||
    isSubscribable(input)
  ) {
    return;
  }
  throw new TypeError(
    `rxllm: ${name} expects a Response, ReadableStream, async iterable, Observable, array of chunks or (signal) => Response, got ${describe(input)}`,
  );
}

function release(source: ByteStream): void {
  const body = isResponse(source) ? source.body : isReadableStream(source) ? source : null;
  if (body && !body.locked) body.cancel().catch(ignore);
  else if (!body && isAsyncIterable(source)) {
    const iterator = source[Symbol.asyncIterator]();
    if (iterator.return) Promise.resolve(iterator.return()).catch(ignore);
  }
  // A node:http ClientRequest (readNodeStream's): aborted, which ends it without the error that
  // destroy() emits (no listener would take it); nothing else in a ByteStream has `abort`.
  else (source as { abort?(): void }).abort?.();
}

/**
 * What a failure that is not already an RxllmError means, by where it happened:
 *
 * - An abort is `aborted`; a failed fetch or socket (see `isNetworkFailure`) is `network`,
 *   its cause's words in the message.
 * - A bug (TypeError, ReferenceError, SyntaxError outside the network, thrown by the user's
 *   input function or a transform it piped the body through) passes through unchanged: asking
 *   again will not fix it, so nothing must retry it.
 * - Anything else the body's stream fails with is the transport failing: `network`; anything
 *   else the input function throws (`new Error('no credentials')`) is `provider`, not retryable.
 * - While decoding (our decoder on the provider's bytes): a stack overflow or an impossible
 *   allocation is `limit-exceeded` (input nested or sized beyond what can be decoded), anything
 *   else `malformed`; never `provider`, which is for what the provider said.
 */
function classifyFailure(thrown: unknown, phase: FailurePhase, dialect: string): unknown {
  const name = (thrown as { name?: unknown } | null)?.name;
  // An RxllmError as it is; an abort `aborted`, a failed fetch or socket `network` (RxllmError.from).
  if (
    RxllmError.isInstance(thrown) ||
    name === 'AbortError' ||
    name === 'APIUserAbortError' ||
    isNetworkFailure(thrown)
  )
    return RxllmError.from(thrown, { dialect });
  const message = (thrown as { message?: unknown } | null)?.message;
  const words = typeof message === 'string' ? message : String(thrown);
  if (phase === 'decode') {
    const tooBig = name === 'RangeError' || isStackOverflow(thrown);
    return new RxllmError(`${dialect}: could not decode the input (${words})`, {
      code: tooBig ? 'limit-exceeded' : 'malformed',
      retryable: false,
      cause: thrown,
      dialect,
    });
  }
  if (isProgrammingError(name)) return thrown;
  return new RxllmError(words, { code: phase === 'read' ? 'network' : 'provider', cause: thrown, dialect });
}

function isProgrammingError(name: unknown): boolean {
  return name === 'TypeError' || name === 'ReferenceError' || name === 'SyntaxError' || name === 'RangeError';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function usedInput(name: string): RxllmError {
  return new RxllmError(
    `rxllm: ${name}: the stream was already read; pass (signal) => fetch(...) to subscribe again`,
    { code: 'invalid-argument', retryable: false },
  );
}

// Duck-typed rather than `instanceof`: Responses and streams come from undici, polyfills and
// SDK shims whose classes differ from the global ones.
export function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).status === 'number' &&
    'body' in value &&
    'headers' in value &&
    typeof (value as Response).ok === 'boolean'
  );
}

/** The runtime's own stream class, where it has one. */
const NativeReadableStream: typeof ReadableStream | undefined = globalThis.ReadableStream;

export function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  // The runtime's own streams by their prototype chain first: each of Node's ReadableStreams has
  // a hidden class of its own, so reading a property of one misses every inline cache, and after
  // a GC (which clears V8's cache of such lookups) costs a lookup through the runtime each time.
  if (NativeReadableStream !== undefined && value instanceof NativeReadableStream) return true;
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

/** An RxJS Observable, or any other object with `subscribe` (RxJS `from` accepts the same). */
function isSubscribable(value: unknown): value is Subscribable<Uint8Array | string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Subscribable<unknown>).subscribe === 'function'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

function ignore(): void {}
