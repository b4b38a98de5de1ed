import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { compareTracks } from './compareTracks';
import { fallbackTracks } from './fallbackTracks';
import { handoffTracks } from './handoffTracks';
import { interleaveTracks } from './interleaveTracks';
import { raceTracks } from './raceTracks';
import type { NamedTrack, TrackContext, TrackSource } from './trackRunner';
import type { TrackLimiter } from './createTrackLimiter';
import { wordCosineSimilarity } from './wordCosineSimilarity';

export type { TrackSource } from './trackRunner';

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
  /**
   * `fallback`: what a failure does once the failed track had shown output (text, reasoning,
   * refusal, a tool call). `'fail'` (default): no fallback; the error, with its partial, ends
   * the stream, as the AI SDK does. `'reset'`: a `reset` takes the output back and the next track
   * starts afresh (only a consumer that honours `reset` shows one answer: a store, the `rxllm`
   * dialect; `toSSE`'s other dialects end with an error at the reset). `'continue'`: the next
   * track, which must be a function, receives what was shown and continues it; nothing is taken
   * back, so every client shows one answer. Failures before output always fall back.
   */
  afterOutput?: 'fail' | 'reset' | 'continue';
  /**
   * Called with the error and the track's name whenever a track fails, whatever the strategy then
   * does: a `race` or `hedge` loser, a `handoff` candidate, a `fallback` that moves on, an
   * `interleave` or `compare` track. Without it a losing track's failure (a wrong API key) leaves
   * no trace. A throw ends the stream with what it threw.
   */
  onTrackError?: (error: unknown, track: string) => void;
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
 *   the next starts. Once the failed track had shown output, `afterOutput` decides: `fail`
 *   (default: the error ends the stream), `reset` (take the output back, start the next afresh)
 *   or `continue` (the next track, a function, receives what was shown and continues it).
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
 * Every track's failure is reported to `onTrackError` (track name and error), whatever the strategy
 * does with it. Completion: when the shown track completes (interleave and compare: when all have ended).
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
  const afterOutput = config.afterOutput ?? 'fail';
  if (afterOutput !== 'fail' && afterOutput !== 'reset' && afterOutput !== 'continue') {
    throw new TypeError(
      `mergeTracks: afterOutput must be 'fail', 'reset' or 'continue', got ${String(config.afterOutput)}`,
    );
  }
  if (config.afterOutput !== undefined && strategy !== 'fallback') {
    throw new TypeError(`mergeTracks: afterOutput applies to the fallback strategy, not '${strategy}'`);
  }
  if (afterOutput === 'continue') {
    if (!isFirstInOrder(name, name, others, config)) {
      throw new TypeError(
        `mergeTracks: afterOutput 'continue' needs the upstream track '${name}' to run first (it cannot continue another)`,
      );
    }
    const notFirst = Object.entries(others).filter(([track]) => !isFirstInOrder(track, name, others, config));
    for (const [track, source] of notFirst) {
      if (typeof source !== 'function') {
        throw new TypeError(
          `mergeTracks: afterOutput 'continue' needs track '${track}' to be a function (shown) => Observable that continues what was shown`,
        );
      }
    }
  }
  if (config.onTrackError !== undefined && typeof config.onTrackError !== 'function') {
    throw new TypeError(`mergeTracks: onTrackError must be a function, got ${String(config.onTrackError)}`);
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
      if (config.onTrackError) context.onTrackError = config.onTrackError;

      switch (strategy) {
        case 'interleave':
          return interleaveTracks(tracks, context);
        case 'race':
          return raceTracks(tracks, context);
        case 'hedge':
          return raceTracks(tracks, context, config.hedgeAfterMs);
        case 'fallback':
          return fallbackTracks(tracks, context, config.firstTokenMs, afterOutput);
        case 'handoff':
          return handoffTracks(tracks, context, config.handoffWithinMs);
        case 'compare':
          return compareTracks(tracks, context, similarity);
      }
    });
}

/** Whether `track` runs first in fallback order: the highest priority, ties in the order given. */
function isFirstInOrder(
  track: string,
  upstream: string,
  others: Record<string, TrackSource>,
  config: MergeTracksConfig,
): boolean {
  const order = [upstream, ...Object.keys(others)];
  const priority = (name: string) => config.priorities?.[name] ?? 0;
  const first = order.reduce((best, name) => (priority(name) > priority(best) ? name : best));
  return first === track;
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
