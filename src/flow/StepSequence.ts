import { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { markFlow } from './flow';

/**
 * Numbers the steps of requests made one after another on the same tracks, for operators that
 * re-request (`retryStream`'s attempts, `deadline`'s fallback; a tool loop's model calls): each
 * request is a new step. Every source numbers its own steps from 0, so the steps of a later
 * attempt are shifted past those already seen on the track, and an attempt that announces no
 * step of its own (a source that knows nothing of its request) gets a `step-start` before its
 * first event. The first attempt passes through untouched. Costs a comparison per event.
 */
export class StepSequence {
  /** Per track: the number the next attempt's first step gets. */
  private readonly next = new Map<string | undefined, number>();

  /** Wraps one attempt: its step numbers continue the track's. */
  attempt(events$: Observable<RxllmEvent>): Observable<RxllmEvent> {
    return new Observable<RxllmEvent>((subscriber) => {
      // Per track in this attempt: how far its steps are shifted (absent until its first event).
      const offsets = new Map<string | undefined, number>();
      let lastTrack: string | undefined;
      let lastOffset = -1;
      // Marked with its downstream, so that the source's flow path runs on to the consumer.
      const observer = {
        next: (event: RxllmEvent) => {
          let offset: number;
          if (lastOffset !== -1 && event.track === lastTrack) offset = lastOffset;
          else {
            const known = offsets.get(event.track);
            if (known === undefined) offset = this.open(event, subscriber);
            else offset = known;
            offsets.set(event.track, offset);
            lastTrack = event.track;
            lastOffset = offset;
          }
          subscriber.next(this.renumber(event, offset));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      };
      return events$.subscribe(markFlow(observer, { downstream: subscriber }));
    });
  }

  /** A track's first event in an attempt: decides the attempt's shift on that track. */
  private open(event: RxllmEvent, subscriber: { next(event: RxllmEvent): void }): number {
    const offset = this.next.get(event.track) ?? 0;
    if (event.type === 'step-start') return offset;
    // The attempt's first step is implicit: it is step `offset`, announced when offset > 0.
    this.next.set(event.track, offset + 1);
    if (offset > 0) {
      const start: RxllmEvent = { type: 'step-start', step: offset };
      if (event.track !== undefined) start.track = event.track;
      subscriber.next(start);
    }
    return offset;
  }

  private renumber(event: RxllmEvent, offset: number): RxllmEvent {
    switch (event.type) {
      case 'step-start': {
        const step = event.step + offset;
        if (step >= (this.next.get(event.track) ?? 0)) this.next.set(event.track, step + 1);
        return offset === 0 ? event : { ...event, step };
      }
      case 'step-finish':
        return offset === 0 ? event : { ...event, step: event.step + offset };
      case 'usage':
        return offset === 0 || event.step === undefined ? event : { ...event, step: event.step + offset };
      default:
        return event;
    }
  }
}
