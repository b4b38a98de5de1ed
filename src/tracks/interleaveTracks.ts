import type { TeardownLogic } from 'rxjs';
import type { NamedTrack, TrackContext } from './trackRunner';
import { startTrack, trackFailureEvent, type RunningTrack } from './trackRunner';

/**
 * All tracks stream at once. A track that fails becomes an in-band `error` event for that track;
 * the others go on. Completes when every track has ended.
 */
export function interleaveTracks(tracks: NamedTrack[], context: TrackContext): TeardownLogic {
  const { subscriber } = context;
  let open = tracks.length;
  const runs: RunningTrack[] = [];
  const ended = () => {
    if (--open === 0) subscriber.complete();
  };
  for (const track of tracks) {
    runs.push(
      startTrack(context, track, {
        next: (event) => subscriber.next(event),
        error: (error, run) => {
          subscriber.next({ type: 'error', error: trackFailureEvent(run, error), track: track.name });
          ended();
        },
        complete: ended,
      }),
    );
  }
  return () => runs.forEach((run) => run.stop());
}
