import type { RxllmEvent } from '../../src/base/events';
import type { ReplayRoute } from '../../src/testing/createReplayServer';
import { decodeChunks, decodeFixture, fixtureBytes } from '../support/decodeFixture';
import { allFixtures, dialectOf } from '../support/fixtureDialect';
import { readFrames, type Frame } from './support/sseClient';
import { startTwoInstances, type TwoInstances } from './support/twoInstances';

/**
 * Issue 14's two-instance resume for every fixture dialect: for each recorded transcript, instance
 * A's producer reads it (paced by the replay server) in its provider dialect and records it in
 * Redis; a client reads about half of the stream from A, drops the connection, reconnects to B
 * with Last-Event-ID and reads the rest. The frames of both connections, put together, must decode
 * to exactly the events (and the text, byte for byte) that decoding the transcript directly gives.
 */

const providerDialects = [
  'openai-chat',
  'openai-responses',
  'anthropic',
  'gemini',
  'ollama',
  'bedrock-converse',
  'bedrock-anthropic',
] as const;

const cases = allFixtures
  .map((path) => ({ path, dialect: dialectOf(path) }))
  .filter(({ dialect }) => (providerDialects as readonly string[]).includes(dialect));

let setup: TwoInstances;

beforeAll(async () => {
  const routes: Record<string, ReplayRoute> = {};
  for (const { path, dialect } of cases) {
    routes[`/fixture/${path}`] = dialect.startsWith('bedrock')
      ? {
          transcript: fixtureBytes(path),
          headers: { 'content-type': 'application/vnd.amazon.eventstream' },
          timing: { sliceBytes: 61, sliceDelayMs: 4 },
        }
      : { transcript: fixtureBytes(path), timing: { tokensPerSecond: 400 } };
  }
  setup = await startTwoInstances({ routes, leaseMs: 2000, batchMs: 10 });
}, 60_000);

afterAll(() => setup?.stop());

/** The frames as SSE text again, to be decoded by rxllm's own reader of its dialect. */
const wire = (frames: Frame[]): string =>
  frames
    .map(
      (f) =>
        `${f.event === undefined ? '' : `event: ${f.event}\n`}${f.id === undefined ? '' : `id: ${f.id}\n`}data: ${f.data}\n\n`,
    )
    .join('');

const textOf = (events: RxllmEvent[]): string =>
  events.map((event) => (event.type === 'text' ? event.text : '')).join('');

const withoutSeq = (event: RxllmEvent): Omit<RxllmEvent, 'seq'> => {
  const { seq: _seq, ...rest } = event;
  return rest;
};

it('covers every provider dialect of the fixtures', () => {
  expect(new Set(cases.map((c) => c.dialect))).toEqual(new Set(providerDialects));
});

describe.each(providerDialects)('%s', (dialect) => {
  it.each(cases.filter((c) => c.dialect === dialect).map((c) => c.path))(
    '%s: half from A, the rest from B with Last-Event-ID, equals the transcript',
    async (path) => {
      const expected = decodeFixture(dialect, path);
      const id = path.replace(/[^\w-]/g, '-');
      const half = Math.max(1, Math.floor(expected.events.length / 2));
      const requestIndex = setup.provider.requests.length;
      const first = await readFrames(
        `${setup.a.url}/chat/${id}?fixture=${encodeURIComponent(path)}&input=${dialect}`,
        { method: 'POST', stopWhen: (frames) => frames.length >= half },
      );
      // The client keeps the first `half` frames and reconnects after the last of them (a short
      // stream may have reached it whole in one chunk before the drop: the resume point is the same).
      expect(first.status).toBe(200);
      const kept = first.frames.slice(0, half);
      expect(kept.length).toBe(half);
      const lastEventId = kept.at(-1)?.id;
      expect(lastEventId).toBeDefined();
      const rest = await readFrames(`${setup.b.url}/chat/${id}`, {
        headers: { 'last-event-id': lastEventId! },
      });
      expect(rest.status).toBe(200);
      // One provider request in all: B read the log, it did not call the model again.
      expect(setup.provider.requests.length).toBe(requestIndex + 1);

      const both = decodeChunks('rxllm', [wire([...kept, ...rest.frames])]);
      // `seq` is the source's numbering (the direct decoding has none); everything else must match.
      expect(both.events.map(withoutSeq)).toEqual(expected.events.map(withoutSeq));
      expect(both.error?.code).toBe(expected.error?.code);
      expect(both.error?.message).toBe(expected.error?.message);
      expect(textOf(both.events)).toBe(textOf(expected.events));
      // No frame twice: positions only grow across the reconnect.
      const seen = [...kept, ...rest.frames].map((f) => Number(f.id));
      expect(seen.every((seq, i) => i === 0 || seq >= seen[i - 1]!)).toBe(true);
      expect(Number(rest.frames[0]?.id ?? Infinity)).toBeGreaterThan(Number(lastEventId));
    },
  );
});
