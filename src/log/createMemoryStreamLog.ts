import { RxllmError } from '../base/errors';
import type {
  StreamLogCommit,
  StreamLogEnd,
  StreamLogRead,
  StreamLogReader,
  StreamLogStore,
} from './StreamLogStore';

interface MemoryStream {
  entries: string[];
  end?: StreamLogEnd;
  leaseUntil: number;
  cancelled: boolean;
  /** Wakes readers waiting for entries. */
  waiters: Set<() => void>;
  cancelListeners: Set<() => void>;
  expiry?: ReturnType<typeof setTimeout>;
  /** The Durable Streams document (`commit`). */
  doc?: string;
}

/**
 * A {@link StreamLogStore} in this process's memory: the embedded default, for one server process
 * (readers on other processes cannot see it: use `createRedisStreamLog` there). Ended streams are
 * dropped `ttlMs` after their end.
 *
 * @example
 * ```ts
 * const log = createMemoryStreamLog();
 * source$.pipe(recordStream(log, id)).subscribe();
 * fromStreamLog(log, id, { from: 0 }).subscribe(console.log);
 * ```
 */
export function createMemoryStreamLog(): StreamLogStore {
  const streams = new Map<string, MemoryStream>();

  const live = (id: string): MemoryStream => {
    const stream = streams.get(id);
    if (stream === undefined || stream.end !== undefined) {
      throw new RxllmError(`rxllm: stream log: no live stream ${JSON.stringify(id)}`, {
        code: 'invalid-argument',
      });
    }
    return stream;
  };
  const wake = (stream: MemoryStream): void => {
    for (const waiter of [...stream.waiters]) waiter();
  };
  const drop = (id: string): boolean => {
    const stream = streams.get(id);
    if (stream === undefined) return false;
    clearTimeout(stream.expiry);
    streams.delete(id);
    wake(stream);
    return true;
  };
  const fresh = (): MemoryStream => ({
    entries: [],
    leaseUntil: 0,
    cancelled: false,
    waiters: new Set(),
    cancelListeners: new Set(),
  });

  return {
    async open(id, leaseMs) {
      if (streams.has(id)) {
        throw new RxllmError(`rxllm: stream log: stream ${JSON.stringify(id)} already exists`, {
          code: 'invalid-argument',
        });
      }
      streams.set(id, {
        entries: [],
        leaseUntil: Date.now() + leaseMs,
        cancelled: false,
        waiters: new Set(),
        cancelListeners: new Set(),
      });
    },
    async append(id, from, entries) {
      const stream = live(id);
      if (from !== stream.entries.length) {
        throw new RxllmError(`rxllm: stream log: append at ${from}, log holds ${stream.entries.length}`, {
          code: 'invalid-argument',
        });
      }
      stream.entries.push(...entries);
      wake(stream);
    },
    async renew(id, leaseMs) {
      live(id).leaseUntil = Date.now() + leaseMs;
    },
    async end(id, at, end, ttlMs, last = []) {
      const stream = live(id);
      if (last.length > 0) await this.append(id, at - last.length, last);
      stream.end = end;
      stream.entries.length = Math.min(stream.entries.length, at);
      stream.cancelListeners.clear();
      clearTimeout(stream.expiry);
      stream.expiry = setTimeout(() => drop(id), ttlMs);
      stream.expiry.unref?.();
      wake(stream);
    },
    async state(id) {
      const stream = streams.get(id);
      return stream === undefined ? 'unknown' : stream.end === undefined ? 'live' : 'ended';
    },
    reader(id): StreamLogReader {
      let closed = false;
      let wakeClosed: (() => void) | undefined;
      return {
        read(from, waitMs) {
          return new Promise<StreamLogRead>((resolve) => {
            const answer = (): boolean => {
              const stream = streams.get(id);
              if (stream === undefined) {
                resolve({ unknown: true, first: from, entries: [], alive: false });
                return true;
              }
              const entries = stream.entries.slice(from);
              const ended = stream.end !== undefined;
              if (entries.length === 0 && !ended && !closed) return false;
              resolve({
                unknown: false,
                first: from,
                entries,
                ...(ended && { end: stream.end }),
                alive: stream.leaseUntil > Date.now(),
              });
              return true;
            };
            if (answer()) return;
            const stream = streams.get(id)!;
            const done = (): void => {
              clearTimeout(timer);
              stream.waiters.delete(done);
              wakeClosed = undefined;
              const current = streams.get(id);
              resolve({
                unknown: current === undefined,
                first: from,
                entries: current?.entries.slice(from) ?? [],
                ...(current?.end !== undefined && { end: current.end }),
                alive: current !== undefined && current.leaseUntil > Date.now(),
              });
            };
            const timer = setTimeout(done, waitMs);
            stream.waiters.add(done);
            wakeClosed = done;
          });
        },
        close() {
          closed = true;
          wakeClosed?.();
        },
      };
    },
    async cancel(id) {
      const stream = streams.get(id);
      if (stream === undefined || stream.end !== undefined) return false;
      stream.cancelled = true;
      for (const listener of [...stream.cancelListeners]) listener();
      stream.cancelListeners.clear();
      return true;
    },
    watchCancel(id, listener) {
      const stream = streams.get(id);
      if (stream === undefined || stream.end !== undefined) return () => {};
      let called = false;
      const once = (): void => {
        if (called) return;
        called = true;
        listener();
      };
      if (stream.cancelled) {
        queueMicrotask(once);
        return () => {
          called = true;
        };
      }
      stream.cancelListeners.add(once);
      return () => {
        called = true;
        stream.cancelListeners.delete(once);
      };
    },
    async readDoc(id) {
      return streams.get(id)?.doc ?? null;
    },
    async commit(id, change: StreamLogCommit) {
      const current = streams.get(id);
      if (change.expected === null ? current !== undefined : current?.doc !== change.expected) return false;
      // A stream written over the protocol has no producer to lose: its lease never lapses.
      const stream = current ?? { ...fresh(), leaseUntil: Infinity };
      if (stream.end !== undefined && (change.entries.length > 0 || change.end !== undefined)) return false;
      if (change.from !== stream.entries.length) return false;
      streams.set(id, stream);
      stream.doc = change.doc;
      stream.entries.push(...change.entries);
      if (change.end !== undefined) {
        stream.end = change.end;
        stream.cancelListeners.clear();
      }
      wake(stream);
      return true;
    },
    async remove(id) {
      return drop(id);
    },
    async expire(id, ms) {
      const stream = streams.get(id);
      if (stream === undefined) return;
      clearTimeout(stream.expiry);
      stream.expiry = undefined;
      if (ms === null) return;
      stream.expiry = setTimeout(() => drop(id), ms);
      stream.expiry.unref?.();
    },
  };
}
