import type { Subscription, TeardownLogic } from 'rxjs';
import { RxllmError } from '../base/errors';
import { MessageAccumulator } from '../base/message';
import { showsOutput } from '../base/showsOutput';
import type { NamedTrack, RunningTrack, TrackContext } from './trackRunner';
import { reportTrackError, startTrack, trackFailure } from './trackRunner';

/** What a fallback does once the failed track had shown output; see mergeTracks' `afterOutput`. */
export type AfterOutput = 'fail' | 'reset' | 'continue';

/**
 * Tracks in order, one at a time. When the current one fails, or shows no content within
 * `firstTokenMs`, it is unsubscribed and the next one starts. If the failed track had shown
 * output, `afterOutput` decides: `fail` (the error is the stream's, with its partial), `reset`
 * (a `reset` takes the output back, then the next track starts afresh) or `continue` (the next
 * track, a function, receives what was shown and continues it; nothing is taken back).
 */
export function fallbackTracks(
  tracks: NamedTrack[],
  context: TrackContext,
  firstTokenMs?: number,
  afterOutput: AfterOutput = 'fail',
): TeardownLogic {
  const { subscriber, scheduler } = context;
  const shown = new MessageAccumulator();
  let current: RunningTrack | undefined;
  let timer: Subscription | undefined;

  const run = (index: number) => {
    const track = tracks[index]!;
    let failed = false;
    const fail = (self: RunningTrack, error: unknown) => {
      if (failed) return;
      failed = true;
      timer?.unsubscribe();
      self.stop();
      const failure = trackFailure(self, error);
      const following = tracks[index + 1];
      if (!following || (self.showedOutput && afterOutput === 'fail')) return subscriber.error(failure);
      if (self.showedOutput && afterOutput === 'reset') {
        const reset = { type: 'reset' as const, reason: 'fallback', track: track.name };
        shown.apply(reset);
        subscriber.next(reset);
      }
      run(index + 1);
    };
    timer?.unsubscribe();
    current = startTrack(
      context,
      track,
      {
        next: (event, self) => {
          if (showsOutput(event) && !self.showedOutput) {
            self.showedOutput = true;
            timer?.unsubscribe();
          }
          shown.apply(event);
          subscriber.next(event);
        },
        error: (error, self) => fail(self, error),
        complete: () => {
          timer?.unsubscribe();
          subscriber.complete();
        },
      },
      shown.snapshot(),
    );
    const started = current;
    if (firstTokenMs !== undefined && !started.showedOutput && !started.ended) {
      timer = scheduler.schedule(() => {
        const timeout = new RxllmError(
          `mergeTracks: track '${track.name}' showed no first token within ${firstTokenMs} ms`,
          { code: 'timeout' },
        );
        if (reportTrackError(context, started, trackFailure(started, timeout))) fail(started, timeout);
      }, firstTokenMs);
    }
  };

  run(0);
  return () => {
    timer?.unsubscribe();
    current?.stop();
  };
}
