import { Observable, Subscription, type SchedulerLike, type Subscriber } from 'rxjs';
import type { RxllmEvent, UsageEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { MessageAccumulator, type Message } from '../base/message';
import type { TrackLimiter } from './createTrackLimiter';
import { markFlow } from '../flow/flow';

/** A track's stream, or a function that builds it from what earlier tracks showed (fallback). */
export type TrackSource = Observable<RxllmEvent> | ((shown: Message) => Observable<RxllmEvent>);

export interface NamedTrack {
  name: string;
  source: TrackSource;
  priority: number;
  kind?: string;
}

/** One running track: its subscription and what it has shown so far. */
export class RunningTrack {
  readonly subscription = new Subscription();
  readonly message = new MessageAccumulator();
  /** Events held back until the strategy decides this track is shown. */
  readonly held: RxllmEvent[] = [];
  showedOutput = false;
  lastUsage?: UsageEvent;
  ended = false;

  constructor(
    readonly track: NamedTrack,
    readonly startedAt: number,
  ) {}

  record(event: RxllmEvent): void {
    this.message.apply(event);
    if (event.type === 'usage') this.lastUsage = event;
  }

  stop(): void {
    this.ended = true;
    this.subscription.unsubscribe();
  }
}

/** Callbacks for one track; each receives the running track, which exists before its first event. */
export interface TrackObserver {
  next(event: RxllmEvent, run: RunningTrack): void;
  error(error: unknown, run: RunningTrack): void;
  complete(run: RunningTrack): void;
}

export interface TrackContext {
  subscriber: Subscriber<RxllmEvent>;
  scheduler: SchedulerLike;
  limiter?: TrackLimiter;
  /** Told of every track that fails, whatever the strategy then does (mergeTracks' `onTrackError`). */
  onTrackError?: (error: unknown, track: string) => void;
}

/**
 * Tells `onTrackError` that `running` failed with `failure`. Returns false when the callback threw:
 * the stream has then failed with what it threw, and the caller must stop.
 */
export function reportTrackError(context: TrackContext, running: RunningTrack, failure: unknown): boolean {
  if (!context.onTrackError) return true;
  try {
    context.onTrackError(failure, running.track.name);
    return true;
  } catch (thrown) {
    context.subscriber.error(thrown);
    return false;
  }
}

/**
 * Subscribes to a track: builds its source (passing `shown` to a function source), runs it through
 * the limiter when it has a kind, and stamps every event with the track's name.
 */
export function startTrack(
  context: TrackContext,
  track: NamedTrack,
  observer: TrackObserver,
  shown: Message = new MessageAccumulator().snapshot(),
): RunningTrack {
  const running = new RunningTrack(track, context.scheduler.now());
  let source: Observable<RxllmEvent>;
  try {
    source = typeof track.source === 'function' ? track.source(shown) : track.source;
  } catch (error) {
    // A throwing track factory fails that track, not the whole pipeline's subscribe call.
    running.ended = true;
    if (reportTrackError(context, running, error)) observer.error(error, running);
    return running;
  }
  const limited =
    track.kind && context.limiter ? context.limiter.run(track.kind, source, track.priority) : source;
  // The track's observer links to mergeTracks' subscriber, so that a track started at any time (a
  // hedge's backup, a fallback, one the limiter delayed) finds the consumer's flow gates.
  const trackObserver = markFlow(
    {
      next: (event: RxllmEvent) => {
        const tagged = event.track === track.name ? event : { ...event, track: track.name };
        running.record(tagged);
        observer.next(tagged, running);
      },
      error: (error: unknown) => {
        running.ended = true;
        if (reportTrackError(context, running, trackFailure(running, error))) observer.error(error, running);
      },
      complete: () => {
        running.ended = true;
        observer.complete(running);
      },
    },
    { downstream: context.subscriber },
  );
  running.subscription.add(limited.subscribe(trackObserver));
  return running;
}

/**
 * The error a track failed with, carrying the track's partial message when it is an RxllmError.
 * Anything else (a bug in a track's own operators) passes unchanged: wrapping it would make it
 * look like the provider's failure.
 */
export function trackFailure(running: RunningTrack, error: unknown): unknown {
  if (!RxllmError.isInstance(error)) return error;
  error.partial ??= running.message.snapshot();
  return error;
}

/** {@link trackFailure} as an RxllmError, for an in-band `error` event (interleave, compare). */
export function trackFailureEvent(running: RunningTrack, error: unknown): RxllmError {
  const failure = RxllmError.from(trackFailure(running, error));
  failure.partial ??= running.message.snapshot();
  return failure;
}

/**
 * What a cancelled track leaves behind: what it had said of its request and response but never
 * shown (held `step-start` and `start` events: the model, so that the request can be priced),
 * its last usage (tokens already spent are still billed) and a `cancelled` finish, so stores and
 * usage counters see the track end.
 */
export function cancellationEvents(running: RunningTrack): RxllmEvent[] {
  const name = running.track.name;
  const events: RxllmEvent[] = [];
  for (const event of running.held)
    if (event.type === 'step-start' || event.type === 'start') events.push(event);
  running.held.length = 0;
  if (running.lastUsage) events.push(running.lastUsage);
  events.push({ type: 'finish', reason: 'cancelled', track: name });
  return events;
}
