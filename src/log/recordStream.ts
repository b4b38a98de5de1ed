import { Observable, Subscription, type MonoTypeOperatorFunction } from 'rxjs';
import type { FinishEvent, RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { encodeEvent } from './streamLogCodec';
import type { StreamLogEnd, StreamLogStore } from './StreamLogStore';

/** Options of {@link recordStream}. */
export interface RecordStreamConfig {
  /**
   * While a reader is attached, an event waits at most this long for its write to start (longer
   * only behind a write in flight, which it then joins): the store sees far fewer writes than
   * tokens. Default 20 ms; 0 writes each synchronous burst on the next turn, or as soon as the
   * write in flight is done. While no reader is attached (on a store that tells: Redis), events
   * ride along with the lease's heartbeats instead.
   */
  batchMs?: number;
  /**
   * How long the producer's lease lasts; it is renewed every third of it (the heartbeat, which also
   * carries the events no reader has asked for yet). Default 10 000 ms.
   */
  leaseMs?: number;
  /** How long the log stays readable after the stream ends. Default 600 000 ms (10 min). */
  ttlMs?: number;
  /** Bound on the encoded bytes stored for the stream (text events count as their JSON string). Default 8 MiB. */
  maxBytes?: number;
  /**
   * Called once the stream is registered in the store (readers can attach from then on), also when
   * the source has already ended by then: its end is written after the registration.
   */
  onOpen?: () => void;
  /**
   * Called with the typed error when the registration fails (the id is in use, the store is
   * unreachable), also when the source has already ended by then and so cannot carry it.
   */
  onOpenFailed?: (error: RxllmError) => void;
  /**
   * Given, when the stream ends, the promise of the log's last write (the last batch and the
   * terminal marker), which settles after the recorded stream has completed: pass your platform's
   * `waitUntil` (Vercel's `after`, Cloudflare's `ctx.waitUntil`) so that a serverless function
   * outlives its response until the log is terminalized. It rejects when that write (or one before it) failed.
   */
  waitUntil?: (written: Promise<void>) => void;
}

/** A batch this large is written without waiting out `batchMs` (once no write is in flight). */
const batchBytes = 256 * 1024;

/**
 * Records the stream into a {@link StreamLogStore} under `id` while passing every event through
 * unchanged, so that readers on any process attach with `fromStreamLog` at any time.
 *
 * Intuition: a tee into a durable tape. The tape, not the HTTP connection, is the stream.
 *
 * ```text
 * source:   -s-a-b-|
 * expected: -s-a-b-|
 * ```
 *
 * Events are written in batches, write-behind: at most one write is in flight, and the next one
 * takes every event that arrived meanwhile, once the oldest of them has waited `batchMs` (or at
 * once past 256 KiB), so a fast stream makes few writes. On a store that knows when readers attach
 * (`heartbeat` and `watchReaders`: the Redis store), a stream that nobody reads is written only with
 * the lease's heartbeats, every `leaseMs / 3`, pending events riding along: no write of its own,
 * and a window of events held in memory that is the lease's own (a producer that dies loses at most
 * what readers would have learned of within the lease anyway). A reader attaching, from any
 * process, makes the recorder write what is pending at once and every `batchMs` from then on, until
 * a heartbeat finds no reader attached. Completion, an error or a cancel writes
 * the log's terminal marker after the last batch and starts its `ttlMs`. An explicit cancel
 * (`store.cancel(id)`, from any process) unsubscribes the source (aborting its provider request),
 * then records and emits `finish` with reason `cancelled` and completes; unsubscribing the
 * recorder itself ends the log the same way. More than `maxBytes` ends the stream with a
 * `limit-exceeded` RxllmError (`limit: 'maxBytes'`), recorded as the log's error. A failed write
 * errors with a `network` RxllmError. Subscribe to the recorded stream apart from any reader (a
 * reader that leaves must not stop it).
 *
 * @example
 * ```ts
 * fromOpenAI(openai, params).pipe(recordStream(log, chatId)).subscribe(); // the producer
 * fromStreamLog(log, chatId, { from }).pipe(toSSE()); // each reader, on any process
 * ```
 */
export function recordStream(
  store: StreamLogStore,
  id: string,
  config: RecordStreamConfig = {},
): MonoTypeOperatorFunction<RxllmEvent> {
  const { batchMs = 20, leaseMs = 10_000, ttlMs = 600_000, maxBytes = 8 * 1024 * 1024 } = config;
  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      let pending: string[] = [];
      let pendingBytes = 0;
      let written = 0;
      let bytes = 0;
      let ended = false;
      let flushTimer: ReturnType<typeof setTimeout> | undefined;
      let flushQueued = false;
      let inFlight = false;
      let pendingSince = 0;
      // A store that tells when readers attach lets a stream nobody reads ride on the heartbeats.
      const lazy = store.heartbeat !== undefined && store.watchReaders !== undefined;
      let watched = !lazy;
      /** Reader attachments seen: a heartbeat's "no reader" does not undo one it did not see. */
      let attachments = 0;
      // Writes run one after another, in order, each after the open.
      const typed = (error: unknown): RxllmError =>
        RxllmError.isInstance(error) ? error : RxllmError.from(error, { code: 'network' });
      let chain: Promise<void> = store.open(id, leaseMs).then(
        () => config.onOpen?.(),
        (error: unknown) => {
          config.onOpenFailed?.(typed(error));
          throw error;
        },
      );
      const failWrite = (error: unknown): void => {
        if (subscriber.closed) return;
        finishLocally();
        subscriber.error(typed(error));
      };
      const enqueue = (write: () => Promise<void>): void => {
        chain = chain.then(write);
        chain.catch(failWrite);
      };
      chain.catch(failWrite);

      /** Hands what is pending to the store, as one append after the writes before it. */
      const write = (): void => {
        const batch = pending;
        const from = written;
        pending = [];
        pendingBytes = 0;
        written += batch.length;
        inFlight = true;
        enqueue(() =>
          store.append(id, from, batch).then(() => {
            inFlight = false;
            schedule();
          }),
        );
      };
      const flush = (): void => {
        flushTimer = undefined;
        flushQueued = false;
        if (!ended && !inFlight && pending.length > 0) write();
      };
      /**
       * Starts the next write when it is due: once the oldest pending event has waited `batchMs`
       * (a timer for the rest; at once, on a microtask, when it waited that long behind a write in
       * flight, or past `batchBytes`). Timers have millisecond granularity, hence the 1 ms slack.
       */
      const schedule = (): void => {
        if (ended || inFlight || pending.length === 0 || flushQueued || flushTimer !== undefined) return;
        if (!watched && pendingBytes < batchBytes) return; // rides along with the next heartbeat
        const wait = pendingSince + batchMs - Date.now();
        if (wait < 1 || pendingBytes >= batchBytes) {
          flushQueued = true;
          queueMicrotask(flush);
        } else flushTimer = setTimeout(flush, wait);
      };
      /** A reader attached: what is pending goes at once, and later events every `batchMs`. */
      const readerAttached = (): void => {
        attachments++;
        if (watched) return;
        watched = true;
        pendingSince = -Infinity;
        schedule();
      };
      /** The lease's renewal; on a lazy store it carries what is pending (unless a write is in flight). */
      const beat = (): void => {
        if (!lazy) {
          enqueue(() => store.renew(id, leaseMs));
          return;
        }
        const carry = !inFlight;
        const batch = carry ? pending : [];
        const from = written;
        const seen = attachments;
        if (carry) {
          pending = [];
          pendingBytes = 0;
          written += batch.length;
          inFlight = true;
        }
        enqueue(() =>
          store.heartbeat!(id, leaseMs, from, batch).then((readers) => {
            if (carry) inFlight = false;
            if (readers) watched = true;
            else if (attachments === seen) watched = false;
            schedule();
          }),
        );
      };
      const lease = setInterval(beat, leaseMs / 3);
      lease.unref?.();

      // Added to once subscribed; unsubscribing it first (a synchronous end) closes the source at once.
      const upstream = new Subscription();
      let unwatch = (): void => {};
      let unwatchReaders = (): void => {};
      const finishLocally = (): void => {
        ended = true;
        clearInterval(lease);
        unwatchReaders();
        if (flushTimer !== undefined) clearTimeout(flushTimer);
        unwatch();
        upstream.unsubscribe();
      };
      const end = (how: StreamLogEnd): void => {
        if (ended) return;
        // The last batch goes with the end, even while a write is in flight: the chain keeps it
        // after that one.
        const last = pending;
        pending = [];
        written += last.length;
        finishLocally();
        const at = written;
        enqueue(() => store.end(id, at, how, ttlMs, last));
        config.waitUntil?.(chain);
      };
      const cancelled = (): void => {
        if (ended) return;
        upstream.unsubscribe();
        const finish: FinishEvent = { type: 'finish', reason: 'cancelled', rawReason: null };
        pending.push(encodeEvent(finish, written + pending.length));
        end({ kind: 'cancelled' });
        subscriber.next(finish);
        subscriber.complete();
      };
      if (lazy) unwatchReaders = store.watchReaders!(id, readerAttached);
      unwatch = store.watchCancel(id, cancelled);

      upstream.add(
        source.subscribe({
          next(event) {
            if (ended) return;
            const entry = encodeEvent(event, written + pending.length);
            const size = utf8Length(entry);
            bytes += size;
            if (bytes > maxBytes) {
              const error = new RxllmError(
                `rxllm: recordStream: stream ${JSON.stringify(id)} exceeds maxBytes (${maxBytes})`,
                { code: 'limit-exceeded', limit: 'maxBytes' },
              );
              end({ kind: 'error', error: error.toJSON() });
              subscriber.error(error);
              return;
            }
            if (pending.length === 0) pendingSince = Date.now();
            pending.push(entry);
            pendingBytes += size;
            schedule();
            subscriber.next(event);
          },
          error(error) {
            end({ kind: 'error', error: RxllmError.from(error).toJSON() });
            subscriber.error(error);
          },
          complete() {
            end({ kind: 'complete' });
            subscriber.complete();
          },
        }),
      );

      // The recorder unsubscribed before the end: the producer was stopped, which readers read as a cancel.
      return () => cancelled();
    });
}

/** The UTF-8 length of `text`, without encoding it (a lone surrogate counts 3, as its U+FFFD). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (
      code >= 0xd800 &&
      code < 0xdc00 &&
      i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      length += 2; // a pair: 4 bytes for 2 units
      i++;
    } else length += 2;
  }
  return length;
}
