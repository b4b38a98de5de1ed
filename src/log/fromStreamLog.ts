import { Observable, map } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { decodeEvent, reviveError, visitBatch } from './streamLogCodec';
import type { StreamLogStore } from './StreamLogStore';

/** Options of {@link fromStreamLog}. */
export interface FromStreamLogConfig {
  /** The position (`seq`) of the first event to read: 0 (default) replays from the start. */
  from?: number;
  /**
   * How long one wait for new events lasts before the producer's lease is checked. Default 10 000
   * ms (the default lease); a producer that stopped renewing its lease is detected within about
   * this plus the lease.
   */
  waitMs?: number;
}

/** One logged event and its position. */
export interface StreamLogEntry {
  seq: number;
  event: RxllmEvent;
}

/**
 * Reads the stream that `recordStream` records under `id`: every event from position `from` on,
 * then the live ones as they are written, until the log's terminal marker — no gap and no
 * duplicate at the seam, since replay and live are the same reads of one log.
 *
 * Intuition: `tail -f` from a line number, that knows where the file ends.
 *
 * A completed log completes; a failed one errors with its RxllmError; a cancelled one ends with the
 * recorded `finish` (reason `cancelled`) and completes. An unknown id errors at once with an
 * `invalid-argument` RxllmError with status 404; a producer that stops renewing its lease before
 * the end (its process died) errors with a `timeout` RxllmError. Unsubscribing only stops reading:
 * the producer goes on.
 *
 * @example
 * ```ts
 * fromStreamLog(log, chatId, { from: lastSeq + 1 }).pipe(toSSE()).subscribe(write);
 * ```
 */
export function fromStreamLog(
  store: StreamLogStore,
  id: string,
  config: FromStreamLogConfig = {},
): Observable<RxllmEvent> {
  return fromStreamLogEntries(store, id, config).pipe(map((entry) => entry.event));
}

/** {@link fromStreamLog} with each event's position. */
export function fromStreamLogEntries(
  store: StreamLogStore,
  id: string,
  config: FromStreamLogConfig = {},
): Observable<StreamLogEntry> {
  const { from = 0, waitMs = 10_000 } = config;
  if (!Number.isSafeInteger(from) || from < 0) {
    throw new TypeError(`rxllm: fromStreamLog: from must be an integer >= 0, got ${String(from)}`);
  }
  return new Observable<StreamLogEntry>((subscriber) => {
    const reader = store.reader(id);
    let next = from;
    let attached = false;
    const loop = async (): Promise<void> => {
      let suspect = false;
      while (!subscriber.closed) {
        const read = await reader.read(next, suspect ? 0 : waitMs);
        if (subscriber.closed) return;
        if (read.unknown) {
          // Gone after this reader found it: the store lost it (a Redis restart without persistence).
          subscriber.error(
            attached
              ? new RxllmError(
                  `rxllm: fromStreamLog: the log of ${JSON.stringify(id)} was lost from the store`,
                  {
                    code: 'network',
                    retryable: false,
                  },
                )
              : new RxllmError(`rxllm: fromStreamLog: unknown stream ${JSON.stringify(id)}`, {
                  code: 'invalid-argument',
                  status: 404,
                }),
          );
          return;
        }
        attached = true;
        const { batches } = read;
        const count = batches !== undefined ? batches.length : read.entries.length;
        if (count > 0 && read.first > next) {
          // Never skip events silently: a hole means the store lost part of the log.
          subscriber.error(
            new RxllmError(
              `rxllm: fromStreamLog: the log of ${JSON.stringify(id)} has a hole: position ${next} is missing`,
              { code: 'network', retryable: false },
            ),
          );
          return;
        }
        if (batches !== undefined) {
          // A batch at a time, each decoded as it is delivered (the first may start before `next`).
          let seq = read.first;
          const visit = (at: number, event: RxllmEvent): boolean => {
            next = at + 1;
            subscriber.next({ seq: at, event });
            return !subscriber.closed;
          };
          for (let b = 0; b < batches.length && !subscriber.closed; b++) {
            const entries = visitBatch(batches[b]!, seq, next, visit);
            if (entries === -1) break;
            seq += entries;
          }
        } else {
          for (let i = Math.max(0, next - read.first); i < count && !subscriber.closed; i++) {
            const seq = read.first + i;
            const event = decodeEvent(read.entries[i]!, seq);
            next = seq + 1;
            subscriber.next({ seq, event });
          }
        }
        if (read.end !== undefined) {
          if (read.end.kind === 'error') subscriber.error(reviveError(read.end.error));
          else subscriber.complete();
          return;
        }
        if (count > 0 || read.alive) {
          suspect = false;
          continue;
        }
        // No entries and no lease: read once more without waiting (the end may have landed
        // between the read and the lease check) before calling the producer lost.
        if (!suspect) {
          suspect = true;
          continue;
        }
        subscriber.error(
          new RxllmError(
            `rxllm: fromStreamLog: the producer of ${JSON.stringify(id)} stopped renewing its lease before the stream ended`,
            { code: 'timeout', retryable: false },
          ),
        );
        return;
      }
    };
    loop().catch((error: unknown) => {
      if (!subscriber.closed) subscriber.error(RxllmError.from(error, { code: 'network' }));
    });
    return () => reader.close();
  });
}
