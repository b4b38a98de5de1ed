import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { ProgressEvent, RxllmEvent } from '../base/events';

/** Options of {@link progress}. */
export interface ProgressConfig {
  /**
   * Report every track seen so far every `intervalMs` milliseconds; `0` turns the timer off.
   * Default: `1000`, or `0` when only `everyTokens` is given.
   */
  intervalMs?: number;
  /** Also report a track after every `everyTokens` of its deltas. Default: off. */
  everyTokens?: number;
  /**
   * `'events'`: reports are inserted into the stream as `progress` events (and also passed to
   * `onProgress` when given). `'callback'`: the stream passes through unchanged and reports go
   * only to `onProgress`, which is then required. Default: `'events'`.
   */
  mode?: 'events' | 'callback';
  /** Receives every report. Default: none. */
  onProgress?: (progress: ProgressEvent) => void;
  /** The clock and timer. Default: `asyncScheduler` (`animationFrameScheduler` suits a UI). */
  scheduler?: SchedulerLike;
}

interface TrackProgress {
  track: string | undefined;
  tokens: number;
  characters: number;
  firstAt: number | undefined;
}

/**
 * Measures a stream while it flows: deltas, characters, elapsed time, time to first token and
 * tokens per second, per track.
 *
 * Like a download's progress bar: it does not change the content, it reports on it, on a timer
 * (`intervalMs`) and/or every `everyTokens` deltas.
 *
 * ```text
 * source:   --ab-c----|
 * expected: --ab-cP---(F|)
 * ```
 *
 * Every event passes through unchanged. In `'events'` mode (the default) a `progress` event for
 * each track seen so far is inserted on every tick, one for a track after each `everyTokens`-th of
 * its deltas (right after that delta), and one for each track at the end. Untracked streams get
 * progress events without `track`. A token is a delta of text, reasoning, refusal or tool
 * arguments; characters are Unicode code points (an emoji is one); time is `scheduler.now()`,
 * measured from subscription, so it is exact in virtual time.
 *
 * In `'callback'` mode the stream is untouched and the same reports go to `onProgress` alone:
 * the side channel for a status line that must not disturb what consumes the events.
 *
 * Completion and error: a final report for every track is made, then the completion or error
 * passes on. Unsubscribe: the timer stops, nothing more is reported. If `onProgress` throws, the
 * stream fails with that error and the source is unsubscribed.
 *
 * @example
 * ```ts
 * import { progress, fromOpenAI } from 'rxllm';
 * fromOpenAI(openai, params)
 *   .pipe(progress({ mode: 'callback', intervalMs: 250, onProgress: (p) => status(`${p.tokensPerSecond.toFixed(0)} tok/s`) }))
 *   .subscribe(render);
 * ```
 */
export function progress(config: ProgressConfig = {}): OperatorFunction<RxllmEvent, RxllmEvent> {
  const { everyTokens, onProgress, scheduler = asyncScheduler } = config;
  const mode = config.mode ?? 'events';
  const intervalMs = config.intervalMs ?? (everyTokens === undefined ? 1000 : 0);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0)
    throw new RangeError(`progress: intervalMs must be a finite number >= 0, got ${String(intervalMs)}`);
  if (everyTokens !== undefined && (!Number.isInteger(everyTokens) || everyTokens < 1))
    throw new RangeError(`progress: everyTokens must be a positive integer, got ${String(everyTokens)}`);
  if (mode !== 'events' && mode !== 'callback')
    throw new RangeError(`progress: mode must be 'events' or 'callback', got ${String(mode)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new TypeError(`progress: onProgress must be a function, got ${typeof onProgress}`);
  if (mode === 'callback' && onProgress === undefined)
    throw new TypeError("progress: mode 'callback' needs an onProgress callback");
  const emits = mode === 'events';

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const startedAt = scheduler.now();
      const tracks = new Map<string | undefined, TrackProgress>();
      let last: TrackProgress | undefined;
      let timer: Subscription | undefined;

      const stateOf = (track: string | undefined): TrackProgress => {
        if (last !== undefined && last.track === track) return last;
        let state = tracks.get(track);
        if (state === undefined) {
          state = { track, tokens: 0, characters: 0, firstAt: undefined };
          tracks.set(track, state);
        }
        return (last = state);
      };

      /** Reports one track; false when `onProgress` threw and the stream has failed. */
      const report = (state: TrackProgress, now: number): boolean => {
        const event: ProgressEvent = {
          type: 'progress',
          tokens: state.tokens,
          characters: state.characters,
          elapsedMs: now - startedAt,
          tokensPerSecond:
            state.firstAt !== undefined && state.tokens > 1 && now > state.firstAt
              ? ((state.tokens - 1) * 1000) / (now - state.firstAt)
              : 0,
        };
        if (state.track !== undefined) event.track = state.track;
        if (state.firstAt !== undefined) event.timeToFirstTokenMs = state.firstAt - startedAt;
        if (onProgress !== undefined) {
          try {
            onProgress(event);
          } catch (error) {
            // The teardown stops the timer and unsubscribes the source.
            subscriber.error(error);
            return false;
          }
        }
        if (emits) subscriber.next(event);
        return !subscriber.closed;
      };

      const reportAll = (): boolean => {
        const now = scheduler.now();
        for (const state of tracks.values()) if (!report(state, now)) return false;
        return true;
      };

      const counted = (track: string | undefined, text: string): void => {
        const state = stateOf(track);
        // The clock is read only when a figure needs it, not per delta.
        if (state.firstAt === undefined) state.firstAt = scheduler.now();
        state.tokens++;
        state.characters += codePoints(text);
        if (everyTokens !== undefined && state.tokens % everyTokens === 0) report(state, scheduler.now());
      };

      const subscription = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'text':
            case 'reasoning':
            case 'refusal':
              // An empty reasoning delta carries only a signature: no token.
              if (event.text !== '') counted(event.track, event.text);
              return;
            case 'tool-call-delta':
              counted(event.track, event.argsText);
              return;
            case 'progress':
            case 'comparison':
            case 'usage':
              return;
            default:
              stateOf(event.track);
          }
        },
        error: (error: unknown) => {
          timer?.unsubscribe();
          if (reportAll()) subscriber.error(error);
        },
        complete: () => {
          timer?.unsubscribe();
          if (reportAll()) subscriber.complete();
        },
      });

      if (intervalMs > 0 && !subscriber.closed)
        timer = scheduler.schedule(function tick() {
          if (reportAll()) this.schedule(undefined, intervalMs);
        }, intervalMs);

      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

/** Unicode code points in `text`: UTF-16 units that are not the second half of a surrogate pair. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) count--;
  }
  return count;
}
