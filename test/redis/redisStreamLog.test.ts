import Redis from 'ioredis';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import {
  createRedisStreamLog,
  type RedisClientLike,
  type RedisStreamLog,
} from '../../src/log/createRedisStreamLog';
import { fromStreamLog, fromStreamLogEntries } from '../../src/log/fromStreamLog';
import { recordStream } from '../../src/log/recordStream';
import { ev } from '../../src/testing';
import { startRedisLog, type RedisLog } from './support/redisLog';
import { handFedSource } from '../support/handFedSource';

let setup: RedisLog;
let redis: Redis;
let log: RedisStreamLog;

beforeAll(async () => ({ redis, log } = setup = await startRedisLog()));
afterAll(() => setup?.stop());

async function ended(id: string): Promise<void> {
  while ((await log.state(id)) !== 'ended') await new Promise((resolve) => setTimeout(resolve, 5));
}

it('reads from any position, also one inside a stored batch, without gap or duplicate', async () => {
  const tokens = new Subject<RxllmEvent>();
  tokens.pipe(recordStream(log, 'positions', { batchMs: 5 })).subscribe();
  const all = Array.from({ length: 50 }, (_, i) => ev.text(`${i};`));
  for (let i = 0; i < all.length; i++) {
    tokens.next(all[i]!);
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 15));
  }
  tokens.complete();
  await ended('positions');
  // Batches of about ten: most positions are inside one.
  expect(await redis.xlen('rxllm:{positions}:log')).toBeLessThan(20);
  for (const from of [0, 1, 7, 10, 23, 49, 50]) {
    const read = await lastValueFrom(fromStreamLogEntries(log, 'positions', { from }).pipe(toArray()));
    expect(read.map((entry) => entry.seq)).toEqual(
      Array.from({ length: all.length - from }, (_, i) => from + i),
    );
    expect(read.map((entry) => entry.event)).toEqual(all.slice(from));
  }
});

it('writes 1,000 tokens in few XADDs and expires the log after the end', async () => {
  await redis.config('RESETSTAT');
  const tokens = new Subject<RxllmEvent>();
  tokens.pipe(recordStream(log, 'thousand', { ttlMs: 60_000 })).subscribe();
  for (let i = 0; i < 1000; i++) {
    tokens.next(ev.text('tok '));
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  tokens.complete();
  await ended('thousand');
  const xadd = Number(/cmdstat_xadd:calls=(\d+)/.exec(await redis.info('commandstats'))![1]);
  console.log(`XADD calls per 1,000 tokens (batchMs 20, a turn of the event loop every 50 tokens): ${xadd}`);
  expect(xadd).toBeLessThanOrEqual(25);
  const ttl = await redis.pttl('rxllm:{thousand}:log');
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);
  expect(await redis.exists('rxllm:{thousand}:lease')).toBe(0);
  const read = await lastValueFrom(fromStreamLog(log, 'thousand').pipe(toArray()));
  expect(read).toHaveLength(1000);
});

it('a late reader catches up in one round trip: its look at the stream and its first XREAD go out together', async () => {
  const tokens = new Subject<RxllmEvent>();
  tokens.pipe(recordStream(log, 'late', { batchMs: 5 })).subscribe();
  for (let i = 0; i < 30; i++) tokens.next(ev.text(`${i};`));
  tokens.complete();
  await ended('late');
  // A store on a client that logs each command as it goes out (>) and as its reply comes back (<).
  const connection = redis.duplicate();
  const order: string[] = [];
  const logged: RedisClientLike = {
    call: async (command, ...args) => {
      order.push(`> ${command}`);
      const reply = await connection.call(command, ...args);
      order.push(`< ${command}`);
      return reply;
    },
    duplicate: () => connection.duplicate(),
    subscribe: (...channels) => connection.subscribe(...channels),
    on: (event: 'message' & 'error', listener: never) => connection.on(event, listener),
    disconnect: () => connection.disconnect(),
  };
  const store = createRedisStreamLog(logged);
  const expected = await lastValueFrom(fromStreamLog(log, 'late').pipe(toArray()));
  expect(expected).toHaveLength(30);
  // The first read also loads the reader's script (SCRIPT LOAD, once per store).
  expect(await lastValueFrom(fromStreamLog(store, 'late').pipe(toArray()))).toEqual(expected);
  order.length = 0;
  expect(await lastValueFrom(fromStreamLog(store, 'late').pipe(toArray()))).toEqual(expected);
  // Both sent before either reply (one round trip, not two): the EVALSHA of the reader's look at
  // the stream and the XREAD.
  expect(order.slice(0, 2).sort()).toEqual(['> EVALSHA', '> XREAD']);
  expect(order.slice(2).sort()).toEqual(['< EVALSHA', '< XREAD']);
  store.close();
  connection.disconnect();
});

