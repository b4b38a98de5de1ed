import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { BehaviorSubject, concat, lastValueFrom, of, toArray, type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { aggregateUsage, type UsageReport } from '../../src/operators/aggregateUsage';
import { mergeTracks, type MergeTracksConfig } from '../../src/tracks/mergeTracks';
import { pausable } from '../../src/operators/pausable';
import { retryStream } from '../../src/operators/retryStream';
import { collect } from '../../src/sinks/collect';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';

/**
 * "Usage and cost are lost" (issue 9), reproduced through the real SDK clients against local
 * replay servers: a second model call on a track overwrote the first call's usage, a track
 * cancelled before its `start` had no price, and the usage total was a phantom track.
 */

// What the recorded streams report (see the decoder tests).
const toolStep = fixtureBytes('openai-chat/parallel-tool-calls.sse'); // 149 in, 60 out
const answerStep = fixtureBytes('openai-chat/text-include-usage.sse'); // 14 in, 30 out
const failsAfterUsage = fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'); // 11 in, 1 out, then overloaded
const anthropicToolUse = fixtureBytes('anthropic/tool-use.sse'); // 377 in, 65 out

let servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function serve(config: Parameters<typeof createReplayServer>[0]): Promise<ReplayServer> {
  const server = await createReplayServer(config);
  servers.push(server);
  return server;
}

const messages = [{ role: 'user' as const, content: 'Weather in Paris and Tokyo?' }];

describe('steps and usage', () => {
  it('sums the usage of a two-step exchange on one track instead of keeping the last step', async () => {
    // A hand-written tool loop: the model asks for tools, then answers. Two requests, two bills.
    // Two requests per run, and the exchange runs twice (collect, then aggregateUsage).
    const steps = [{ transcript: toolStep }, { transcript: answerStep }];
    const server = await serve({ routes: { '/v1/chat/completions': [...steps, ...steps] } });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const exchange$ = concat(
      fromOpenAI(openai, { model: 'gpt-4o', messages }),
      fromOpenAI(openai, { model: 'gpt-4o', messages }),
    );

    const message = await collect(exchange$);
    expect(server.requests).toHaveLength(2);
    expect(message.usage).toMatchObject({
      inputTokens: 149 + 14,
      outputTokens: 60 + 30,
      totalTokens: 209 + 44,
    });
    expect(
      message.steps?.map((step) => [step.step, step.usage?.inputTokens, step.usage?.outputTokens]),
    ).toEqual([
      [0, 149, 60],
      [1, 14, 30],
    ]);

    let report: UsageReport | undefined;
    const events = await lastValueFrom(
      exchange$.pipe(aggregateUsage({ estimate: false, onFinal: (final) => (report = final) }), toArray()),
    );
    expect(server.requests).toHaveLength(4);
    expect(report!.total).toMatchObject({ inputTokens: 163, outputTokens: 90 });
    // gpt-4o (as both responses name it): $2.5 in, $10 out per million, step by step.
    expect(report!.total.cost).toBeCloseTo((163 * 2.5 + 90 * 10) / 1e6, 12);
    expect(events.filter((event) => event.type === 'usage').map((event) => event.step)).toEqual([0, 1]);
  });

  it("counts a failed attempt's usage next to the retry's: the provider billed both", async () => {
    const server = await serve({
      routes: { '/v1/messages': [{ transcript: failsAfterUsage }, { transcript: anthropicToolUse }] },
    });
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const message = await collect(
      fromAnthropic(anthropic, { model: 'claude-sonnet-4-20250514', max_tokens: 256, messages }).pipe(
        // The failed attempt had shown a token: retrying it is opt-in (see Retry and reset).
        retryStream({ initialDelayMs: 1, jitter: 0, afterOutput: 'reset' }),
      ),
    );
    expect(server.requests).toHaveLength(2);
    expect(message.usage).toMatchObject({ inputTokens: 11 + 377, outputTokens: 1 + 65 });
    expect(message.steps?.map((step) => step.step)).toEqual([0, 1]);
    expect(message.text).toBe("I'll check the current weather in Paris for you.");
  });

  describe('prices a track cancelled before its start by the model it requested, marked estimated', () => {
    const prompt = 'Weather in Paris and Tokyo?';

    async function outcome(strategy: MergeTracksConfig['strategy']) {
      // The loser: Anthropic's server sends headers and then nothing, so no `start` ever arrives.
      const stalled = await serve({ transcript: anthropicToolUse, fault: { kind: 'stall', afterBytes: 0 } });
      const anthropic = new Anthropic({ apiKey: 'test', baseURL: stalled.anthropicBaseURL, maxRetries: 0 });
      const loser$ = fromAnthropic(anthropic, {
        model: 'claude-3-5-haiku-20241022',
        max_tokens: 64,
        messages,
      });
      let report: UsageReport | undefined;
      let pipeline: Observable<RxllmEvent>;
      if (strategy === 'handoff') {
        // The draft (a local model) answers; the cloud track does not start within 50 ms.
        const local = await serve({
          transcript: fixtureBytes('ollama/generate-text-context-metrics.ndjson'),
        });
        pipeline = fromOllama({ baseUrl: local.url, model: 'granite3.3:2b', prompt }).pipe(
          mergeTracks({ cloud: loser$ }, { strategy, name: 'local', handoffWithinMs: 50 }),
        );
      } else {
        const winner = await serve({ transcript: answerStep });
        const openai = new OpenAI({ apiKey: 'test', baseURL: winner.openaiBaseURL, maxRetries: 0 });
        pipeline = loser$.pipe(
          mergeTracks(
            { cloud: fromOpenAI(openai, { model: 'gpt-4o-mini', messages }) },
            { strategy, name: 'slow', ...(strategy === 'hedge' && { hedgeAfterMs: 10 }) },
          ),
        );
      }
      const events = await lastValueFrom(
        pipeline.pipe(
          aggregateUsage({ prompt, estimate: (text) => text.length, onFinal: (final) => (report = final) }),
          toArray(),
        ),
      );
      expect((await stalled.requests[0]!.closed).clientClosed).toBe(true);
      return { events, report: report!, loser: strategy === 'handoff' ? 'cloud' : 'slow' };
    }

    it.each(['race', 'hedge', 'handoff'] as const)('%s', async (strategy) => {
      const { events, report, loser } = await outcome(strategy);
      expect(events.some((event) => event.type === 'start' && event.track === loser)).toBe(false);
      const lost = report.tracks.find((usage) => usage.track === loser);
      // Its prompt (27 characters, counted by the test's estimator) at claude-3-5-haiku's $0.8 per million.
      expect(lost).toMatchObject({ inputTokens: prompt.length, outputTokens: 0, estimated: true });
      expect(lost!.cost).toBeCloseTo((prompt.length * 0.8) / 1e6, 12);
      expect(report.total.cost).toBeDefined();
      expect(report.total.estimated).toBe(true);
      const total = events.filter((event) => event.type === 'usage-total').at(-1);
      expect(total).toMatchObject({ estimated: true, cost: report.total.cost });
    });
  });

  it('keeps the usage total out of the tracks: the store shows it as the message usage', async () => {
    const cloud = await serve({ transcript: answerStep });
    const local = await serve({ transcript: fixtureBytes('ollama/generate-text-context-metrics.ndjson') });
    const openai = new OpenAI({ apiKey: 'test', baseURL: cloud.openaiBaseURL, maxRetries: 0 });
    const store = createMessageStore();
    const statuses = new Set<string>();
    store.subscribe((state) => {
      for (const [name, track] of Object.entries(state.tracks)) statuses.add(`${name}:${track.status}`);
    });
    await new Promise<void>((resolve, reject) => {
      store
        .connect(
          fromOllama({ baseUrl: local.url, model: 'granite3.3:2b', prompt: 'Name a hamster.' }).pipe(
            mergeTracks(
              { cloud: fromOpenAI(openai, { model: 'gpt-4o-mini', messages }) },
              { strategy: 'interleave', name: 'local' },
            ),
            aggregateUsage({ estimate: false }),
          ),
        )
        .add(() => (store.getSnapshot().status === 'error' ? reject(store.getSnapshot().error) : resolve()));
    });
    const state = store.getSnapshot();
    expect(Object.keys(state.tracks).sort()).toEqual(['cloud', 'local']);
    expect([...statuses].some((status) => status.startsWith('total:'))).toBe(false);
    const local$ = state.tracks.local!.usage!;
    const cloud$ = state.tracks.cloud!.usage!;
    expect(state.usage).toMatchObject({
      inputTokens: local$.inputTokens + cloud$.inputTokens,
      outputTokens: local$.outputTokens + cloud$.outputTokens,
    });
  });

  it("keeps each step's usage when a paused consumer coalesces what it holds", async () => {
    const paused$ = new BehaviorSubject(true);
    const held = of<RxllmEvent[]>(
      { type: 'step-start', step: 0 },
      { type: 'usage', inputTokens: 149, outputTokens: 1, totalTokens: 150 },
      { type: 'usage', inputTokens: 149, outputTokens: 60, totalTokens: 209 },
      { type: 'step-start', step: 1 },
      { type: 'usage', inputTokens: 14, outputTokens: 30, totalTokens: 44 },
    ).pipe(pausable(paused$, { policy: 'coalesce' }));
    const message = collect(held);
    paused$.next(false);
    expect((await message).usage).toMatchObject({ inputTokens: 163, outputTokens: 90 });
  });
});
