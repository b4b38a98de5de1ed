import {
  asyncScheduler,
  type Observer,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { sseHeaders } from '../wire/sseHeaders';
import { framesReportingErrors, type SSEOutput, type UpstreamErrorReport } from '../wire/sseOutput';
import { getDialect } from '../wire/dialects';
import { encodableDialect } from '../wire/encodableDialect';
import { registeredDialectNames, type DialectInput } from '../wire/registry';
import type { Dialect, DialectName, Encoder, EncoderOptions, SSEFrame } from '../wire/types';

/** Options of {@link toSSE}. */
export interface ToSSEConfig {
  /**
   * The wire format to write: `rxllm` (lossless, the default), `openai-chat`, `openai-responses`,
   * `anthropic`, `ai-sdk-ui` (the AI SDK's UI message stream for `useChat`), or `ag-ui` (AG-UI
   * events for `@ag-ui/client`, CopilotKit); or the dialect object (`openAIChatDialect`, ...).
   */
  dialect?: DialectInput;
  /**
   * `id:` lines: `true` numbers the frames 0, 1, 2, ...; a function computes each frame's id from
   * its position and the frame (for `Last-Event-ID` resumption). Default: none.
   */
  ids?: boolean | ((index: number, frame: SSEFrame) => string);
  /**
   * Writes a `: keep-alive` comment after this many ms without a frame, and again every
   * `heartbeatMs` while the stream stays silent, so proxies and browsers keep an idle connection
   * open while a model thinks. Default: 0, no heartbeat.
   */
  heartbeatMs?: number;
  /** Where the heartbeat's time comes from. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * What an upstream error becomes. `frame` (default): the dialect's error frames (OpenAI's
   * `{"error":…}`, Anthropic's `event: error`, ...), then the stream completes, so the client
   * reads the error from the stream, as it would from the provider. `propagate`: no frames; the
   * error is passed on untouched, for a sink that wants to answer with an HTTP status instead.
   */
  errors?: 'frame' | 'propagate';
  /** Model name to report where the dialect requires one and no `start` event names it. */
  model?: string;
  /** Response id to report where the dialect requires one and no `start` event names it. */
  id?: string;
  /** `ag-ui`: the `threadId` of the run events (echo the request's `RunAgentInput.threadId`). */
  threadId?: string;
  /**
   * `rxllm`: `false` writes unnamed frames (`data:` only; each event's `type` is in its JSON), so a
   * plain `EventSource`'s `onmessage` sees them all. Default `true`: frames named by type
   * (`event: text`, `event: rxllm-error`, `event: done`) for `addEventListener`. `fromSSE`,
   * `fromEventSource` and the `rxllm` decoder read both.
   */
  named?: boolean;
}

const dialectNames: readonly DialectName[] = [
  'rxllm',
  'openai-chat',
  'openai-responses',
  'anthropic',
  'ai-sdk-ui',
  'ag-ui',
];

/**
 * Encodes rxllm events into a provider's streaming wire format and frames it as Server-Sent
 * Events text, ready to write to an HTTP response.
 *
 * Intuition: the inverse of `fromSSE`. What came in as Anthropic can go out as OpenAI, so any
 * client SDK can read any model.
 *
 * ```text
 * source:   -s-a-b-----f-u-|
 * expected: ---x-y---h-z---(dD|)
 * ```
 *
 * (`dialect: 'openai-chat', heartbeatMs: 4`: `start` writes nothing, each token is a chunk, 4 ms of
 * silence write a `: keep-alive` comment, usage is held until the end, then `[DONE]`.)
 *
 * Each frame is `event: <name>\n` (where the dialect names its events), `id: <id>\n` (with `ids`),
 * and one `data: ` line per line of data, then a blank line. What each dialect writes for each
 * event, and what it cannot express (several choices, `reset`, signatures), is documented with
 * its encoder.
 *
 * Completion writes the dialect's terminal frames (`[DONE]`, `message_stop`,
 * `response.completed`, the UI stream's `finish`) and completes. An upstream error writes the
 * dialect's error frames and then completes (or, with `errors: 'propagate'`, passes the error on
 * and writes nothing). Unsubscribing unsubscribes from the source and stops the heartbeat.
 * Throws at once for an unknown or decode-only dialect, or a bad option.
 *
 * @example
 * ```ts
 * import { fromSSE, toSSE } from 'rxllm';
 * // An OpenAI-compatible endpoint answered by Claude:
 * fromSSE(anthropicResponse, { dialect: 'anthropic' })
 *   .pipe(toSSE({ dialect: 'openai-chat', heartbeatMs: 15_000 }))
 *   .subscribe({ next: (frame) => res.write(frame), complete: () => res.end() });
 * ```
 */
export function toSSE(config: ToSSEConfig = {}): OperatorFunction<RxllmEvent, string> {
  return toSSEWith(config, (name) => {
    if (
      typeof name === 'string' &&
      !dialectNames.includes(name) &&
      !registeredDialectNames().includes(name)
    ) {
      throw new TypeError(
        `rxllm: toSSE: dialect must be one of ${dialectNames.join(', ')}, got ${JSON.stringify(name)}`,
      );
    }
    return getDialect(name);
  });
}

/**
 * {@link toSSE} with the dialect found by `resolve`: the root entry resolves every built-in name,
 * `rxllm/core` only dialect objects and registered names (so its bundles hold no other dialect).
 */
export function toSSEWith(
  config: ToSSEConfig,
  resolve: (dialect: DialectInput) => Dialect,
): OperatorFunction<RxllmEvent, string> {
  const {
    dialect: name = 'rxllm',
    ids,
    heartbeatMs = 0,
    scheduler = asyncScheduler,
    errors = 'frame',
  } = config;
  const dialect = encodableDialect(resolve(name));
  if (typeof heartbeatMs !== 'number' || !(heartbeatMs >= 0) || heartbeatMs === Infinity) {
    throw new TypeError(`rxllm: toSSE: heartbeatMs must be a finite number >= 0, got ${String(heartbeatMs)}`);
  }
  if (errors !== 'frame' && errors !== 'propagate') {
    throw new TypeError(`rxllm: toSSE: errors must be 'frame' or 'propagate', got ${JSON.stringify(errors)}`);
  }
  if (ids !== undefined && typeof ids !== 'boolean' && typeof ids !== 'function') {
    throw new TypeError(`rxllm: toSSE: ids must be a boolean or a function, got ${typeof ids}`);
  }
  if (config.named !== undefined && typeof config.named !== 'boolean') {
    throw new TypeError(`rxllm: toSSE: named must be a boolean, got ${typeof config.named}`);
  }
  const encoderOptions = {
    ...(config.model !== undefined && { model: config.model }),
    ...(config.id !== undefined && { id: config.id }),
    ...(config.threadId !== undefined && { threadId: config.threadId }),
    ...(config.named !== undefined && { named: config.named }),
  };

  // What the sinks read from the output instead of being told the dialect again.
  // Frozen and made once per dialect: a relay calls toSSE per request.
  const output = outputOf(dialect.name);

  const framing: Framing = {
    dialect,
    ids,
    heartbeatMs,
    scheduler,
    errors,
    encoderOptions,
    singleLine: dialect.singleLineData === true,
  };
  return (source) =>
    framesReportingErrors<string>((subscriber, report) => {
      const frames = new FramesSubscription(framing, subscriber, report);
      if (frames.encoder === undefined) return;
      const { heartbeatMs } = framing;
      if (heartbeatMs > 0) {
        // One action that re-arms itself for the rest of the idle period: no timer is touched
        // per frame, only a timestamp.
        subscriber.add(
          scheduler.schedule(function (this: SchedulerAction<undefined>) {
            const idle = scheduler.now() - frames.lastSent;
            if (idle >= heartbeatMs) {
              subscriber.next(': keep-alive\n\n');
              frames.lastSent = scheduler.now();
              this.schedule(undefined, heartbeatMs);
            } else {
              this.schedule(undefined, heartbeatMs - idle);
            }
          }, heartbeatMs),
        );
      }
      subscriber.add(source.subscribe(frames));
    }, output);
}

/** What every subscription of one `toSSE` shares. */
interface Framing {
  dialect: Dialect;
  ids: ToSSEConfig['ids'];
  heartbeatMs: number;
  scheduler: SchedulerLike;
  errors: 'frame' | 'propagate';
  encoderOptions: EncoderOptions;
  singleLine: boolean;
}

/**
 * One subscription of `toSSE`: the observer of its source, holding its encoder. An object with
 * prototype methods rather than closures over a scope: a relay holds one per open stream.
 */
class FramesSubscription implements Observer<RxllmEvent> {
  encoder: Encoder | undefined;
  lastSent: number;
  #index = 0;
  // What it needs of its toSSE's options, copied: the options object (with the encoder options,
  // needed only to make the encoder) is not kept for the stream's life.
  readonly #ids: ToSSEConfig['ids'];
  readonly #heartbeatMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #propagate: boolean;
  readonly #singleLine: boolean;
  readonly #subscriber: Subscriber<string>;
  readonly #report: UpstreamErrorReport;

  constructor(framing: Framing, subscriber: Subscriber<string>, report: UpstreamErrorReport) {
    this.#ids = framing.ids;
    this.#heartbeatMs = framing.heartbeatMs;
    this.#scheduler = framing.scheduler;
    this.#propagate = framing.errors === 'propagate';
    this.#singleLine = framing.singleLine;
    this.#subscriber = subscriber;
    this.#report = report;
    this.lastSent = framing.heartbeatMs > 0 ? framing.scheduler.now() : 0;
    try {
      this.encoder = framing.dialect.createEncoder!((frame) => this.#send(frame), framing.encoderOptions);
    } catch (error) {
      subscriber.error(error);
    }
  }

  #send(frame: SSEFrame): void {
    const ids = this.#ids;
    let id = frame.id;
    if (ids) id = ids === true ? String(this.#index) : ids(this.#index, frame);
    this.#index++;
    this.#subscriber.next(serialize(frame, id, this.#singleLine));
    if (this.#heartbeatMs > 0) this.lastSent = this.#scheduler.now();
  }

  next(event: RxllmEvent): void {
    let closedBy: RxllmError | void;
    try {
      closedBy = this.encoder!.event(event);
    } catch (error) {
      this.#subscriber.error(error);
      return;
    }
    // A `reset` the format cannot take back ends the stream as an upstream failure would;
    // ending it unsubscribes the upstream (a retry, a fallback), aborting its request.
    if (closedBy !== undefined) this.error(closedBy);
  }

  error(error: unknown): void {
    const subscriber = this.#subscriber;
    if (this.#propagate) {
      subscriber.error(error);
      return;
    }
    // The client reads the error from the frames; the server hears of it through the sink.
    this.#report(error);
    try {
      this.encoder!.error(RxllmError.from(error));
    } catch (thrown) {
      subscriber.error(thrown);
      return;
    }
    subscriber.complete();
  }

  complete(): void {
    try {
      this.encoder!.end();
    } catch (error) {
      this.#subscriber.error(error);
      return;
    }
    this.#subscriber.complete();
  }
}

const outputs = new Map<string, SSEOutput>();

/** The output description of a dialect's frames, frozen, one per dialect. */
function outputOf(dialect: string): SSEOutput {
  let output = outputs.get(dialect);
  if (output === undefined) {
    output = Object.freeze({ dialect, headers: Object.freeze(sseHeaders(dialect)) });
    outputs.set(dialect, output);
  }
  return output;
}

/** One frame as SSE text: data with line breaks becomes one `data:` line per line. */
function serialize(frame: SSEFrame, id: string | undefined, singleLine: boolean): string {
  let head = frame.event === undefined ? '' : `event: ${oneLine(frame.event)}\n`;
  if (id !== undefined) head += `id: ${oneLine(id)}\n`;
  const data = frame.data;
  if (singleLine || (data.indexOf('\n') === -1 && data.indexOf('\r') === -1))
    return `${head}data: ${data}\n\n`;
  for (const line of data.split(/\r\n|\r|\n/)) head += `data: ${line}\n`;
  return `${head}\n`;
}

/**
 * An `event:` or `id:` value cannot hold a line break (it would end the field and start a forged
 * one: `event: x\ndata: …`) or a NUL (which makes browsers ignore an `id`): those are removed. A
 * name or id may come from upstream (an event's `type`, the `ids` function's input).
 */
function oneLine(field: string): string {
  const text = String(field);
  return text.indexOf('\n') === -1 && text.indexOf('\r') === -1 && text.indexOf('\0') === -1
    ? text
    : text.replace(/[\r\n\0]/g, '');
}