it('a cancel through a second store (another process) stops the producer; late readers see finish cancelled', async () => {
  const connection = redis.duplicate();
  const other = createRedisStreamLog(connection);
  const { tokens, source, unsubscribed } = handFedSource();
  const produced: RxllmEvent[] = [];
  const done = new Promise<void>((resolve) =>
    source
      .pipe(recordStream(log, 'cancel-me'))
      .subscribe({ next: (e) => produced.push(e), complete: resolve }),
  );
  tokens.next(ev.text('a'));
  while ((await log.state('cancel-me')) !== 'live') await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await other.cancel('cancel-me')).toBe(true);
  await done;
  expect(unsubscribed()).toBe(true);
  const cancelled = { type: 'finish', reason: 'cancelled', rawReason: null };
  expect(produced).toEqual([ev.text('a'), cancelled]);
  await ended('cancel-me');
  expect(await lastValueFrom(fromStreamLog(other, 'cancel-me').pipe(toArray()))).toEqual(produced);
  expect(await other.cancel('cancel-me')).toBe(false);
  other.close();
  connection.disconnect();
});

it('rejects a second producer under the same id, across stores', async () => {
  const first = new Subject<RxllmEvent>().pipe(recordStream(log, 'once')).subscribe();
  const otherLog = createRedisStreamLog(redis);
  while ((await log.state('once')) !== 'live') await new Promise((resolve) => setTimeout(resolve, 5));
  const second = new Promise((resolve) =>
    new Subject<RxllmEvent>().pipe(recordStream(otherLog, 'once')).subscribe({ error: resolve }),
  );
  expect(await second).toMatchObject({ code: 'invalid-argument' });
  expect(await log.state('once')).toBe('live');
  otherLog.close();
  first.unsubscribe();
  await ended('once');
});

