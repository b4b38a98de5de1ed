import { createServer, type Server } from 'node:http';
import { DurableStream, IdempotentProducer, stream, type JsonBatch } from '@durable-streams/client';
import Redis from 'ioredis';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { createRedisStreamLog, type RedisStreamLog } from '../../src/log/createRedisStreamLog';
import { durableStreamNodeHandler } from '../../src/log/durableStreamNodeHandler';
import { fromStreamLog } from '../../src/log/fromStreamLog';
import { recordStream } from '../../src/log/recordStream';
import { ev } from '../../src/testing';
import { readmeExamples, runReadmeExample } from '../readme/readmeExamples';
import { startRedisLog, type RedisLog } from './support/redisLog';

// rxllm's Durable Streams endpoint on redis-server, read by the protocol's own client
// (@durable-streams/client): catch-up, resume from an offset, live tail (long-poll and SSE), EOF.

let setup: RedisLog;
let redis: Redis;
let log: RedisStreamLog;
let server: Server;
let base: string;
/** The `live` mode of every read the endpoint answered, by stream. */
const modes: Record<string, string[]> = {};

beforeAll(async () => {
  ({ redis, log } = setup = await startRedisLog());
  // Streams recorded under `id` are served at /streams/<id>.
  const handle = durableStreamNodeHandler(log, {
    streamId: (url) => (url.pathname.startsWith('/streams/') ? url.pathname.slice(9) : undefined),
    longPollMs: 1_000,
  });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET')
      (modes[url.pathname.slice(9)] ??= []).push(url.searchParams.get('live') ?? 'catch-up');
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/streams`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await setup?.stop();
});

/** A producer recording into the Redis log, fed by hand so the test decides what is live. */
function record(id: string): Subject<RxllmEvent> {
  const tokens = new Subject<RxllmEvent>();
  tokens.pipe(recordStream(log, id, { batchMs: 5 })).subscribe();
  return tokens;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

const events = [
  ev.start(),
  ev.text('Hel'),
  ev.text('lo'),
  ev.text(', wor'),
  ev.text('ld'),
  ev.finish('stop'),
];

it('reads an rxllm stream, resumes it from an offset, and tails it live to its end (long-poll)', async () => {
  const tokens = record('tail-lp');
  tokens.next(events[0]!);
  tokens.next(events[1]!);
  tokens.next(events[2]!);
  await until(async () => (await redis.exists('rxllm:{tail-lp}:log')) === 1);

  // Catch-up: what is there now, as JSON messages, with the offset to resume from.
  const first = await stream<RxllmEvent>({ url: `${base}/tail-lp`, live: false });
  const seen = await first.json();
  expect(seen).toEqual(events.slice(0, seen.length));
  expect(seen.length).toBeGreaterThan(0);
  expect(first.streamClosed).toBe(false);
  const resumeAt = first.offset;

  // Resume from that offset and follow live: the rest arrives once, then EOF (the log's end marker).
  const rest = await stream<RxllmEvent>({ url: `${base}/tail-lp`, offset: resumeAt, live: 'long-poll' });
  const received: RxllmEvent[] = [];
  const closed = new Promise<void>((resolve) => {
    rest.subscribeJson(async (batch: JsonBatch<RxllmEvent>) => {
      received.push(...batch.items);
      if (batch.streamClosed) resolve();
    });
  });
  for (const event of events.slice(3)) tokens.next(event);
  tokens.complete();
  await closed;
  expect([...seen, ...received]).toEqual(events);
  expect(modes['tail-lp']).toContain('long-poll');
});

it('tails an rxllm stream over SSE from the start and from a saved offset', async () => {
  const tokens = record('tail-sse');
  tokens.next(events[0]!);
  await until(async () => (await redis.exists('rxllm:{tail-sse}:log')) === 1);

  const live = await stream<RxllmEvent>({ url: `${base}/tail-sse`, offset: '-1', live: 'sse' });
  const received: RxllmEvent[] = [];
  let savedOffset = '';
  const closed = new Promise<void>((resolve) => {
    live.subscribeJson(async (batch: JsonBatch<RxllmEvent>) => {
      received.push(...batch.items);
      if (received.length > 0 && savedOffset === '') savedOffset = batch.offset;
      if (batch.streamClosed) resolve();
    });
  });
  // The first event arrives (and its offset is saved) before the rest is produced.
  await until(async () => savedOffset !== '');
  for (const event of events.slice(1)) {
    tokens.next(event);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  tokens.complete();
  await closed;
  expect(received).toEqual(events);
  expect(modes['tail-sse']).toContain('sse');
  expect(modes['tail-sse']).not.toContain('long-poll');

  // A reader that saved an offset mid-stream resumes after it: no gap, no duplicate.
  const resumed = await stream<RxllmEvent>({ url: `${base}/tail-sse`, offset: savedOffset, live: 'sse' });
  const after: RxllmEvent[] = [];
  await new Promise<void>((resolve) => {
    resumed.subscribeJson(async (batch: JsonBatch<RxllmEvent>) => {
      after.push(...batch.items);
      if (batch.streamClosed) resolve();
    });
  });
  expect(savedOffset).toBe('0000000000000000_0000000000000001');
  expect(after).toEqual(events.slice(1));
});

it('answers 404 for an unknown stream and 405 to writes on a recorded one', async () => {
  await expect(stream({ url: `${base}/never-recorded`, live: false })).rejects.toMatchObject({ status: 404 });
  const tokens = record('read-only');
  tokens.next(events[0]!);
  await until(async () => (await log.state('read-only')) === 'live');
  const post = await fetch(`${base}/read-only`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '[{"type":"text","text":"injected"}]',
  });
  expect(post.status).toBe(405);
  tokens.complete();
});

it('a Durable Streams producer writes rxllm events that fromStreamLog follows live on another store', async () => {
  const handle = await DurableStream.create({ url: `${base}/from-client`, contentType: 'application/json' });
  const other = createRedisStreamLog(redis.duplicate());
  try {
    // The reader checks the lease after each quiet 50 ms: a stream written over the protocol has none to lose.
    const reading = lastValueFrom(fromStreamLog(other, 'from-client', { waitMs: 50 }).pipe(toArray()));
    const producer = new IdempotentProducer(handle, 'writer-1', { lingerMs: 0 });
    for (const event of events) {
      producer.append(JSON.stringify(event));
      await producer.flush();
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    // The close marks the log's end, so the rxllm reader completes.
    await producer.close();
    expect(await reading).toEqual(events);
  } finally {
    other.close();
  }
});

describe('README examples: durable-streams-server and durable-streams-client', () => {
  it('serve a recorded stream that the client reads live to its end, and resumes from a saved offset', async () => {
    process.env.REDIS_URL = setup.redisServer.url;
    const serverExample = readmeExamples().find((candidate) => candidate.name === 'durable-streams-server')!;
    const clientExample = readmeExamples().find((candidate) => candidate.name === 'durable-streams-client')!;
    const { server: exampleServer, log: exampleLog } = (await runReadmeExample(
      serverExample,
      {},
      require,
    )) as {
      server: Server;
      log: RedisStreamLog;
    };
    await new Promise<void>((resolve) => exampleServer.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(exampleServer.address() as { port: number }).port}`;
    try {
      const tokens = new Subject<RxllmEvent>();
      tokens.pipe(recordStream(exampleLog, 'readme-ds', { batchMs: 5 })).subscribe();
      tokens.next(events[0]!);
      await until(async () => (await exampleLog.state('readme-ds')) === 'live');

      /** Runs the client example; `done` settles when it renders the finish event. */
      const read = async (
        savedOffset: string | undefined,
      ): Promise<{ rendered: RxllmEvent[]; saved: string[]; done: Promise<void> }> => {
        const rendered: RxllmEvent[] = [];
        const saved: string[] = [];
        let finished!: () => void;
        const done = new Promise<void>((resolve) => (finished = resolve));
        await runReadmeExample(
          clientExample,
          {
            origin,
            chatId: 'readme-ds',
            savedOffset,
            render: (event: RxllmEvent) => {
              rendered.push(event);
              if (event.type === 'finish') finished();
            },
            saveOffset: (offset: string) => saved.push(offset),
          },
          require,
        );
        return { rendered, saved, done };
      };
      const first = await read(undefined);
      // The first event is rendered (and the offset after it saved) before the rest is produced.
      // (An empty first response may save offset 0 before it: the producer, until a reader came,
      // held the event for its next heartbeat.)
      const afterFirst = (offset: string): boolean => Number(offset.split('_')[1]) === 1;
      await until(async () => first.saved.some(afterFirst));
      for (const event of events.slice(1)) {
        tokens.next(event);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      tokens.complete();
      await first.done;
      expect(first.rendered).toEqual(events);

      // After a "reload" with the offset saved after the first batch, the rest comes exactly once.
      const again = await read(first.saved.find(afterFirst));
      await again.done;
      expect(again.rendered).toEqual(events.slice(1));
    } finally {
      exampleServer.closeAllConnections();
      await new Promise((resolve) => exampleServer.close(resolve));
      exampleLog.close();
    }
  });
});
