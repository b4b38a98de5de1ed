import { Observable } from 'rxjs';
import { DownstreamFlow } from '../../src/flow/flow';

/** What a {@link gatedSource} did, live. */
export interface GatedSourceStats {
  subscribed: number;
  /** Teardowns run: on unsubscribe, and also after the source completed or failed. */
  unsubscribed: number;
  /** Values emitted so far (over all subscriptions). */
  produced: number;
  /** Times the source found a gate closed before a chunk and waited. */
  waits: number;
  completed: boolean;
  /** Resolves the next time the source starts waiting on a closed gate. */
  nextWait(): Promise<void>;
}

export interface GatedSourceOptions {
  /** Values emitted per "network chunk" (synchronously, without a gate check between them). Default 1. */
  perChunk?: number;
  /** Error to raise after the last value instead of completing. */
  failWith?: unknown;
}

/**
 * A source that honours flow gates exactly as rxllm's HTTP sources do (src/sources/engine/sourceFromBytes):
 * before each chunk it waits while a flow gate on its downstream path is closed.
 * A macrotask separates chunks, as network reads do. Its stats show what a sink let it produce.
 */
export function gatedSource<T>(
  values: readonly T[],
  options: GatedSourceOptions = {},
): { source: Observable<T>; stats: GatedSourceStats } {
  const perChunk = options.perChunk ?? 1;
  let waiters: Array<() => void> = [];
  const stats: GatedSourceStats = {
    subscribed: 0,
    unsubscribed: 0,
    produced: 0,
    waits: 0,
    completed: false,
    nextWait: () => new Promise((resolve) => waiters.push(resolve)),
  };
  const source = new Observable<T>((subscriber) => {
    stats.subscribed += 1;
    const flow = new DownstreamFlow(subscriber);
    let closed = false;
    void (async () => {
      for (let at = 0; at < values.length; at += perChunk) {
        const wait = flow.whenOpen();
        if (wait) {
          stats.waits += 1;
          const woken = waiters;
          waiters = [];
          for (const resolve of woken) resolve();
          await wait;
        }
        if (closed) return;
        flow.enter();
        for (const value of values.slice(at, at + perChunk)) {
          stats.produced += 1;
          subscriber.next(value);
        }
        flow.exit();
        await new Promise((resolve) => setImmediate(resolve));
        if (closed) return;
      }
      if (options.failWith !== undefined) {
        subscriber.error(options.failWith);
        return;
      }
      stats.completed = true;
      subscriber.complete();
    })();
    return () => {
      closed = true;
      stats.unsubscribed += 1;
    };
  });
  return { source, stats };
}

/** A few turns of the event loop (no timers): lets a source that is not held back run on. */
export async function turns(count = 10): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
