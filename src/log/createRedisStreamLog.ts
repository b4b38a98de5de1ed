import { RxllmError } from '../base/errors';
import type {
  StreamLogCommit,
  StreamLogEnd,
  StreamLogRead,
  StreamLogReader,
  StreamLogStore,
} from './StreamLogStore';

/**
 * What {@link createRedisStreamLog} uses of a Redis client: an `ioredis` client (`new Redis(url)`)
 * has it. Declared here so that rxllm imports no Redis client itself.
 */
export interface RedisClientLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A new connection with the same options (blocking reads and pub/sub each need their own). */
  duplicate(): RedisClientLike;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

/** Options of {@link createRedisStreamLog}. */
export interface RedisStreamLogConfig {
  /** Prefix of every key and channel. Default `rxllm:`. */
  prefix?: string;
  /** Expiry of a stream that never ends (its producer died), renewed with the lease. Default 24 h. */
  maxLifetimeMs?: number;
}

/** A {@link StreamLogStore} on Redis, and `close()` for its own connections. */
export interface RedisStreamLog extends StreamLogStore {
  heartbeat: NonNullable<StreamLogStore['heartbeat']>;
  watchReaders: NonNullable<StreamLogStore['watchReaders']>;
  /** Disconnects the connections the store opened (pub/sub); the client passed in stays open. */
  close(): void;
}

// KEYS: meta, lease. ARGV: maxLifetimeMs, leaseMs.
/**
 * Batches per read: a catch-up takes few round trips. A log holds at most the recorder's
 * `maxBytes` (8 MiB by default), which bounds a reply.
 */
const readCount = 1000;
/**
 * How long a reader counts as attached after it marked itself (at least; 3× its wait when longer),
 * and how long before that runs out it marks itself again: a reader marks itself about once a
 * minute, and a producer whose last reader left goes back to writing with its heartbeats within
 * about a minute.
 */
const presenceFloorMs = 60_000;
const presenceMarginMs = 30_000;
/** Every key of one stream. */
const parts = ['doc', 'meta', 'log', 'lease', 'cancel', 'watch'];

const openScript = `if redis.call('SET', KEYS[1], 'live', 'NX', 'PX', ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) return 1 end return 0`;
// KEYS: lease, log, meta. ARGV: leaseMs, maxLifetimeMs.
const renewScript = `redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2]) redis.call('PEXPIRE', KEYS[3], ARGV[2]) return 1`;
// Appends only to a live log whose last entry is the one before (ARGV[3], '' for none): after a
// Redis restart that lost the log (no persistence) or its tail (an older snapshot) the write is
// refused instead of leaving a hole. The batch already there (a write resent after a reconnect) is
// success: appends are idempotent. The meta key is read only for the first batch (later, an empty
// log where one is expected says the same), so a batch costs Redis three commands, not four.
// KEYS: log, meta. ARGV: entry id, batch, previous entry id. Returns 1 written, 0 lost, -1 hole.
const appendLua = `local function append(log, meta, id, batch, previous)
  if previous == '' and redis.call('GET', meta) ~= 'live' then return 0 end
  local last = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
  local have = last and last[1] or ''
  if have == id then return 1 end
  if have == '' and previous ~= '' then return 0 end
  if have ~= previous then return -1 end
  redis.call('XADD', log, id, 'e', batch) return 1 end
`;
// The scripts that hold `append` are built with a call marked pure, not a template with `${}`:
// this module may share a tsup chunk with browser code, and a bundler keeps a module-level template
// with a substitution (it cannot tell that it has no side effects), so every browser app that
// loaded the chunk carried the Lua scripts.
const appendScript = /* @__PURE__ */ appendLua.concat(
  ` return append(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])`,
);
// The renewal that carries a batch (none: entry id '') and tells whether a reader is attached.
// KEYS: lease, log, meta, watch. ARGV: leaseMs, maxLifetimeMs, entry id, batch, previous entry id.
// Returns { append's result (1 without a batch), 1 when a reader is attached else 0 }.
const heartbeatScript = /* @__PURE__ */ appendLua.concat(`
  local written = 1
  if ARGV[3] ~= '' then written = append(KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5]) end
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2]) redis.call('PEXPIRE', KEYS[3], ARGV[2])
  return { written, redis.call('EXISTS', KEYS[4]) }`);