it('a log that lost its tail (an older Redis snapshot) refuses the next write and readers report the hole', async () => {
  const tokens = new Subject<RxllmEvent>();
  // No reader: the batches ride on the heartbeats, every 100 ms here.
  const failed = new Promise<unknown>((resolve) =>
    tokens.pipe(recordStream(log, 'holed', { batchMs: 5, leaseMs: 300 })).subscribe({ error: resolve }),
  );
  tokens.next(ev.text('a'));
  tokens.next(ev.text('b'));
  while ((await redis.xlen('rxllm:{holed}:log')) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  tokens.next(ev.text('c'));
  while ((await redis.xlen('rxllm:{holed}:log')) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  // Drop the first batch (positions 0 and 1), as a restore that missed it would.
  const firstBatch = (await redis.xrange('rxllm:{holed}:log', '-', '+', 'COUNT', 1))[0]![0];
  expect(firstBatch).toBe('1-1');
  await redis.xdel('rxllm:{holed}:log', firstBatch);
  const read = await new Promise<unknown>((resolve) =>
    fromStreamLog(log, 'holed', { from: 0 }).subscribe({ error: resolve }),
  );
  expect(read).toMatchObject({ code: 'network', retryable: false, message: expect.stringContaining('hole') });
  // Now drop the rest: the producer's next write finds the tail missing and stops, with a typed error.
  await redis.xtrim('rxllm:{holed}:log', 'MAXLEN', 0);
  tokens.next(ev.text('d'));
  expect(await failed).toMatchObject({ code: 'network', retryable: false });
  expect(await redis.xlen('rxllm:{holed}:log')).toBe(0);
});

describe('a producer nobody reads', () => {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('writes only with its heartbeats, which carry the pending events', async () => {
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(log, 'unread', { batchMs: 0, leaseMs: 300 })).subscribe();
    while ((await log.state('unread')) !== 'live') await turn();
    for (let i = 0; i < 5; i++) tokens.next({ ...ev.text(`${i};`), seq: i });
    await turn();
    // With a reader, batchMs 0 would have sent the batch by now, ahead of this command on the same
    // connection; with none, it waits for the heartbeat.
    expect(await redis.xlen('rxllm:{unread}:log')).toBe(0);
    while ((await redis.xlen('rxllm:{unread}:log')) === 0)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const [[entryId, fields]] = (await redis.xrange('rxllm:{unread}:log', '-', '+')) as [string, string[]][];
    expect(entryId).toBe('4-1');
    // Text events whose seq is their position are stored as their bare text.
    expect(fields).toEqual(['e', ['"0;"', '"1;"', '"2;"', '"3;"', '"4;"'].join('\n')]);
    tokens.complete();
    await ended('unread');
    const read = await lastValueFrom(fromStreamLog(log, 'unread').pipe(toArray()));
    expect(read).toEqual(Array.from({ length: 5 }, (_, i) => ({ ...ev.text(`${i};`), seq: i })));
  });

  it('writes what is pending as soon as a reader attaches on another store, then every batchMs', async () => {
    const connection = redis.duplicate();
    const other = createRedisStreamLog(connection);
    const tokens = new Subject<RxllmEvent>();
    // A lease of two minutes: its first heartbeat (at a third of it, 40 s) comes after the test's
    // 30 s timeout, so only the reader's attachment can make these events reach Redis in time.
    const done = new Promise<void>((resolve) =>
      tokens
        .pipe(recordStream(log, 'attach', { batchMs: 5, leaseMs: 120_000 }))
        .subscribe({ complete: resolve }),
    );
    while ((await log.state('attach')) !== 'live') await turn();
    for (let i = 0; i < 3; i++) tokens.next(ev.text(`${i};`));
    await turn();
    expect(await redis.xlen('rxllm:{attach}:log')).toBe(0);
    const seen: RxllmEvent[] = [];
    const reading = new Promise<void>((resolve, reject) =>
      fromStreamLog(other, 'attach').subscribe({
        next: (event) => seen.push(event),
        complete: resolve,
        error: reject,
      }),
    );
    while (seen.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual([0, 1, 2].map((i) => ev.text(`${i};`)));
    // Attached: later events follow at batchMs, not with the heartbeat.
    tokens.next(ev.text('3;'));
    while (seen.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await redis.exists('rxllm:{attach}:watch')).toBe(1);
    tokens.complete();
    await Promise.all([done, reading]);
    expect(seen).toHaveLength(4);
    // The end clears the reader mark with the lease.
    expect(await redis.exists('rxllm:{attach}:watch')).toBe(0);
    other.close();
    connection.disconnect();
  });

  it('a reader that attached before the producer listened is found by the next heartbeat', async () => {
    // The store as the recorder uses it, noting which calls carry the events.
    const calls: string[] = [];
    const noted: RedisStreamLog = {
      ...log,
      append: (...args) => (calls.push('append'), log.append(...args)),
      heartbeat: (...args) =>
        log.heartbeat(...args).then((readers) => (calls.push(`heartbeat ${readers}`), readers)),
    };
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(noted, 'early', { batchMs: 0, leaseMs: 1_500 })).subscribe();
    while ((await log.state('early')) !== 'live') await turn();
    // A mark whose notice the producer missed (set directly, without the publish).
    await redis.set('rxllm:{early}:watch', '1', 'PX', 60_000);
    while (!calls.includes('heartbeat true')) await new Promise((resolve) => setTimeout(resolve, 20));
    tokens.next(ev.text('a'));
    while ((await redis.xlen('rxllm:{early}:log')) < 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    // Written by an append of its own (at batchMs), not carried by a heartbeat.
    expect(calls.filter((call) => call === 'append')).toHaveLength(1);
    tokens.complete();
    await ended('early');
  });
});
