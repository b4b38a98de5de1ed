import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { RxllmEvent } from '../events';
import { compareTracks } from '../internal/tracks/compareTracks';
import { fallbackTracks } from '../internal/tracks/fallbackTracks';
import { handoffTracks } from '../internal/tracks/handoffTracks';
import { interleaveTracks } from '../internal/tracks/interleaveTracks';
import { raceTracks } from '../internal/tracks/raceTracks';
import type { NamedTrack, TrackContext, TrackSource } from '../internal/tracks/trackTypes';
import type { TrackLimiter } from '../tracks/createTrackLimiter';
import { wordCosineSimilarity } from '../tracks/wordCosineSimilarity';

export type { TrackSource } from '../internal/tracks/trackTypes';

/** How mergeTracks decides what the user sees. */
export type MergeStrategy = 'interleave' | 'race' | 'fallback' | 'hedge' | 'handoff' | 'compare';

export interface MergeTracksConfig {
  strategy: MergeStrategy;
  /** The name of the upstream track. Default `'primary'`. */
  name?: string;
  /**
   * Higher runs first: the order of `fallback` and `hedge`, and the queue order of the limiter.
   * Tracks of equal priority keep their order: the upstream, then the others as listed. Default 0.
   */
  priorities?: Record<string, number>;
  /** The kind of each track (`local`, `cloud`, ...), for `limiter`. */
  kinds?: Record<string, string>;
  /** Limits how many tracks of one kind run at once, shared across pipelines. See {@link createTrackLimiter}. */
  limiter?: TrackLimiter;
  /** `fallback`: move on when a track shows no content within this many ms. Default: wait. */
  firstTokenMs?: number;
  /** `hedge`: start the next track when none has shown content this many ms after the last started. Required for hedge. */
  hedgeAfterMs?: number;
  /** `handoff`: hand off only if another track starts within this many ms; else keep the draft. Default: no limit. */
  handoffWithinMs?: number;
  /** `compare`: the text similarity measure. Default {@link wordCosineSimilarity}. */
  similarity?: { measure: string; compute: (a: string, b: string) => number };
  /** Clock and timers for the deadlines and timings. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const strategies: ReadonlySet<string> = new Set([
  'interleave',
  'race',
  'fallback',
  'hedge',
  'handoff',
  'compare',
]);

/**
 * Runs the upstream and other tracks (a local and a cloud model, say) as one stream, every event
 * tagged with its `track`, and decides by `strategy` what the user sees:
 *
 * - `interleave`: all tracks stream; a failing track becomes an in-band `error` event for that
 *   track, and the others go on.
 * - `race`: the first track to show content (text, reasoning, refusal or a tool call) wins; the
 *   others are unsubscribed at once (their requests aborted) and leave their usage so far and a
 *   `cancelled` finish behind.
 * - `fallback`: one track at a time in order; on an error, or no content within `firstTokenMs`,
 *   the next starts, after a `reset` if the failed one had shown output. A track given as a
 *   function receives what was shown so far and continues it instead (no reset).
 * - `hedge`: start the first track; start the next only if none has shown content within
 *   `hedgeAfterMs`; keep whichever shows content first and cancel the other.
 * - `handoff`: show the first track's draft at once; when another track shows content, `reset`
 *   the draft and continue with that one (within `handoffWithinMs`, else keep the draft).
 * - `compare`: run all tracks to the end side by side, then emit one `comparison` event with per
 *   track time to first token, tokens per second, total time, tokens, cost, finish reason and how
 *   far their texts agree (`similarityMeasure`, by default `word-cosine`: see {@link wordCosineSimilarity}).
 *
 * Intuition: a provider SDK gives you one stream; this decides between several while they flow.
 *
 * ```text
 * source:   -a-b-c-d-|
 * cloud:    ----x-----y-|
 * expected: -A-B(krX)-Y-|
 * ```
 * (handoff, upstream named `local`: the draft `A B` shows at once; when the cloud's `x` arrives,
 * the draft is cancelled (`k`: its `cancelled` finish) and reset (`r`), and the cloud's answer
 * `X Y` continues. Capitals are the inputs tagged with their track.)
 *
 * Completion: when the shown track completes (interleave and compare: when all have ended).
 * Error: the shown track's error, carrying its partial message; in interleave and compare a track's
 * error is an in-band event. Unsubscribe: every running track is unsubscribed, timers cleared.
 *
 * @example
 * ```ts
 * import { fromOllama, fromOpenAI, mergeTracks } from 'rxllm';
 * fromOllama({ model: 'llama3.2', messages })
 *   .pipe(mergeTracks({ cloud: fromOpenAI(openai, params) }, { strategy: 'handoff', name: 'local' }))
 *   .subscribe((event) => render(event.track, event));
 * ```
 */
export function mergeTracks(
  others: Record<string, TrackSource>,
  config: MergeTracksConfig,
): OperatorFunction<RxllmEvent, RxllmEvent> {
  const { strategy, name = 'primary', scheduler = asyncScheduler } = config;
  if (!strategies.has(strategy)) {
    throw new TypeError(
      `mergeTracks: unknown strategy '${String(strategy)}'; use one of ${[...strategies].join(', ')}`,
    );
  }
  if (name in others)
    throw new TypeError(`mergeTracks: a track is named '${name}' twice (the upstream's name)`);
  if (strategy === 'hedge' && !isDuration(config.hedgeAfterMs)) {
    throw new TypeError(`mergeTracks: hedge needs hedgeAfterMs >= 0, got ${String(config.hedgeAfterMs)}`);
  }
  for (const key of ['firstTokenMs', 'handoffWithinMs'] as const) {
    if (config[key] !== undefined && !isDuration(config[key])) {
      throw new TypeError(`mergeTracks: ${key} must be a duration >= 0 in ms, got ${String(config[key])}`);
    }
  }
  for (const [track, source] of Object.entries(others)) {
    if (!(source instanceof Observable) && typeof source !== 'function') {
      throw new TypeError(`mergeTracks: track '${track}' must be an Observable or a function returning one`);
    }
  }
  const similarity = config.similarity ?? { measure: 'word-cosine', compute: wordCosineSimilarity };

  return (upstream) =>
    new Observable<RxllmEvent>((subscriber) => {
      const named = (track: string, source: TrackSource, order: number): NamedTrack & { order: number } => {
        const entry: NamedTrack & { order: number } = {
          name: track,
          source,
          priority: config.priorities?.[track] ?? 0,
          order,
        };
        const kind = config.kinds?.[track];
        if (kind !== undefined) entry.kind = kind;
        return entry;
      };
      const tracks = [
        named(name, upstream, 0),
        ...Object.entries(others).map(([track, source], at) => named(track, source, at + 1)),
      ].sort((a, b) => b.priority - a.priority || a.order - b.order);
      const context: TrackContext = { subscriber, scheduler };
      if (config.limiter) context.limiter = config.limiter;

      switch (strategy) {
        case 'interleave':
          return interleaveTracks(tracks, context);
        case 'race':
          return raceTracks(tracks, context);
        case 'hedge':
          return raceTracks(tracks, context, config.hedgeAfterMs);
        case 'fallback':
          return fallbackTracks(tracks, context, config.firstTokenMs);
        case 'handoff':
          return handoffTracks(tracks, context, config.handoffWithinMs);
        case 'compare':
          return compareTracks(tracks, context, similarity);
      }
    });
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
