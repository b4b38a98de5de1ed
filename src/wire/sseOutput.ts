import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

/** Told, once per subscription, of an upstream failure that `toSSE` wrote as frames. */
export type UpstreamErrorReport = (error: unknown) => void;

// Symbol.for: a sink from one installed copy of rxllm still finds the hook of another copy's toSSE.
const withReport = Symbol.for('rxllm.frames.withUpstreamErrorReport');

interface ReportingFrames<T> extends Observable<T> {
  [withReport]?: (report: UpstreamErrorReport) => Observable<T>;
}

/**
 * What a sink needs to know of the frames it is given, beyond the frames: the dialect they are
 * in and the HTTP headers that dialect needs (`content-type: text/event-stream`, and for
 * `ai-sdk-ui` the `x-vercel-ai-ui-message-stream: v1` that `useChat` checks). `toSSE` knows them,
 * so its output carries them and the user names the dialect once per pipeline.
 */
export interface SSEOutput {
  /** The dialect's name (`openai-chat`, `ai-sdk-ui`, a registered one). */
  readonly dialect: string;
  /** The response headers for this stream (`sseHeaders(dialect)`). */
  readonly headers: Readonly<Record<string, string>>;
}

// Symbol.for, as for the report: a sink from one installed copy reads another copy's toSSE output.
const outputKey = Symbol.for('rxllm.frames.sseOutput');

/**
 * What `frames$` says of itself when it came straight from `toSSE`; undefined for any other
 * Observable (one piped through further operators, or made by hand). Read defensively: the value
 * may come from another copy of rxllm, so only its expected shape is taken.
 */
export function sseOutputOf(frames$: unknown): SSEOutput | undefined {
  if (typeof frames$ !== 'object' || frames$ === null) return undefined;
  const output: unknown = (frames$ as Record<symbol, unknown>)[outputKey];
  if (typeof output !== 'object' || output === null) return undefined;
  const { dialect, headers } = output as Record<string, unknown>;
  if (typeof dialect !== 'string' || typeof headers !== 'object' || headers === null) return undefined;
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') copy[name] = value;
  return { dialect, headers: copy };
}

/**
 * An Observable of frames whose producer (`toSSE`) can tell a sink about an upstream failure
 * that it turned into frames. With `errors: 'frame'` the frames Observable *completes* after the
 * dialect's error event (a client must read the error from the stream), so the error channel
 * says nothing; this side channel lets `toResponse`, `pipeToNodeResponse` and `toReadableStream`
 * still report the failure to the server. Plain `subscribe` works as before (no report).
 *
 * Explicit rather than ambient: the sink asks the frames Observable it was given for a reporting
 * copy ({@link reportingUpstreamErrors}) and subscribes to that, so the report belongs to exactly
 * that subscription. A frames Observable piped through further operators has no hook (the sink
 * then reports only what reaches its error channel).
 */
export function framesReportingErrors<T>(
  subscribe: (subscriber: Subscriber<T>, report: UpstreamErrorReport) => TeardownLogic,
  output?: SSEOutput,
): Observable<T> {
  const frames = new Observable<T>((subscriber) => subscribe(subscriber, ignore)) as ReportingFrames<T>;
  // One frozen copy for both Observables, none when it is frozen already (toSSE's): a relay makes
  // a pair per stream, thousands at once.
  const described =
    output === undefined || (Object.isFrozen(output) && Object.isFrozen(output.headers))
      ? output
      : Object.freeze({ dialect: output.dialect, headers: Object.freeze({ ...output.headers }) });
  Object.defineProperty(frames, withReport, {
    value: (report: UpstreamErrorReport) =>
      describe(new Observable<T>((subscriber) => subscribe(subscriber, report)), described),
  });
  return describe(frames, described);
}

/** Attaches what the frames are (non-enumerable, frozen: a sink reads it, nothing changes it). */
function describe<T>(frames: Observable<T>, output: SSEOutput | undefined): Observable<T> {
  if (output !== undefined) Object.defineProperty(frames, outputKey, { value: output });
  return frames;
}

/** `frames$` wired to `report` when it came straight from `toSSE`, else `frames$` itself. */
export function reportingUpstreamErrors<T>(
  frames$: Observable<T>,
  report: UpstreamErrorReport,
): Observable<T> {
  const hook = (frames$ as ReportingFrames<T>)[withReport];
  return typeof hook === 'function' ? hook(report) : frames$;
}

function ignore(): void {}
