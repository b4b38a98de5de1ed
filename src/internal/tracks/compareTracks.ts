import type { TeardownLogic } from 'rxjs';
import type { TrackComparison } from '../../events';
import { isContentEvent } from '../isContentEvent';
import type { NamedTrack, RunningTrack, TrackContext } from './trackTypes';
import { startTrack, trackFailure } from './trackTypes';

export interface Similarity {
  measure: string;
  compute: (a: string, b: string) => number;
}

/** The similarity of every pair of texts, keyed `a|b` with the tracks in the order given. */
export function pairwiseSimilarity(
  texts: ReadonlyArray<readonly [track: string, text: string]>,
  compute: Similarity['compute'],
): Record<string, number> {
  const pairs: Record<string, number> = {};
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      pairs[`${texts[i]![0]}|${texts[j]![0]}`] = compute(texts[i]![1], texts[j]![1]);
    }
  }
  return pairs;
}

/**
 * Every track runs to the end, streaming side by side as in `interleave` (a failure becomes an
 * in-band error for its track). When all have ended, one `comparison` event reports per track
 * the time to first token, total time, tokens, tokens per second, usage, cost and finish, and
 * the pairwise similarity of their texts.
 */
export function compareTracks(
  tracks: NamedTrack[],
  context: TrackContext,
  similarity: Similarity,
): TeardownLogic {
  const { subscriber, scheduler } = context;
  const deltas = new Map<RunningTrack, number>();
  const endedAt = new Map<RunningTrack, number>();
  const errors = new Map<RunningTrack, string>();
  const runs: RunningTrack[] = [];
  let open = tracks.length;
  // Tracks may end synchronously while they are being started; the comparison needs them all.
  let starting = true;

  const finish = () => {
    let event;
    try {
      event = comparison();
    } catch (error) {
      // A user's similarity function threw: the stream fails with it rather than hanging (RxJS
      // would only report an error thrown inside a completion callback as unhandled).
      subscriber.error(error);
      return;
    }
    subscriber.next(event);
    subscriber.complete();
  };
  const ended = (run: RunningTrack) => {
    endedAt.set(run, scheduler.now());
    if (--open === 0 && !starting) finish();
  };

  const comparison = () => {
    const figures: TrackComparison[] = runs.map((run) => {
      const message = run.message.snapshot();
      const end = endedAt.get(run) ?? scheduler.now();
      const count = deltas.get(run) ?? 0;
      const tokens = message.usage?.outputTokens ?? count;
      const streamingMs = end - (run.firstTokenAt ?? end);
      const figure: TrackComparison = {
        track: run.track.name,
        totalMs: end - run.startedAt,
        tokens,
        tokensPerSecond: streamingMs > 0 ? (tokens * 1000) / streamingMs : 0,
        text: message.text,
      };
      if (run.firstTokenAt !== undefined) figure.timeToFirstTokenMs = run.firstTokenAt - run.startedAt;
      if (message.usage) figure.usage = message.usage;
      if (message.usage?.cost !== undefined) figure.cost = message.usage.cost;
      if (message.finishReason) figure.finishReason = message.finishReason;
      const error = errors.get(run);
      if (error !== undefined) figure.error = error;
      return figure;
    });
    return {
      type: 'comparison' as const,
      tracks: figures,
      similarity: pairwiseSimilarity(
        figures.map((figure) => [figure.track, figure.text]),
        similarity.compute,
      ),
      similarityMeasure: similarity.measure,
    };
  };

  for (const track of tracks) {
    runs.push(
      startTrack(context, track, {
        next: (event, self) => {
          if (isContentEvent(event)) {
            self.firstTokenAt ??= scheduler.now();
            deltas.set(self, (deltas.get(self) ?? 0) + 1);
          }
          subscriber.next(event);
        },
        error: (error, self) => {
          const failure = trackFailure(self, error);
          errors.set(self, `${failure.code}: ${failure.message}`);
          subscriber.next({ type: 'error', error: failure, track: track.name });
          ended(self);
        },
        complete: ended,
      }),
    );
  }
  starting = false;
  if (open === 0) finish();
  return () => runs.forEach((run) => run.stop());
}
