import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

/** Told, once per subscription, of an upstream failure that `toSSE` wrote as frames. */
export type UpstreamErrorReport = (error: unknown) => void;

// Symbol.for: a sink from one installed copy of rxllm still finds the hook of another copy's toSSE.
const withReport = Symbol.for('rxllm.frames.withUpstreamErrorReport');

interface ReportingFrames<T> extends Observable<T> {
  [withReport]?: (report: UpstreamErrorReport) => Observable<T>;
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
): Observable<T> {
  const frames = new Observable<T>((subscriber) => subscribe(subscriber, ignore)) as ReportingFrames<T>;
  Object.defineProperty(frames, withReport, {
    value: (report: UpstreamErrorReport) => new Observable<T>((subscriber) => subscribe(subscriber, report)),
  });
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
