import type { Subscription, TeardownLogic } from 'rxjs';
import { RxllmError } from '../../errors';
import { MessageAccumulator } from '../../message';
import { isContentEvent } from '../isContentEvent';
import type { NamedTrack, RunningTrack, TrackContext } from './trackTypes';
import { startTrack, trackFailure } from './trackTypes';

/**
 * Tracks in order, one at a time. When the current one fails, or shows no content within
 * `firstTokenMs`, it is unsubscribed and the next one starts. If the failed track had shown
 * output, a `reset` comes first, so a UI never shows two answers glued together, unless the next
 * track is a function: it receives what was shown and continues it, so nothing is taken back.
 */
export function fallbackTracks(
  tracks: NamedTrack[],
  context: TrackContext,
  firstTokenMs?: number,
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
      if (!following) return subscriber.error(failure);
      if (self.showedOutput && typeof following.source !== 'function') {
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
          if (isContentEvent(event) && !self.showedOutput) {
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
      timer = scheduler.schedule(
        () =>
          fail(
            started,
            new RxllmError(
              `mergeTracks: track '${track.name}' showed no first token within ${firstTokenMs} ms`,
              {
                code: 'timeout',
              },
            ),
          ),
        firstTokenMs,
      );
    }
  };

  run(0);
  return () => {
    timer?.unsubscribe();
    current?.stop();
  };
}
