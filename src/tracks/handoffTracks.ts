import type { Subscription, TeardownLogic } from 'rxjs';
import { showsOutput } from '../base/showsOutput';
import type { NamedTrack, RunningTrack, TrackContext } from './trackRunner';
import { cancellationEvents, startTrack, trackFailure } from './trackRunner';

/**
 * The first track is a draft shown at once; the others start together and are held back. The
 * first of them to show content takes over: the draft is cancelled (its usage and a `cancelled`
 * finish are reported), a `reset` voids what the draft showed, and the taker's held events follow.
 * With `withinMs`, the others must start within that time, or they are cancelled and the draft
 * stays the answer. While a hand-off may still come, the stream does not end with the draft.
 * If the draft fails and no other track takes over, the stream fails with the draft's error
 * (the others' failures are dropped: they were never shown).
 */
export function handoffTracks(tracks: NamedTrack[], context: TrackContext, withinMs?: number): TeardownLogic {
  const { subscriber, scheduler } = context;
  const [draftTrack, ...finalTracks] = tracks;
  let handedTo: RunningTrack | undefined;
  let draftEnded = false;
  let draftError: unknown;
  let waitingFor = finalTracks.length;
  let deadline: Subscription | undefined;
  const finals: RunningTrack[] = [];

  const settleIfNothingToWaitFor = () => {
    if (handedTo || waitingFor > 0 || !draftEnded) return;
    if (draftError !== undefined) subscriber.error(draftError);
    else subscriber.complete();
  };

  const draft = startTrack(context, draftTrack!, {
    next: (event, self) => {
      if (showsOutput(event)) self.showedOutput = true;
      subscriber.next(event);
    },
    error: (error, self) => {
      draftEnded = true;
      draftError = trackFailure(self, error);
      settleIfNothingToWaitFor();
    },
    complete: () => {
      draftEnded = true;
      settleIfNothingToWaitFor();
    },
  });

  const handOff = (taker: RunningTrack) => {
    handedTo = taker;
    deadline?.unsubscribe();
    if (!draft.ended) {
      draft.stop();
      for (const event of cancellationEvents(draft)) subscriber.next(event);
    }
    if (draft.showedOutput) subscriber.next({ type: 'reset', reason: 'handoff', track: draftTrack!.name });
    for (const other of finals) if (other !== taker) cancel(other);
    for (const event of taker.held.splice(0)) subscriber.next(event);
  };

  /** Stops a final track that lost, leaving its request's model and a cancelled finish behind. */
  const cancel = (run: RunningTrack) => {
    if (run.ended) return;
    run.stop();
    for (const event of cancellationEvents(run)) subscriber.next(event);
  };

  const gaveUp = () => {
    waitingFor--;
    settleIfNothingToWaitFor();
  };

  for (const track of finalTracks) {
    if (handedTo || subscriber.closed) break;
    finals.push(
      startTrack(context, track, {
        next: (event, self) => {
          if (handedTo === self) subscriber.next(event);
          else if (!handedTo) {
            self.held.push(event);
            if (showsOutput(event)) handOff(self);
          }
        },
        error: (error, self) => {
          if (handedTo === self) return subscriber.error(trackFailure(self, error));
          if (!handedTo) gaveUp();
        },
        complete: (self) => {
          if (handedTo === self) return subscriber.complete();
          if (!handedTo) gaveUp();
        },
      }),
    );
  }

  if (withinMs !== undefined && !handedTo && waitingFor > 0) {
    deadline = scheduler.schedule(() => {
      if (handedTo) return;
      for (const final of finals) cancel(final);
      waitingFor = 0;
      settleIfNothingToWaitFor();
    }, withinMs);
  }

  return () => {
    deadline?.unsubscribe();
    draft.stop();
    finals.forEach((final) => final.stop());
  };
}
