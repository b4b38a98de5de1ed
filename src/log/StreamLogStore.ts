/**
 * How a logged stream ended: the durable terminal marker, distinct from "no data yet".
 * `error` keeps the error's plain form (`RxllmError.toJSON()`).
 */
export type StreamLogEnd =
  { kind: 'complete' } | { kind: 'error'; error: Record<string, unknown> } | { kind: 'cancelled' };

/** What one {@link StreamLogReader.read} found. */
export interface StreamLogRead {
  /** The stream id was never opened (or has expired). */
  unknown: boolean;
  /** Position (`seq`) of `entries[0]`: at most the `from` asked for (a batch may start earlier). */
  first: number;
  /** Encoded events, in order. */
  entries: string[];
  /**
   * The same entries as the store holds them, when it holds them in batches: each batch its
   * entries joined by line breaks, the first batch starting at `first`. A reader that decodes
   * them can parse a whole batch at once (the Redis store fills `entries` only when asked).
   */
  batches?: readonly string[];
  /** Present once the log has ended and `entries` reach its end. */
  end?: StreamLogEnd;
  /** The producer's lease was current when the read returned (false: it stopped renewing it). */
  alive: boolean;
}

/** One reader's handle on a stream (the Redis store gives it its own blocking connection). */
export interface StreamLogReader {
  /**
   * Entries from position `from` on. Returns at once when there are some (or the log has ended),
   * else waits up to `waitMs` for the producer to append, and returns what it found, maybe none.
   */
  read(from: number, waitMs: number): Promise<StreamLogRead>;
  /** Releases the reader; a pending `read` settles soon after (with no entries). */
  close(): void;
}

/**
 * One atomic step of a Durable Streams write ({@link StreamLogStore.commit}): replaces the stream's
 * document if it still reads `expected`, appends `entries` at position `from` and, with `end`,
 * writes the terminal marker after them, all or nothing.
 */
export interface StreamLogCommit {
  /** The document read before (null: the stream must not exist yet, in any form). */
  expected: string | null;
  /** The new document. */
  doc: string;
  /** Position of `entries[0]`: the count of entries before. */
  from: number;
  /** Encoded entries (no line breaks in them). */
  entries: readonly string[];
  /** Ends the log after `entries` (no expiry is started: see {@link StreamLogStore.expire}). */
  end?: StreamLogEnd;
}

/**
 * The storage port behind `recordStream` and `fromStreamLog`: an append-only log of encoded events
 * per stream id, a terminal marker, a producer lease and a cancel signal. `createMemoryStreamLog`
 * (one process) and `createRedisStreamLog` (any number of processes) implement it.
 */
export interface StreamLogStore {
  /** Registers a new stream and takes its lease. Rejects when the id is already in use. */
  open(id: string, leaseMs: number): Promise<void>;
  /** Appends `entries` at position `from` (the count appended before). One write per call. */
  append(id: string, from: number, entries: readonly string[]): Promise<void>;
  /** Renews the producer's lease. */
  renew(id: string, leaseMs: number): Promise<void>;
  /**
   * Writes the terminal marker at position `at` (the count of entries) and expires the stream after
   * `ttlMs`; `last` (the final batch, at `at - last.length`) is appended before it, in the same write
   * where the store can.
   */
  end(id: string, at: number, end: StreamLogEnd, ttlMs: number, last?: readonly string[]): Promise<void>;
  /**
   * Optional, with {@link StreamLogStore.watchReaders}: renews the lease and appends `entries` at
   * `from` (none: a plain renewal) in one write, and resolves to whether a reader is attached to the
   * stream (on any process). With both, `recordStream` writes a stream nobody reads only with its
   * heartbeats.
   */
  heartbeat?(id: string, leaseMs: number, from: number, entries: readonly string[]): Promise<boolean>;
  /** Optional: calls `listener` whenever a reader attaches to `id`, on any process. Returns the unwatch function. */
  watchReaders?(id: string, listener: () => void): () => void;
  /** `unknown`, `live` (opened, not ended) or `ended`. */
  state(id: string): Promise<'unknown' | 'live' | 'ended'>;
  /** A reader of `id`. */
  reader(id: string): StreamLogReader;
  /** Asks the producer of a live stream, on whichever process it runs, to stop. False when not live. */
  cancel(id: string): Promise<boolean>;
  /** Calls `listener` once when `id` is cancelled (also when it was before this call). Returns the unwatch function. */
  watchCancel(id: string, listener: () => void): () => void;

  // What `durableStreamHandler` needs beyond the log to accept writes over the Durable Streams
  // protocol (both built-in stores have them; a store without them serves recorded streams read-only).

  /** The document (stream config and producer state) last committed for `id`; null when none. */
  readDoc?(id: string): Promise<string | null>;
  /** Applies `change` atomically; false (and nothing written) when the document is no longer `expected`. */
  commit?(id: string, change: StreamLogCommit): Promise<boolean>;
  /** Deletes the stream now (log, document, marker). False when it did not exist. */
  remove?(id: string): Promise<boolean>;
  /** Drops the stream `ms` from now (null: never). */
  expire?(id: string, ms: number | null): Promise<void>;
}
