import type { TeardownLogic } from 'rxjs';
import type { TrackComparison } from '../base/events';
import { showsOutput } from '../base/showsOutput';
import type { NamedTrack, RunningTrack, TrackContext } from './trackRunner';
import { startTrack, trackFailureEvent } from './trackRunner';

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
  /** What compare counts for one track, beside what the running track itself records. */
  interface Tally {
    run: RunningTrack;
    deltas: number;
    firstTokenAt?: number;
    endedAt?: number;
    error?: string;
  }
  const tallies: Tally[] = [];
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

  const comparison = () => {
    const figures: TrackComparison[] = tallies.map(({ run, deltas, firstTokenAt, endedAt, error }) => {
      const message = run.message.snapshot();
      const end = endedAt ?? scheduler.now();
      const tokens = message.usage?.outputTokens ?? deltas;
      const streamingMs = end - (firstTokenAt ?? end);
      const figure: TrackComparison = {
        track: run.track.name,
        totalMs: end - run.startedAt,
        tokens,
        tokensPerSecond: streamingMs > 0 ? (tokens * 1000) / streamingMs : 0,
        text: message.text,
      };
      if (firstTokenAt !== undefined) figure.timeToFirstTokenMs = firstTokenAt - run.startedAt;
      if (message.usage) figure.usage = message.usage;
      if (message.usage?.cost !== undefined) figure.cost = message.usage.cost;
      if (message.finishReason) figure.finishReason = message.finishReason;
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
    const tally = { deltas: 0 } as Tally;
    const ended = () => {
      tally.endedAt = scheduler.now();
      if (--open === 0 && !starting) finish();
    };
    tally.run = startTrack(context, track, {
      next: (event) => {
        if (showsOutput(event)) {
          tally.firstTokenAt ??= scheduler.now();
          tally.deltas++;
        }
        subscriber.next(event);
      },
      error: (error, self) => {
        const failure = trackFailureEvent(self, error);
        tally.error = `${failure.code}: ${failure.message}`;
        subscriber.next({ type: 'error', error: failure, track: track.name });
        ended();
      },
      complete: ended,
    });
    tallies.push(tally);
  }
  starting = false;
  if (open === 0) finish();
  return () => tallies.forEach(({ run }) => run.stop());
}
