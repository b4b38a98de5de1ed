import type { Subscription, TeardownLogic } from 'rxjs';
import { showsOutput } from '../base/showsOutput';
import type { NamedTrack, RunningTrack, TrackContext } from './trackRunner';
import { cancellationEvents, startTrack, trackFailure } from './trackRunner';

/**
 * The first track to show content (text, reasoning, refusal or a tool call) wins: its held events
 * are released, the others are unsubscribed at once and leave their usage and a `cancelled`
 * finish behind. A track that completes before anyone showed content wins too (an empty answer
 * is an answer). Errors before a winner only remove that contender; when all have failed, the
 * last error is the stream's.
 *
 * With `staggerMs` (hedge), tracks start one after another: the next one only if no one has won
 * `staggerMs` after the previous started, or at once when every started track has failed.
 */
export function raceTracks(tracks: NamedTrack[], context: TrackContext, staggerMs?: number): TeardownLogic {
  const { subscriber, scheduler } = context;
  const runs: RunningTrack[] = [];
  let winner: RunningTrack | undefined;
  let next = 0;
  let lastError: unknown;
  let staggerTimer: Subscription | undefined;

  const nobodyLive = () => runs.every((run) => run.ended);

  const declareWinner = (run: RunningTrack) => {
    winner = run;
    staggerTimer?.unsubscribe();
    for (const other of runs) {
      if (other === run || other.ended) continue;
      other.stop();
      for (const event of cancellationEvents(other)) subscriber.next(event);
    }
    const held = run.held.splice(0);
    for (const event of held) subscriber.next(event);
  };

  const startNext = () => {
    if (winner || next >= tracks.length || subscriber.closed) return;
    const run = startTrack(context, tracks[next++]!, {
      next: (event, self) => {
        if (winner === self) subscriber.next(event);
        else if (!winner) {
          self.held.push(event);
          if (showsOutput(event)) declareWinner(self);
        }
      },
      error: (error, self) => {
        if (winner === self) return subscriber.error(trackFailure(self, error));
        if (winner) return;
        lastError = trackFailure(self, error);
        if (staggerMs !== undefined && nobodyLive()) startNext();
        if (!winner && nobodyLive() && next >= tracks.length) subscriber.error(lastError);
      },
      complete: (self) => {
        if (!winner) declareWinner(self);
        if (winner === self) subscriber.complete();
      },
    });
    runs.push(run);
    if (staggerMs !== undefined && !winner && next < tracks.length) {
      staggerTimer?.unsubscribe();
      staggerTimer = scheduler.schedule(startNext, staggerMs);
    }
  };

  if (staggerMs === undefined) while (!winner && next < tracks.length && !subscriber.closed) startNext();
  else startNext();

  return () => {
    staggerTimer?.unsubscribe();
    runs.forEach((run) => run.stop());
  };
}
