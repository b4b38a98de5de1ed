import OpenAI from 'openai';
import { asyncScheduler, lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import type { ComparisonEvent, RxllmEvent } from '../../src/base/events';
import { MessageAccumulator } from '../../src/base/message';
import { aggregateUsage, type UsageReport } from '../../src/operators/aggregateUsage';
import { bufferTokens } from '../../src/operators/bufferTokens';
import { mergeTracks, type MergeTracksConfig } from '../../src/tracks/mergeTracks';
import { throttleTokens } from '../../src/operators/throttleTokens';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { toStore } from '../../src/sinks/toStore';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import {
  createReplayServer,
  type ReplayRoute,
  type ReplayServer,
} from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';

/**
 * Every mergeTracks strategy against two real local servers: one speaking Ollama's NDJSON (the
 * local model), one speaking OpenAI's SSE through the real `openai` client (the cloud model),
 * with different latencies. Where the outcome depends on who is first, the loser either stalls
 * (sends headers, then nothing), starts far later, or sends its request only once the other track
 * showed text, so the result does not hang on scheduling luck; the servers report whether the
 * client closed the loser's connection.
 */

// What the two recorded streams say (see the decoder tests, where these are asserted byte by byte).
const localText = 'Fluffy Burrower.';
const cloudText =
  "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
  'I recommend checking a reliable weather website or a weather app.';

const localTranscript = fixtureBytes('ollama/generate-text-context-metrics.ndjson');
const cloudTranscript = fixtureBytes('openai-chat/text-include-usage.sse');

const fastLocal: ReplayRoute = { transcript: localTranscript, timing: { tokensPerSecond: 40 } };
/** The bytes of the local transcript's first `count` NDJSON lines ("Fl", "uff", "y", …). */
const firstLines = (count: number) => {
  const lines = Buffer.from(localTranscript).toString('utf8').split('\n');
  return Buffer.byteLength(`${lines.slice(0, count).join('\n')}\n`);
};
// A draft for handoff: three lines, then nothing, so that it cannot end before the cloud answer
// takes over, however late that comes on a loaded machine.
const draftLocal: ReplayRoute = {
  transcript: localTranscript,
  timing: { tokensPerSecond: 10 },
  fault: { kind: 'stall', afterBytes: firstLines(3) },
};
const stalledLocal: ReplayRoute = { transcript: localTranscript, fault: { kind: 'stall', afterBytes: 0 } };
const cloud = (timeToFirstByteMs: number): ReplayRoute => ({
  transcript: cloudTranscript,
  timing: { timeToFirstByteMs, tokensPerSecond: 200 },
});
const stalledCloud: ReplayRoute = { transcript: cloudTranscript, fault: { kind: 'stall', afterBytes: 0 } };

let servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

/**
 * Resolves at the local track's first text: `afterLocalText(fetch)` is a fetch that sends its
 * request only then, for a cloud that must start after the draft showed something (an event to
 * wait on rather than a head start on the clock).
 */
function localTextGate() {
  let shown!: () => void;
  const localShowedText = new Promise<void>((resolve) => (shown = resolve));
  return {
    sawLocal: (event: RxllmEvent) => {
      if (event.type === 'text') shown();
    },
    afterLocalText:
      (fetchNow: typeof fetch): typeof fetch =>
      async (...args) => {
        await localShowedText;
        return fetchNow(...args);
      },
  };
}

async function setUp(local: ReplayRoute, remote: ReplayRoute, order?: ReturnType<typeof localTextGate>) {
  const localServer = await createReplayServer(local);
  const cloudServer = await createReplayServer(remote);
  servers.push(localServer, cloudServer);
  const openai = new OpenAI({
    apiKey: 'test',
    baseURL: cloudServer.openaiBaseURL,
    maxRetries: 0,
    ...(order && { fetch: order.afterLocalText(fetch) }),
  });
  const local$ = fromOllama({
    baseUrl: localServer.url,
    model: 'granite3.3:2b',
    prompt: 'Name a hamster.',
  }).pipe(tap((event) => order?.sawLocal(event)));
  const cloud$ = fromOpenAI(openai, {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Weather in SF?' }],
  });
  const run = (config: Omit<MergeTracksConfig, 'name'>): Promise<RxllmEvent[]> =>
    lastValueFrom(
      (local$ as Observable<RxllmEvent>).pipe(
        mergeTracks({ cloud: cloud$ }, { ...config, name: 'local' }),
        toArray(),
      ),
    );
  return { localServer, cloudServer, run };
}

const textOf = (events: RxllmEvent[], track?: string) => {
  const message = new MessageAccumulator();
  for (const event of events) if (track === undefined || event.track === track) message.apply(event);
  return message.snapshot().text;
};
const tracksShowingText = (events: RxllmEvent[]) => [
  ...new Set(events.filter((event) => event.type === 'text').map((event) => event.track)),
];

describe('mergeTracks against real local and cloud servers', () => {
  it('interleave: streams both answers to the end, each tagged with its track', async () => {
    const { localServer, cloudServer, run } = await setUp(fastLocal, cloud(100));
    const events = await run({ strategy: 'interleave' });
    expect(textOf(events, 'local')).toBe(localText);
    expect(textOf(events, 'cloud')).toBe(cloudText);
    expect(events.every((event) => event.track === 'local' || event.track === 'cloud')).toBe(true);
    expect(localServer.requests[0]!.completed).toBe(true);
    expect(cloudServer.requests[0]!.completed).toBe(true);
  });

  it('interleave: a cloud HTTP error becomes an in-band error while the local answer completes', async () => {
    const { run } = await setUp(fastLocal, { fault: { kind: 'http-error', status: 503 } });
    const events = await run({ strategy: 'interleave' });
    const errors = events.filter((event) => event.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ track: 'cloud', error: { code: 'overloaded', status: 503 } });
    expect(textOf(events, 'local')).toBe(localText);
  });

  it('race: the local model answers first, and the stalled cloud request is aborted', async () => {
    const { cloudServer, run } = await setUp(
      { ...fastLocal, timing: { timeToFirstByteMs: 300, tokensPerSecond: 40 } },
      stalledCloud,
    );
    const events = await run({ strategy: 'race' });
    expect(tracksShowingText(events)).toEqual(['local']);
    expect(textOf(events)).toBe(localText);
    expect(events).toContainEqual({ type: 'finish', reason: 'cancelled', track: 'cloud' });
    const cloudRequest = await (await cloudServer.waitForRequest(0)).closed;
    expect(cloudRequest.clientClosed).toBe(true);
    expect(cloudRequest.completed).toBe(false);
  });

  it("fallback (afterOutput 'reset'): a local stream cut mid-answer is reset and the cloud answer replaces it", async () => {
    // The connection is cut right after the first three NDJSON lines ("Fl", "uff", "y").
    const { cloudServer, run } = await setUp(
      { ...fastLocal, fault: { kind: 'cut', afterBytes: firstLines(3) } },
      cloud(50),
    );
    const events = await run({ strategy: 'fallback', afterOutput: 'reset' });
    const resetAt = events.findIndex((event) => event.type === 'reset');
    expect(events[resetAt]).toEqual({ type: 'reset', reason: 'fallback', track: 'local' });
    expect(textOf(events.slice(0, resetAt), 'local')).toBe('Fluffy');
    expect(textOf(events)).toBe(cloudText);
    expect(cloudServer.requests).toHaveLength(1);
  });

  it('fallback: a local model that shows nothing within firstTokenMs is abandoned without a reset', async () => {
    const { localServer, run } = await setUp(stalledLocal, cloud(0));
    const events = await run({ strategy: 'fallback', firstTokenMs: 200 });
    expect(events.some((event) => event.type === 'reset')).toBe(false);
    expect(tracksShowingText(events)).toEqual(['cloud']);
    expect(textOf(events)).toBe(cloudText);
    const localRequest = await localServer.requests[0]!.closed;
    expect(localRequest.clientClosed).toBe(true);
  });

  it('hedge: the cloud backup starts only after the local model stays silent, wins, and the local request is aborted', async () => {
    const { localServer, cloudServer, run } = await setUp(stalledLocal, cloud(0));
    const events = await run({ strategy: 'hedge', hedgeAfterMs: 150 });
    expect(tracksShowingText(events)).toEqual(['cloud']);
    expect(textOf(events)).toBe(cloudText);
    expect(events).toContainEqual({ type: 'finish', reason: 'cancelled', track: 'local' });
    expect(cloudServer.requests).toHaveLength(1);
    const localRequest = await localServer.requests[0]!.closed;
    expect(localRequest.clientClosed).toBe(true);
  });

  it('hedge: no cloud request is made when the local model answers in time', async () => {
    const { cloudServer, run } = await setUp(fastLocal, cloud(0));
    const events = await run({ strategy: 'hedge', hedgeAfterMs: 5_000 });
    expect(textOf(events)).toBe(localText);
    expect(cloudServer.requests).toHaveLength(0);
  });

  it('handoff: shows the local draft, then resets it and continues with the cloud answer', async () => {
    const { localServer, run } = await setUp(draftLocal, cloud(0), localTextGate());
    const events = await run({ strategy: 'handoff' });
    const resetAt = events.findIndex((event) => event.type === 'reset');
    expect(events[resetAt]).toEqual({ type: 'reset', reason: 'handoff', track: 'local' });
    const draft = textOf(events.slice(0, resetAt), 'local');
    expect(draft.length).toBeGreaterThan(0);
    expect(localText.startsWith(draft)).toBe(true);
    expect(tracksShowingText(events.slice(resetAt))).toEqual(['cloud']);
    expect(textOf(events)).toBe(cloudText);
    const localRequest = await localServer.requests[0]!.closed;
    expect(localRequest.clientClosed).toBe(true);
  });

  it('compare: runs both to the end and reports both tracks and their agreement', async () => {
    const { run } = await setUp(fastLocal, cloud(100));
    const events = await run({ strategy: 'compare' });
    const comparison = events.at(-1) as ComparisonEvent;
    expect(comparison.type).toBe('comparison');
    expect(
      comparison.tracks.map(({ track, text, tokens, finishReason }) => ({
        track,
        text,
        tokens,
        finishReason,
      })),
    ).toEqual([
      { track: 'local', text: localText, tokens: 8, finishReason: 'stop' },
      { track: 'cloud', text: cloudText, tokens: 30, finishReason: 'stop' },
    ]);
    for (const figures of comparison.tracks) {
      expect(figures.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
      expect(figures.totalMs).toBeGreaterThanOrEqual(figures.timeToFirstTokenMs!);
    }
    // The two answers share no word.
    expect(comparison.similarity).toEqual({ 'local|cloud': 0 });
    expect(comparison.similarityMeasure).toBe('word-cosine');
  });
});

describe("the README's headline pipeline", () => {
  it('hands off from a local draft to the cloud answer, buffered, paced, priced, into a UI store', async () => {
    const order = localTextGate();
    const { localServer } = await setUp(draftLocal, cloud(0));
    const cloudServer = servers[1]!;
    const openai = new OpenAI({
      apiKey: 'test',
      baseURL: cloudServer.openaiBaseURL,
      maxRetries: 0,
      fetch: order.afterLocalText(fetch),
    });
    const messages = [{ role: 'user' as const, content: 'Weather in SF?' }];
    // Every state, not one per moment: the draft's last words and its reset arrive together.
    const chatStore = createMessageStore({ notify: 'sync' });
    const seenByStore: string[] = [];
    chatStore.subscribe(() => {
      const local = chatStore.getSnapshot().tracks.local;
      if (local) seenByStore.push(local.text);
    });
    const finalReport = new Promise<UsageReport>((resolve) => {
      fromOllama({ baseUrl: localServer.url, model: 'llama3.2', messages })
        .pipe(
          tap((event) => order.sawLocal(event)),
          mergeTracks(
            { cloud: fromOpenAI(openai, { model: 'gpt-4o-2024-08-06', messages }) },
            {
              strategy: 'handoff',
              name: 'local',
            },
          ),
          bufferTokens({ boundary: 'word' }),
          throttleTokens({ scheduler: asyncScheduler }),
          aggregateUsage({ pricing: { 'gpt-4o': { input: 2.5, output: 10 } }, onFinal: resolve }),
        )
        .subscribe(toStore(chatStore));
    });
    const report = await finalReport;
    await new Promise((resolve) => setTimeout(resolve, 0));
    const state = chatStore.getSnapshot();
    expect(state.status).toBe('done');
    expect(state.tracks.cloud?.text).toBe(cloudText);
    // The local draft was shown, then taken back when the cloud answer started.
    expect(seenByStore.some((text) => text.length > 0)).toBe(true);
    expect(state.tracks.local?.text).toBe('');
    expect(state.tracks.local?.resetReason).toBe('handoff');
    // gpt-4o at the overridden $2.5 / $10 per million: 14 input and 30 output tokens.
    expect(state.tracks.cloud?.usage?.cost).toBeCloseTo((14 * 2.5 + 30 * 10) / 1e6, 12);
    expect(report.outcome).toBe('complete');
    expect((await localServer.requests[0]!.closed).clientClosed).toBe(true);
  });
});