// A reader's look at the stream, which also marks it attached (ARGV[1] its presence in ms, '' not)
// and, when it was not before, tells the producer (on the watch channel) to write at once.
// KEYS: meta, lease, watch. ARGV: presence ms, channel, id. Returns { meta, lease } ('' for none).
const statusScript = `local meta = redis.call('GET', KEYS[1]) local lease = redis.call('GET', KEYS[2])
  if meta == 'live' and ARGV[1] ~= '' and not redis.call('SET', KEYS[3], '1', 'PX', ARGV[1], 'GET') then
    redis.call('PUBLISH', ARGV[2], ARGV[3]) end
  return { meta or '', lease or '' }`;
// An end resent after a reconnect finds the stream ended already: success. It carries the last
// batch (ARGV[4] its entry id, '' none; ARGV[5] the batch; ARGV[6] the previous entry id).
// KEYS: log, meta, lease, cancel, watch. ARGV: end entry id, end JSON, ttlMs, …
// Returns 1 done, 0 lost, -1 hole.
const endScript = /* @__PURE__ */ appendLua.concat(` local meta = redis.call('GET', KEYS[2])
  if meta == 'ended' then return 1 end if meta ~= 'live' then return 0 end
  if ARGV[4] ~= '' then
    local written = append(KEYS[1], KEYS[2], ARGV[4], ARGV[5], ARGV[6])
    if written ~= 1 then return written end end
  redis.call('XADD', KEYS[1], ARGV[1], 'end', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3]) redis.call('SET', KEYS[2], 'ended', 'PX', ARGV[3])
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5]) return 1`);
// KEYS: meta, cancel. ARGV: channel, id, maxLifetimeMs.
const cancelScript = `if redis.call('GET', KEYS[1]) ~= 'live' then return 0 end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) redis.call('PUBLISH', ARGV[1], ARGV[2]) return 1`;

// The Durable Streams write: compare the document, append, maybe end, in one step.
// KEYS: doc, meta, log, lease. ARGV: has expected (0/1), expected, doc, batch entry id ('' none),
// batch, end entry id ('' none), end JSON. New keys take the document's remaining TTL. A stream
// written over the protocol has no producer to lose: its lease never lapses.
const commitScript = `local current = redis.call('GET', KEYS[1])
  if ARGV[1] == '0' then
    if current or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
    redis.call('SET', KEYS[4], '1')
  elseif current ~= ARGV[2] then return 0 end
  local meta = redis.call('GET', KEYS[2])
  if meta == 'ended' and (ARGV[4] ~= '' or ARGV[6] ~= '') then return 0 end
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
  if ARGV[4] ~= '' then redis.call('XADD', KEYS[3], ARGV[4], 'e', ARGV[5]) end
  if ARGV[6] ~= '' then
    redis.call('XADD', KEYS[3], ARGV[6], 'end', ARGV[7]) redis.call('SET', KEYS[2], 'ended', 'KEEPTTL')
  elseif not meta then redis.call('SET', KEYS[2], 'live') end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end end
  return 1`;
// KEYS: every key of a stream. ARGV: ms ('' never).
const expireScript = `for _, k in ipairs(KEYS) do
  if ARGV[1] == '' then redis.call('PERSIST', k) else redis.call('PEXPIRE', k, ARGV[1]) end end return 1`;

/**
 * A {@link StreamLogStore} on Redis, shared by every process that uses the same Redis: a producer
 * on one instance, readers and cancels on any. Give it an `ioredis` client (an optional peer
 * dependency); it opens one more connection for cancel notices and one per active reader (a
 * blocking `XREAD` holds its connection).
 *
 * Layout per stream id (keys hash-tagged by id): `<prefix>{id}:log`, a Redis Stream with one
 * entry per batch (`XADD`, entry id `<last seq>-1`, the batch's events as JSON lines) and the
 * terminal marker as its last entry (`end`); `:meta` (`live`, then `ended`); `:lease` (the
 * producer's heartbeat, expiring after `leaseMs`); `:cancel` (the control key a late producer
 * checks); `:watch` (set by readers while they read: the producer writes at `batchMs` while it
 * exists, else only with its heartbeats). Cancels are also published on `<prefix>cancel`, reader
 * attachments on `<prefix>watch`. After the end, the log expires after the
 * recorder's `ttlMs`.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const log = createRedisStreamLog(new Redis(process.env.REDIS_URL!));
 * ```
 */
