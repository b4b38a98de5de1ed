import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';

export interface Outcome {
  events: RxllmEvent[];
  /** Set when the source errored; always an RxllmError in a passing test. */
  error?: RxllmError;
  completed: boolean;
}

/** Subscribes and resolves when the source completes or errors, with everything it emitted. */
export function run(events$: Observable<RxllmEvent>): Promise<Outcome> {
  return new Promise((resolve) => {
    const events: RxllmEvent[] = [];
    events$.subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => {
        if (!RxllmError.isInstance(error)) throw new Error(`not an RxllmError: ${String(error)}`);
        resolve({ events, error, completed: false });
      },
      complete: () => resolve({ events, completed: true }),
    });
  });
}

/** Events without `seq`, for comparing with events written out in a test. */
export function withoutSeq(events: RxllmEvent[]): RxllmEvent[] {
  return events.map((event) => {
    const { seq: _seq, ...rest } = event;
    return rest as RxllmEvent;
  });
}

/** Text of choice 0 joined, for long streams whose every delta is not worth writing out. */
export function joinedText(events: RxllmEvent[], type: 'text' | 'reasoning' | 'refusal' = 'text'): string {
  let out = '';
  for (const event of events) if (event.type === type && (event.choice ?? 0) === 0) out += event.text;
  return out;
}

/** A few turns of the event loop: lets pending I/O callbacks and promise chains run, no timers. */
export async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface Unsubscribed {
  /** Everything emitted up to and including the first event of the awaited type. */
  seen: RxllmEvent[];
  errored: boolean;
  completed: boolean;
}

/**
 * Subscribes, and unsubscribes from inside `next` at the first event of `type`; resolves then (or
 * when the source ends first, so that a test fails on its assertions instead of timing out).
 * `errored` and `completed` keep being updated after it resolves, for checks made later.
 */
export function unsubscribeAt(
  events$: Observable<RxllmEvent>,
  type: RxllmEvent['type'],
): Promise<Unsubscribed> {
  const outcome: Unsubscribed = { seen: [], errored: false, completed: false };
  return new Promise((resolve) => {
    const subscription = events$.subscribe({
      next: (event) => {
        outcome.seen.push(event);
        if (event.type === type) {
          subscription.unsubscribe();
          resolve(outcome);
        }
      },
      error: () => {
        outcome.errored = true;
        resolve(outcome);
      },
      complete: () => {
        outcome.completed = true;
        resolve(outcome);
      },
    });
  });
}
