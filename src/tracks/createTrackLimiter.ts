import { Observable } from 'rxjs';
import { markFlow } from '../flow/flow';

/**
 * Limits how many streams of one kind run at once, across every pipeline that shares it: one
 * stream at a time on the local GPU, say, however many chats are open. Waiting streams start in
 * order of priority (higher first), then of arrival.
 */
export interface TrackLimiter {
  /** Subscribes to `source` when a slot of `kind` is free; the slot is freed when it ends or is unsubscribed. */
  run<T>(kind: string, source: Observable<T>, priority?: number): Observable<T>;
  /** How many streams of `kind` are running and waiting right now. */
  stats(kind: string): { running: number; waiting: number };
}

interface Waiting {
  priority: number;
  order: number;
  start: () => void;
}

/**
 * Creates a {@link TrackLimiter} with a limit per kind (`{ local: 1 }`). Kinds without a limit
 * run unlimited.
 *
 * @example
 * ```ts
 * import { createTrackLimiter, mergeTracks } from 'rxllm';
 * const gpu = createTrackLimiter({ local: 1 });
 * local$.pipe(mergeTracks({ cloud: cloud$ }, { strategy: 'handoff', limiter: gpu, kinds: { primary: 'local' } }));
 * ```
 */
export function createTrackLimiter(limits: Record<string, number>): TrackLimiter {
  for (const [kind, limit] of Object.entries(limits)) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(
        `createTrackLimiter: limit for '${kind}' must be a whole number of at least 1, got ${limit}`,
      );
    }
  }
  const running = new Map<string, number>();
  const queues = new Map<string, Waiting[]>();
  let arrivals = 0;

  const startNext = (kind: string) => {
    const queue = queues.get(kind);
    const next = queue?.shift();
    next?.start();
  };

  return {
    run<T>(kind: string, source: Observable<T>, priority = 0): Observable<T> {
      const limit = limits[kind];
      if (limit === undefined) return source;
      return new Observable<T>((subscriber) => {
        let started = false;
        let released = false;
        const release = () => {
          if (!started || released) return;
          released = true;
          running.set(kind, (running.get(kind) ?? 1) - 1);
          startNext(kind);
        };
        const waiting: Waiting = {
          priority,
          order: arrivals++,
          start: () => {
            started = true;
            running.set(kind, (running.get(kind) ?? 0) + 1);
            subscriber.add(
              source.subscribe(
                markFlow(
                  {
                    next: (value: T) => subscriber.next(value),
                    error: (error: unknown) => {
                      release();
                      subscriber.error(error);
                    },
                    complete: () => {
                      release();
                      subscriber.complete();
                    },
                  },
                  // A source started when a slot frees up still finds the consumer's flow gates.
                  { downstream: subscriber },
                ),
              ),
            );
          },
        };
        if ((running.get(kind) ?? 0) < limit) waiting.start();
        else {
          const queue = queues.get(kind) ?? [];
          queue.push(waiting);
          queue.sort((a, b) => b.priority - a.priority || a.order - b.order);
          queues.set(kind, queue);
        }
        return () => {
          if (started) release();
          else {
            const queue = queues.get(kind);
            const at = queue?.indexOf(waiting) ?? -1;
            if (at >= 0) queue!.splice(at, 1);
          }
        };
      });
    },
    stats(kind: string) {
      return { running: running.get(kind) ?? 0, waiting: queues.get(kind)?.length ?? 0 };
    },
  };
}
