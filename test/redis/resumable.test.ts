import { lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { fromSSE } from '../../src/sources/fromSSE';
import { fixtureBytes } from '../support/decodeFixture';
import { readFrames, startInstance, textOf, type Frame } from './support/sseClient';
import { startTwoInstances, type TwoInstances } from './support/twoInstances';

const fixture = 'openai-chat/text-obfuscation-usage.sse';
const anthropicFixture = 'anthropic/thinking-signature.sse';
const leaseMs = 600;

let setup: TwoInstances;
let expectedText: string;
let expectedTokens: number;

beforeAll(async () => {
  const timing = { tokensPerSecond: 150 };
  setup = await startTwoInstances({
    routes: {
      '/v1/chat/completions': { transcript: fixtureBytes(fixture), timing },
      '/v1/messages': { transcript: fixtureBytes(anthropicFixture), timing },
    },
    leaseMs,
    batchMs: 50,
  });
  const events = await lastValueFrom(
    fromSSE(new Response(fixtureBytes(fixture) as BodyInit), { dialect: 'openai-chat' }).pipe(toArray()),
  );
  const texts = events.filter(
    (event): event is Extract<RxllmEvent, { type: 'text' }> => event.type === 'text',
  );
  expectedText = texts.map((event) => event.text).join('');
  expectedTokens = texts.length;
}, 60_000);

afterAll(() => setup?.stop());

const ids = (frames: Frame[]): number[] => frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
const texts = (count: number) => (frames: Frame[]) =>
  frames.filter((f) => f.event === 'text').length >= count;

/** Redis command calls by name, from INFO commandstats. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await setup.redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) calls[match[1]!] = Number(match[2]);
  return calls;
}

it('a client reads part from instance A, reconnects to B with Last-Event-ID and gets the rest, byte for byte', async () => {
  await setup.redis.config('RESETSTAT');
  const requestsBefore = setup.provider.requests.length;
  const first = await readFrames(`${setup.a.url}/chat/resume-1`, { method: 'POST', stopWhen: texts(20) });
  expect(first.dropped).toBe(true);
  const lastEventId = first.frames.at(-1)!.id!;
  const rest = await readFrames(`${setup.b.url}/chat/resume-1`, {
    headers: { 'last-event-id': lastEventId },
  });
  expect(rest.status).toBe(200);
  expect(rest.frames.at(-1)).toMatchObject({ event: 'done' });
  expect(textOf(first.frames) + textOf(rest.frames)).toBe(expectedText);
  // Positions strictly increase across the reconnect: nothing duplicated, nothing skipped.
  const seen = [...ids(first.frames), ...ids(rest.frames)];
  for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
  expect(new Set(seen.slice(0, first.frames.length)).has(ids(rest.frames)[0]!)).toBe(false);
  // One model call in all: the reconnect read the log.
  expect(setup.provider.requests.length).toBe(requestsBefore + 1);
  // Batched writes: far fewer XADDs than tokens.
  const calls = await commandCalls();
  console.log(
    `XADD calls ${calls.xadd} for ${expectedTokens} text events; all commands ${JSON.stringify(calls)}`,
  );
  expect(calls.xadd).toBeGreaterThan(0);
  expect(calls.xadd! * 3).toBeLessThan(expectedTokens);

  // The finished stream, asked for again on either instance, is replayed and ends.
  const replay = await readFrames(`${setup.b.url}/chat/resume-1`);
  expect(textOf(replay.frames)).toBe(expectedText);
  const fromQuery = await readFrames(`${setup.a.url}/chat/resume-1?from=${Number(lastEventId) + 1}`);
  expect(textOf(fromQuery.frames)).toBe(textOf(rest.frames));
  expect(setup.provider.requests.length).toBe(requestsBefore + 1);
});

it('resumes in another dialect too (openai-chat frames, read by their text)', async () => {
  const openaiText = (frames: Frame[]): string =>
    frames
      .filter((f) => f.data !== '[DONE]')
      .map(
        (f) =>
          (JSON.parse(f.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ??
          '',
      )
      .join('');
  const first = await readFrames(`${setup.a.url}/chat/resume-2?dialect=openai-chat`, {
    method: 'POST',
    stopWhen: (frames) => frames.length >= 15,
  });
  const rest = await readFrames(`${setup.b.url}/chat/resume-2?dialect=openai-chat`, {
    headers: { 'last-event-id': first.frames.at(-1)!.id! },
  });
  expect(rest.frames.at(-1)!.data).toBe('[DONE]');
  expect(openaiText(first.frames) + openaiText(rest.frames)).toBe(expectedText);
});

it('resumes an Anthropic stream as Anthropic frames (stateful blocks) on the other instance', async () => {
  const events = await lastValueFrom(
    fromSSE(new Response(fixtureBytes(anthropicFixture) as BodyInit), { dialect: 'anthropic' }).pipe(
      toArray(),
    ),
  );
  const expected = events.map((event) => (event.type === 'text' ? event.text : '')).join('');
  const deltas = (frames: Frame[]): string =>
    frames
      .filter((f) => f.event === 'content_block_delta')
      .map((f) => (JSON.parse(f.data) as { delta: { type: string; text?: string } }).delta)
      .map((delta) => (delta.type === 'text_delta' ? delta.text! : ''))
      .join('');
  const first = await readFrames(
    `${setup.a.url}/chat/resume-anthropic?provider=anthropic&dialect=anthropic`,
    {
      method: 'POST',
      stopWhen: (frames) => frames.length >= 40,
    },
  );
  const rest = await readFrames(`${setup.b.url}/chat/resume-anthropic?dialect=anthropic`, {
    headers: { 'last-event-id': first.frames.at(-1)!.id! },
  });
  expect(expected.length).toBeGreaterThan(0);
  // One message_start in all: the resumed encoder replayed the prefix without writing it again.
  const starts = [...first.frames, ...rest.frames].filter((f) => f.event === 'message_start');
  expect(starts).toHaveLength(1);
  expect(rest.frames.at(-1)).toMatchObject({ event: 'message_stop' });
  expect(deltas(first.frames) + deltas(rest.frames)).toBe(expected);
});

it('a second reader attaching mid-stream on another instance reads the whole stream', async () => {
  const early = readFrames(`${setup.a.url}/chat/second-reader`, { method: 'POST' });
  // Attach once the producer has written something: poll the log's length in Redis.
  while ((await setup.redis.xlen('rxllm:{second-reader}:log')) < 2)
    await new Promise((r) => setTimeout(r, 10));
  const late = await readFrames(`${setup.b.url}/chat/second-reader`);
  expect(textOf(late.frames)).toBe(expectedText);
  expect(textOf((await early).frames)).toBe(expectedText);
});

it('an unknown id is a 404, not a model call', async () => {
  const requestsBefore = setup.provider.requests.length;
  const response = await fetch(`${setup.b.url}/chat/never-started`);
  expect(response.status).toBe(404);
  const cancel = await fetch(`${setup.b.url}/chat/never-started/cancel`, { method: 'POST' });
  expect(cancel.status).toBe(404);
  expect(setup.provider.requests.length).toBe(requestsBefore);
});

it('a cancel sent to B stops the producer on A: its provider request is closed, readers see finish cancelled', async () => {
  const requestIndex = setup.provider.requests.length;
  const reading = readFrames(`${setup.a.url}/chat/cancel-1`, { method: 'POST' });
  const request = await setup.provider.waitForRequest(requestIndex);
  // Wait until tokens flow, then cancel on the other instance.
  while ((await setup.redis.xlen('rxllm:{cancel-1}:log')) < 1) await new Promise((r) => setTimeout(r, 10));
  const cancel = await fetch(`${setup.b.url}/chat/cancel-1/cancel`, { method: 'POST' });
  expect(cancel.status).toBe(200);
  const closed = await request.closed;
  expect(closed.clientClosed).toBe(true);
  expect(closed.completed).toBe(false);
  const { frames } = await reading;
  const finishes = frames
    .filter((f) => f.event === 'finish')
    .map((f) => JSON.parse(f.data) as { reason: string });
  expect(finishes).toEqual([expect.objectContaining({ reason: 'cancelled' })]);
  expect(textOf(frames).length).toBeLessThan(expectedText.length);
  expect(expectedText.startsWith(textOf(frames))).toBe(true);
  // A reader arriving later reads the same cancelled stream, from any instance.
  const later = await readFrames(`${setup.b.url}/chat/cancel-1`);
  expect(later.frames.filter((f) => f.event === 'finish')).toEqual(
    frames.filter((f) => f.event === 'finish'),
  );
});

it('killing the producer process mid-stream makes readers on B fail with a typed error', async () => {
  const c = await startInstance(setup.env);
  try {
    void readFrames(`${c.url}/chat/killed`, { method: 'POST' }).catch(() => {});
    while ((await setup.redis.xlen('rxllm:{killed}:log')) < 1) await new Promise((r) => setTimeout(r, 10));
    let killed = false;
    const reading = readFrames(`${setup.b.url}/chat/killed`, {
      stopWhen: (frames) => {
        if (!killed && frames.length >= 5) {
          killed = true;
          c.process.kill('SIGKILL');
        }
        return false;
      },
    });
    const { frames } = await reading;
    expect(killed).toBe(true);
    const last = frames.at(-1)!;
    expect(last.event).toBe('rxllm-error');
    expect(JSON.parse(last.data)).toMatchObject({
      type: 'error',
      error: { name: 'RxllmError', code: 'timeout' },
    });
    expect(expectedText.startsWith(textOf(frames))).toBe(true);
  } finally {
    await c.stop();
  }
});
