import Redis from 'ioredis';
import { lastValueFrom, toArray } from 'rxjs';
import { fromSSE } from '../../src/sources/fromSSE';
import { fixtureBytes } from '../support/decodeFixture';
import { readFrames, textOf, type Frame } from './support/sseClient';
import { startTwoInstances, type TwoInstances } from './support/twoInstances';

/**
 * Redis restarting mid-stream (README "Resumable streams", docs/ARCHITECTURE.md): with an
 * append-only file the log survives and the stream goes on, nothing lost or repeated; without
 * persistence the log is gone, and the producer and every reader end with a typed `network` error
 * instead of a hang or a stream with a hole.
 */

const fixture = 'openai-chat/text-obfuscation-usage.sse';
let expectedText: string;

beforeAll(async () => {
  const events = await lastValueFrom(
    fromSSE(new Response(fixtureBytes(fixture) as BodyInit), { dialect: 'openai-chat' }).pipe(toArray()),
  );
  expectedText = events.map((event) => (event.type === 'text' ? event.text : '')).join('');
});

// The lease outlasts the restart: a pause of Redis is not a dead producer.
const setUp = (persistent: boolean): Promise<TwoInstances> =>
  startTwoInstances({
    routes: {
      '/v1/chat/completions': { transcript: fixtureBytes(fixture), timing: { tokensPerSecond: 100 } },
    },
    leaseMs: 3000,
    batchMs: 20,
    persistent,
  });

/** Waits until the stream's log in Redis holds at least `count` batches. */
async function batches(redis: Redis, id: string, count: number): Promise<void> {
  while ((await redis.xlen(`rxllm:{${id}}:log`)) < count) await new Promise((r) => setTimeout(r, 10));
}

const errorOf = (frames: Frame[]) => {
  const last = frames.at(-1);
  return last?.event === 'rxllm-error'
    ? (JSON.parse(last.data) as { error: { code: string } }).error
    : undefined;
};

describe('with an append-only file (appendfsync always)', () => {
  let setup: TwoInstances;
  beforeAll(async () => (setup = await setUp(true)), 60_000);
  afterAll(() => setup?.stop());

  it('the stream goes on after the restart: the readers on A and B get the whole text, the model call is not repeated', async () => {
    const { redis, redisServer, provider, a, b } = setup;
    const requestIndex = provider.requests.length;
    const onA = readFrames(`${a.url}/chat/persisted`, { method: 'POST' });
    const request = await provider.waitForRequest(requestIndex);
    await batches(redis, 'persisted', 2);
    let attached!: () => void;
    const bReads = new Promise<void>((resolve) => (attached = resolve));
    const onB = readFrames(`${b.url}/chat/persisted`, { stopWhen: () => (attached(), false) });
    await bReads;
    await redisServer.restart();
    const [fromA, fromB] = await Promise.all([onA, onB]);
    expect(errorOf(fromA.frames)).toBeUndefined();
    expect(textOf(fromA.frames)).toBe(expectedText);
    expect(textOf(fromB.frames)).toBe(expectedText);
    // The provider request ran to its end: the restart did not stop the producer.
    expect((await request.closed).completed).toBe(true);
    expect(provider.requests.length).toBe(requestIndex + 1);
    // Every position once, in order, across the restart.
    const ids = fromB.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(ids.every((seq, i) => i === 0 || seq >= ids[i - 1]!)).toBe(true);
    // And a reader arriving after the end replays it from the restored log.
    expect(textOf((await readFrames(`${b.url}/chat/persisted`)).frames)).toBe(expectedText);
  });
});

describe('without persistence', () => {
  let setup: TwoInstances;
  beforeAll(async () => (setup = await setUp(false)), 60_000);
  afterAll(() => setup?.stop());

  it('the log is lost: the producer stops (its provider request is closed) and readers on A and B end with a typed network error', async () => {
    const { redis, redisServer, provider, a, b } = setup;
    const requestIndex = provider.requests.length;
    const onA = readFrames(`${a.url}/chat/lost`, { method: 'POST' });
    const request = await provider.waitForRequest(requestIndex);
    await batches(redis, 'lost', 2);
    // Restart once B is reading (B's first read found the stream).
    let attached!: () => void;
    const bReads = new Promise<void>((resolve) => (attached = resolve));
    const onB = readFrames(`${b.url}/chat/lost`, { stopWhen: () => (attached(), false) });
    await bReads;
    await redisServer.restart();
    const [fromA, fromB] = await Promise.all([onA, onB]);
    for (const { frames } of [fromA, fromB]) {
      expect(errorOf(frames)).toMatchObject({ code: 'network', retryable: false });
      // What was read before is a prefix of the answer: nothing made up, no hole.
      expect(expectedText.startsWith(textOf(frames))).toBe(true);
      expect(textOf(frames).length).toBeLessThan(expectedText.length);
    }
    // The producer's next write was refused and it stopped: the model call was aborted.
    const closed = await request.closed;
    expect(closed.clientClosed).toBe(true);
    expect(closed.completed).toBe(false);
    // Nothing of the stream was written again into the empty Redis, and it is now unknown.
    expect(await redis.exists('rxllm:{lost}:log', 'rxllm:{lost}:meta')).toBe(0);
    expect((await fetch(`${b.url}/chat/lost`)).status).toBe(404);
  });
});