export function createRedisStreamLog(
  client: RedisClientLike,
  config: RedisStreamLogConfig = {},
): RedisStreamLog {
  const { prefix = 'rxllm:', maxLifetimeMs = 24 * 60 * 60 * 1000 } = config;
  const key = (id: string, part: string): string => `${prefix}{${id}}:${part}`;
  const channel = `${prefix}cancel`;
  const watchChannel = `${prefix}watch`;
  const listeners = new Map<string, Set<() => void>>();
  const readerListeners = new Map<string, Set<() => void>>();
  let subscriber: RedisClientLike | undefined;
  let subscribed: Promise<unknown> | undefined;
  /** The subscription has taken effect: no cancel can be missed from then on. */
  let listening = false;

  // Scripts run by their SHA1 (EVALSHA: one short command per write), loaded on first use and again
  // after a Redis restart emptied the script cache (NOSCRIPT).
  const shas = new Map<string, Promise<string>>();
  const run = async (script: string, keys: string[], args: (string | number)[]): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      let sha = shas.get(script);
      if (sha === undefined) {
        sha = client.call('SCRIPT', 'LOAD', script) as Promise<string>;
        shas.set(script, sha);
        sha.catch(() => shas.delete(script));
      }
      try {
        return await client.call('EVALSHA', await sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (attempt > 0 || !/NOSCRIPT/.test(String((error as Error)?.message))) throw error;
        shas.delete(script);
      }
    }
  };
  const lost = (id: string, what: string): RxllmError =>
    new RxllmError(
      `rxllm: stream log: ${what} of ${JSON.stringify(id)} is not in Redis any more (Redis restarted without persistence, or the key was evicted or expired)`,
      { code: 'network', retryable: false },
    );

  const subscribe = (): Promise<unknown> => {
    if (subscribed !== undefined) return subscribed;
    subscriber = client.duplicate();
    // Connection errors show up in the commands that fail (and the client reconnects by itself);
    // a listener keeps ioredis from also logging each one as unhandled.
    subscriber.on('error', ignore);
    subscriber.on('message', (from, id) => {
      const set = from === channel ? listeners : from === watchChannel ? readerListeners : undefined;
      for (const listener of [...(set?.get(id) ?? [])]) listener();
    });
    subscribed = subscriber.subscribe(channel, watchChannel);
    subscribed.then(() => (listening = true), ignore);
    return subscribed;
  };

  return {
    async open(id, leaseMs) {
      const opened = await run(openScript, [key(id, 'meta'), key(id, 'lease')], [maxLifetimeMs, leaseMs]);
      if (Number(opened) !== 1) {
        throw new RxllmError(`rxllm: stream log: stream ${JSON.stringify(id)} already exists`, {
          code: 'invalid-argument',
        });
      }
    },
    async append(id, from, entries) {
      const done = await run(
        appendScript,
        [key(id, 'log'), key(id, 'meta')],
        [`${from + entries.length - 1}-1`, entries.join('\n'), from === 0 ? '' : `${from - 1}-1`],
      );
      if (Number(done) === 0) throw lost(id, 'the live stream');
      if (Number(done) === -1) throw lost(id, `the log before position ${from}`);
    },
    async heartbeat(id, leaseMs, from, entries) {
      const [written, readers] = (await run(
        heartbeatScript,
        [key(id, 'lease'), key(id, 'log'), key(id, 'meta'), key(id, 'watch')],
        [
          leaseMs,
          maxLifetimeMs,
          entries.length > 0 ? `${from + entries.length - 1}-1` : '',
          entries.join('\n'),
          from === 0 ? '' : `${from - 1}-1`,
        ],
      )) as [number, number];
      if (Number(written) === 0) throw lost(id, 'the live stream');
      if (Number(written) === -1) throw lost(id, `the log before position ${from}`);
      return Number(readers) === 1;
    },
    watchReaders(id, listener) {
      const set = readerListeners.get(id) ?? new Set();
      set.add(listener);
      readerListeners.set(id, set);
      subscribe().catch(() => {});
      return () => {
        set.delete(listener);
        if (set.size === 0 && readerListeners.get(id) === set) readerListeners.delete(id);
      };
    },
    async renew(id, leaseMs) {
      await run(renewScript, [key(id, 'lease'), key(id, 'log'), key(id, 'meta')], [leaseMs, maxLifetimeMs]);
    },
    async end(id, at, end: StreamLogEnd, ttlMs, last = []) {
      const from = at - last.length;
      const done = await run(
        endScript,
        [key(id, 'log'), key(id, 'meta'), key(id, 'lease'), key(id, 'cancel'), key(id, 'watch')],
        [
          `${at}-1`,
          JSON.stringify(end),
          ttlMs,
          last.length > 0 ? `${at - 1}-1` : '',
          last.join('\n'),
          from === 0 ? '' : `${from - 1}-1`,
        ],
      );
      if (Number(done) === 0) throw lost(id, 'the live stream');
      if (Number(done) === -1) throw lost(id, `the log before position ${from}`);
    },
    async state(id) {
      const meta = await client.call('GET', key(id, 'meta'));
      return meta === 'live' ? 'live' : meta === 'ended' ? 'ended' : 'unknown';
    },
    reader(id): StreamLogReader {
      let connection: RedisClientLike | undefined;
      let closed = false;
      let checked = false;
      /** Until when this reader's presence is known to last (it marks itself on its first read). */
      let presentUntil = 0;
      /**
       * The stream's state, marking this reader attached when its presence runs out within `waitMs`
       * and some margin: the producer writes at `batchMs` while a reader is marked.
       */
      const status = async (waitMs: number): Promise<{ unknown: boolean; alive: boolean }> => {
        const presenceMs = Math.max(presenceFloorMs, 3 * waitMs);
        const mark = presentUntil < Date.now() + waitMs + presenceMarginMs;
        const [meta, lease] = (await run(
          statusScript,
          [key(id, 'meta'), key(id, 'lease'), key(id, 'watch')],
          [mark ? presenceMs : '', watchChannel, id],
        )) as [string, string];
        if (mark) presentUntil = Date.now() + presenceMs;
        return { unknown: meta === '', alive: lease !== '' };
      };
      type Reply = [string, [string, string[]][]][] | null;
      /** The batches from `from` on, on the shared client (no wait) or this reader's connection. */
      const xread = (from: number, waitMs: number): Promise<unknown> =>
        (waitMs > 0 ? connection! : client).call(
          'XREAD',
          'COUNT',
          readCount,
          ...(waitMs > 0 ? ['BLOCK', Math.ceil(waitMs)] : []),
          'STREAMS',
          key(id, 'log'),
          `${from}-0`,
        );
      const reader: StreamLogReader = {
        async read(from, waitMs): Promise<StreamLogRead> {
          const nothing = { unknown: false, first: from, entries: [], alive: true };
          if (closed) return nothing;
          let reply: unknown;
          /** The state found with the reply, when it was asked for with it. */
          let state: { unknown: boolean; alive: boolean } | undefined;
          try {
            if (!checked) {
              // The first look at the stream and its first read (which does not wait) go out together:
              // a late reader catches up in one round trip. What the read found counts only when the
              // stream is known (entries read just before it was opened are none: a later read finds them).
              [state, reply] = await Promise.all([status(waitMs), xread(from, 0)]);
              if (state.unknown) return { ...nothing, unknown: true, alive: false };
              checked = true;
            } else if (waitMs > 0 && connection === undefined) {
              // Only a blocking read needs a connection of its own; one that does not wait (a catch-up,
              // as most Durable Streams reads are) shares the client. A reader's first read does not
              // wait either: a late reader finds the log there and catches up without opening (and
              // handshaking) a connection; only one that reaches the live end opens it, to block.
              reply = await xread(from, 0);
            } else reply = await xread(from, waitMs);
          } catch (error) {
            if (closed) return nothing;
            throw error;
          }
          const found = (reply as Reply)?.[0]?.[1] ?? [];
          if (found.length === 0) {
            state ??= await status(waitMs);
            // Nothing yet and nothing to end it: a reader that waits opens its connection and blocks.
            if (waitMs > 0 && connection === undefined && !state.unknown && state.alive && !closed) {
              connection = client.duplicate();
              connection.on('error', ignore);
              return reader.read(from, waitMs);
            }
            return { ...nothing, ...state };
          }
          // A reader that keeps finding entries renews its presence before it lapses (rarely).
          if (presentUntil < Date.now() + waitMs + presenceMarginMs) void status(waitMs).catch(ignore);
          const batches: string[] = [];
          let first = from;
          let end: StreamLogEnd | undefined;
          for (const [entryId, fields] of found) {
            for (let f = 0; f + 1 < fields.length; f += 2) {
              if (fields[f] === 'end') end = JSON.parse(fields[f + 1]!) as StreamLogEnd;
              else if (fields[f] === 'e') {
                const batch = fields[f + 1]!;
                if (batches.length === 0) {
                  // The entry id is the batch's last seq; it starts one per line earlier.
                  let lines = 1;
                  for (let at = batch.indexOf('\n'); at !== -1; at = batch.indexOf('\n', at + 1)) lines++;
                  first = Number(entryId.slice(0, entryId.indexOf('-'))) - lines + 1;
                }
                batches.push(batch);
              }
            }
          }
          // Lines only for a caller that wants them (the Durable Streams handler); fromStreamLog
          // decodes the batches whole.
          let entries: string[] | undefined;
          return {
            unknown: false,
            first,
            get entries() {
              return (entries ??= batches.flatMap((batch) => batch.split('\n')));
            },
            batches,
            ...(end !== undefined && { end }),
            alive: true,
          };
        },
        close() {
          closed = true;
          connection?.disconnect();
        },
      };
      return reader;
    },
    async cancel(id) {
      const done = await run(
        cancelScript,
        [key(id, 'meta'), key(id, 'cancel')],
        [channel, id, maxLifetimeMs],
      );
      return Number(done) === 1;
    },
    watchCancel(id, listener) {
      let called = false;
      const once = (): void => {
        if (called) return;
        called = true;
        unwatch();
        listener();
      };
      const set = listeners.get(id) ?? new Set();
      set.add(once);
      listeners.set(id, set);
      const unwatch = (): void => {
        called = true;
        set.delete(once);
        if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
      };
      // A cancel sent before the subscription took effect is found in the control key. Once it has
      // (for every stream after a store's first), a producer that calls this before its stream is
      // open (as recordStream does) cannot have missed one: a cancel needs the stream open.
      if (listening) return () => unwatch();
      void subscribe()
        .then(() => client.call('GET', key(id, 'cancel')))
        .then((value) => {
          if (value !== null && !called) once();
        })
        .catch(() => {});
      return () => unwatch();
    },
    async readDoc(id) {
      return (await client.call('GET', key(id, 'doc'))) as string | null;
    },
    async commit(id, change: StreamLogCommit) {
      const { entries, from } = change;
      const done = await client.call(
        'EVAL',
        commitScript,
        4,
        key(id, 'doc'),
        key(id, 'meta'),
        key(id, 'log'),
        key(id, 'lease'),
        change.expected === null ? '0' : '1',
        change.expected ?? '',
        change.doc,
        entries.length > 0 ? `${from + entries.length - 1}-1` : '',
        entries.join('\n'),
        change.end !== undefined ? `${from + entries.length}-1` : '',
        change.end !== undefined ? JSON.stringify(change.end) : '',
      );
      return Number(done) === 1;
    },
    async remove(id) {
      const removed = await client.call('DEL', ...parts.map((part) => key(id, part)));
      return Number(removed) > 0;
    },
    async expire(id, ms) {
      await client.call(
        'EVAL',
        expireScript,
        parts.length,
        ...parts.map((part) => key(id, part)),
        ms === null ? '' : Math.max(1, Math.ceil(ms)),
      );
    },
    close() {
      subscriber?.disconnect();
    },
  };
}

function ignore(): void {}
