import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  config as rxjsConfig,
  lastValueFrom,
  of,
  Subject,
  throwError,
  concat,
  toArray,
  type Observable,
} from 'rxjs';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { RxllmEvent, UsageEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import {
  aggregateUsage,
  type AggregateUsageConfig,
  type UsageReport,
} from '../../src/operators/aggregateUsage';
import { defaultPriceTable } from '../../src/pricing/defaultPriceTable';
import { loadTokenEstimator } from '../../src/pricing/loadTokenEstimator';
import { ev, formatDiagram, marbles, type MarbleScenario } from '../../src/testing';
import { scenarios } from '../../marbles/aggregateUsage';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: MarbleScenario<AggregateUsageConfig> & { unsubscribe?: string }): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, unsubscribe, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(source$.pipe(aggregateUsage(scenario.config)), unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

/** Subscribes, collects what arrives synchronously, and says how the stream ended. */
function drain(events$: Observable<RxllmEvent>) {
  const events: RxllmEvent[] = [];
  let error: unknown;
  let completed = false;
  const subscription = events$.subscribe({
    next: (event) => events.push(event),
    error: (thrown: unknown) => (error = thrown),
    complete: () => (completed = true),
  });
  return { events, error, completed, subscription };
}

const usages = (events: RxllmEvent[]) =>
  events.filter((event): event is UsageEvent => event.type === 'usage');

describe('aggregateUsage', () => {
  beforeAll(async () => {
    // Loaded up front so that endings needing the default estimator stay synchronous here.
    await loadTokenEstimator();
  });

  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/aggregateUsage.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  describe('cost from the default price table', () => {
    it('prices a dated Claude model with cache reads at the Sonnet 4.5 prices', () => {
      // claude-sonnet-4-5: input $3, cache read $0.30, output $15 per million.
      // (2000 - 1000) * 3 + 1000 * 0.3 + 500 * 15 = 3000 + 300 + 7500 = 10800 → $0.0108
      const { events } = drain(
        of<RxllmEvent[]>(
          ev.start({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' }),
          ev.usage(2000, 500, undefined, { cachedInputTokens: 1000 }),
        ).pipe(aggregateUsage({ estimate: false })),
      );
      expect(usages(events)).toHaveLength(1);
      expect(usages(events)[0]!.cost).toBeCloseTo(0.0108, 12);
    });

    it('prices gpt-4.1-mini reasoning-free output at its output price', () => {
      // gpt-4.1-mini: input $0.40, output $1.60 per million. 10000 * 0.4 + 2500 * 1.6 = 4000 + 4000 → $0.008
      const { events } = drain(
        of<RxllmEvent[]>(ev.start({ model: 'gpt-4.1-mini-2025-04-14' }), ev.usage(10_000, 2500)).pipe(
          aggregateUsage({ estimate: false }),
        ),
      );
      expect(usages(events)[0]!.cost).toBeCloseTo(0.008, 12);
    });

    it('keeps a cost the provider reported', () => {
      const { events } = drain(
        of<RxllmEvent[]>(ev.start({ model: 'gpt-4o' }), ev.usage(10, 10, undefined, { cost: 0.5 })).pipe(
          aggregateUsage({ estimate: false }),
        ),
      );
      expect(usages(events)[0]!.cost).toBe(0.5);
    });

    it('leaves cost out for a model the table does not know, and out of the total', () => {
      const { events } = drain(
        of<RxllmEvent[]>(
          ev.start({ track: 'a', model: 'gpt-4o' }),
          ev.start({ track: 'b', model: 'some-private-model' }),
          ev.usage(100, 10, 'a'),
          ev.usage(100, 10, 'b'),
        ).pipe(aggregateUsage({ estimate: false })),
      );
      const [a, b] = usages(events);
      // gpt-4o: 100 * 2.5 + 10 * 10 = 350 → $0.00035
      expect(a!.cost).toBeCloseTo(0.00035, 12);
      const [totalAfterA, total] = events.filter((event) => event.type === 'usage-total');
      expect(b!.cost).toBeUndefined();
      expect(b!.track).toBe('b');
      expect(totalAfterA).toMatchObject({ cost: a!.cost });
      expect(total).toMatchObject({ inputTokens: 200, outputTokens: 20, totalTokens: 220 });
      expect(total!.cost).toBeUndefined();
    });

    it('prices by the model option when the start event names none', () => {
      // o4-mini: 1000 * 1.1 + 1000 * 4.4 = 5500 → $0.0055
      const { events } = drain(
        of<RxllmEvent[]>(ev.usage(1000, 1000)).pipe(aggregateUsage({ estimate: false, model: 'o4-mini' })),
      );
      expect(usages(events)[0]!.cost).toBeCloseTo(0.0055, 12);
    });
  });

  describe('pricing option', () => {
    it('adds a model to the table', () => {
      // 1000 * 3 + 1000 * 12 = 15000 → $0.015
      const { events } = drain(
        of<RxllmEvent[]>(ev.start({ model: 'ft:gpt-4o-mini:acme:v1' }), ev.usage(1000, 1000)).pipe(
          aggregateUsage({
            estimate: false,
            pricing: { 'ft:gpt-4o-mini:acme:v1': { input: 3, output: 12 } },
          }),
        ),
      );
      expect(usages(events)[0]!.cost).toBeCloseTo(0.015, 12);
    });

    it('overrides an entry of the default table, matched in any case', () => {
      // Negotiated gpt-4o price: 1000 * 1 + 1000 * 2 = 3000 → $0.003 (list price would be $0.0125)
      const { events } = drain(
        of<RxllmEvent[]>(ev.start({ model: 'gpt-4o-2024-08-06' }), ev.usage(1000, 1000)).pipe(
          aggregateUsage({ estimate: false, pricing: { 'GPT-4o-2024-08-06': { input: 1, output: 2 } } }),
        ),
      );
      expect(usages(events)[0]!.cost).toBeCloseTo(0.003, 12);
    });

    it('replaces the whole table with priceTable', () => {
      const { events } = drain(
        of<RxllmEvent[]>(ev.start({ model: 'gpt-4o' }), ev.usage(1000, 1000)).pipe(
          aggregateUsage({
            estimate: false,
            priceTable: { freeProviders: [], models: { other: { input: 1, output: 1 } } },
          }),
        ),
      );
      expect(usages(events)[0]!.cost).toBeUndefined();
    });
  });

  describe('estimates with the default tokenizer', () => {
    it('counts output with gpt-tokenizer o200k_base, text split across chunks counted as one text', () => {
      // gpt-tokenizer counts 'Hello, world! 你好 😀' as 7 tokens (3 + 5 when counted in the two pieces).
      expect(countTokens('Hello, world! 你好 😀')).toBe(7);
      const { events, completed } = drain(
        of<RxllmEvent[]>(ev.text('Hello, wor'), ev.text('ld! 你好 😀'), ev.finish()).pipe(aggregateUsage()),
      );
      expect(completed).toBe(true);
      expect(usages(events)).toEqual([
        { type: 'usage', inputTokens: 0, outputTokens: 7, totalTokens: 7, estimated: true },
      ]);
    });

    it('counts the prompt as input tokens when given, and reasoning and tool arguments as output', () => {
      // 'Say hi' is 2 tokens; 'The quick brown fox jumps over the lazy dog.' is 10, '{"city":"Paris"}' is 5.
      // gpt-4o-mini: 2 * 0.15 + 15 * 0.6 = 0.3 + 9 = 9.3 → $0.0000093
      const { events } = drain(
        of<RxllmEvent[]>(
          ev.start({ model: 'gpt-4o-mini' }),
          ev.reasoning('The quick brown fox '),
          ev.reasoning('jumps over the lazy dog.'),
          ev.toolCallStart('call_1', 'weather'),
          ev.toolCallDelta('call_1', '{"city":'),
          ev.toolCallDelta('call_1', '"Paris"}'),
          ev.toolCall('call_1', 'weather', { city: 'Paris' }),
        ).pipe(aggregateUsage({ prompt: 'Say hi' })),
      );
      const [final] = usages(events);
      expect(final).toMatchObject({ inputTokens: 2, outputTokens: 15, totalTokens: 17, estimated: true });
      expect(final!.cost).toBeCloseTo(0.0000093, 15);
    });

    it('adds an estimate of text after a stale provider snapshot to it when the stream fails', () => {
      // Anthropic reports input at message_start (output 1); the stream then fails mid-answer.
      // 'The quick brown fox jumps over the lazy dog.' is 10 tokens: output 1 + 10.
      const { events, error } = drain(
        concat(
          of<RxllmEvent[]>(
            ev.start({ provider: 'anthropic', model: 'claude-3-5-haiku-20241022' }),
            ev.usage(40, 1),
            ev.text('The quick brown fox jumps over the lazy dog.'),
          ),
          throwError(() => new RxllmError('overloaded', { code: 'overloaded' })),
        ).pipe(aggregateUsage()),
      );
      expect((error as RxllmError).code).toBe('overloaded');
      const final = usages(events).at(-1)!;
      expect(final).toMatchObject({ inputTokens: 40, outputTokens: 11, totalTokens: 51, estimated: true });
      // claude-3-5-haiku: 40 * 0.8 + 11 * 4 = 32 + 44 = 76 → $0.000076
      expect(final.cost).toBeCloseTo(0.000076, 12);
    });

    it("counts a voided attempt's text and text after the last snapshot, not text a snapshot covered", () => {
      // 'ab' was voided by the reset without usage (step 0); 'cde' is covered by the retry's
      // snapshot (step 1); 'f' came after it. Estimated: step 0 'ab' (2 characters) and its
      // prompt (6), step 1 its snapshot plus 'f'.
      const { events, completed } = drain(
        of<RxllmEvent[]>(
          ev.text('ab'),
          ev.reset('retry'),
          { type: 'step-start', step: 1 },
          ev.text('cde'),
          ev.usage(12, 7),
          ev.text(''),
          ev.text('f'),
          ev.finish(),
        ).pipe(aggregateUsage({ estimate: (text) => text.length, prompt: 'Say hi' })),
      );
      expect(completed).toBe(true);
      expect(usages(events)).toEqual([
        { type: 'usage', step: 1, inputTokens: 12, outputTokens: 7, totalTokens: 19 },
        { type: 'usage', step: 0, inputTokens: 6, outputTokens: 2, totalTokens: 8, estimated: true },
        { type: 'usage', step: 1, inputTokens: 12, outputTokens: 7 + 1, totalTokens: 20, estimated: true },
      ]);
    });

    it('does not load gpt-tokenizer when the operator is imported, built or run on streams with usage', async () => {
      let loads = 0;
      jest.doMock('gpt-tokenizer/GptEncoding', () => {
        loads++;
        return jest.requireActual('gpt-tokenizer/GptEncoding');
      });
      try {
        await jest.isolateModulesAsync(async () => {
          const fresh = await import('../../src/operators/aggregateUsage');
          const covered = await lastValueFrom(
            of<RxllmEvent[]>(ev.text('Hi'), ev.usage(3, 1)).pipe(fresh.aggregateUsage(), toArray()),
          );
          expect(covered.map((event) => event.type)).toEqual(['text', 'usage']);
          expect(loads).toBe(0);
          const estimated = await lastValueFrom(
            of<RxllmEvent>(ev.text('Hi')).pipe(fresh.aggregateUsage(), toArray()),
          );
          expect(estimated.at(-1)).toMatchObject({ type: 'usage', outputTokens: 1, estimated: true });
          expect(loads).toBe(1);
        });
      } finally {
        jest.dontMock('gpt-tokenizer/GptEncoding');
      }
    });

    it('loads the tokenizer on first need and completes once it has loaded', async () => {
      let fresh: typeof import('../../src/operators/aggregateUsage') | undefined;
      jest.isolateModules(() => {
        fresh = jest.requireActual<typeof import('../../src/operators/aggregateUsage')>(
          '../../src/operators/aggregateUsage',
        );
      });
      const seen: string[] = [];
      const done = new Promise<void>((resolve, reject) =>
        of<RxllmEvent[]>(ev.text('Hello, world! 你好 😀'))
          .pipe(fresh!.aggregateUsage())
          .subscribe({
            next: (event) => seen.push(event.type === 'usage' ? `usage:${event.outputTokens}` : event.type),
            error: reject,
            complete: () => {
              seen.push('complete');
              resolve();
            },
          }),
      );
      expect(seen).toEqual(['text']);
      await done;
      expect(seen).toEqual(['text', 'usage:7', 'complete']);
    });
  });

  describe('onFinal', () => {
    it('is called once with the final figures on completion', () => {
      const reports: UsageReport[] = [];
      drain(
        of<RxllmEvent[]>(ev.start({ model: 'gpt-4o' }), ev.text('Hi'), ev.usage(3, 1)).pipe(
          aggregateUsage({ onFinal: (report) => reports.push(report) }),
        ),
      );
      expect(reports).toHaveLength(1);
      expect(reports[0]!.outcome).toBe('complete');
      expect(reports[0]!.tracks).toEqual([
        // gpt-4o: 3 * 2.5 + 1 * 10 = 17.5 → $0.0000175
        {
          type: 'usage',
          inputTokens: 3,
          outputTokens: 1,
          totalTokens: 4,
          cost: ((3 - 0) * 2.5 + 0 * 1.25 + 1 * 10) / 1e6,
          pricesAsOf: defaultPriceTable.updated,
        },
      ]);
      expect(reports[0]!.total.cost).toBeCloseTo(0.0000175, 15);
    });

    it('is called once on error, after the final usage is emitted', () => {
      const order: string[] = [];
      const source = new Subject<RxllmEvent>();
      source
        .pipe(
          aggregateUsage({
            estimate: (text) => text.length,
            onFinal: (report) => order.push(`final:${report.outcome}:${report.total.outputTokens}`),
          }),
        )
        .subscribe({ next: (event) => order.push(event.type), error: () => order.push('error') });
      source.next(ev.text('abc'));
      source.error(new RxllmError('reset by peer', { code: 'network' }));
      expect(order).toEqual(['text', 'usage', 'final:error:3', 'error']);
    });

    it('is called once on unsubscribe with the estimate so far, and emits nothing more', () => {
      const reports: UsageReport[] = [];
      const source = new Subject<RxllmEvent>();
      const { events, subscription } = drain(
        source.pipe(
          aggregateUsage({ estimate: (text) => text.length, onFinal: (report) => reports.push(report) }),
        ),
      );
      source.next(ev.text('abcd', 'local'));
      source.next(ev.text('ef', 'cloud'));
      subscription.unsubscribe();
      subscription.unsubscribe();
      expect(source.observed).toBe(false);
      expect(events.map((event) => event.type)).toEqual(['text', 'text']);
      expect(reports).toEqual([
        {
          outcome: 'unsubscribe',
          tracks: [
            {
              type: 'usage',
              track: 'local',
              inputTokens: 0,
              outputTokens: 4,
              totalTokens: 4,
              estimated: true,
            },
            {
              type: 'usage',
              track: 'cloud',
              inputTokens: 0,
              outputTokens: 2,
              totalTokens: 2,
              estimated: true,
            },
          ],
          steps: [
            {
              type: 'usage',
              track: 'local',
              step: 0,
              inputTokens: 0,
              outputTokens: 4,
              totalTokens: 4,
              estimated: true,
            },
            {
              type: 'usage',
              track: 'cloud',
              step: 0,
              inputTokens: 0,
              outputTokens: 2,
              totalTokens: 2,
              estimated: true,
            },
          ],
          total: { inputTokens: 0, outputTokens: 6, totalTokens: 6, estimated: true },
        },
      ]);
    });

    it('fails the stream with the error when it throws on completion', () => {
      const boom = new Error('callback failed');
      const { error, completed } = drain(
        of<RxllmEvent[]>(ev.usage(1, 1)).pipe(
          aggregateUsage({
            onFinal: () => {
              throw boom;
            },
          }),
        ),
      );
      expect(completed).toBe(false);
      expect(error).toBe(boom);
    });

    it('keeps the source error when it throws on error', () => {
      const failure = new RxllmError('gone', { code: 'network' });
      const { error } = drain(
        throwError(() => failure).pipe(
          aggregateUsage({
            onFinal: () => {
              throw new Error('callback failed');
            },
          }),
        ),
      );
      expect(error).toBe(failure);
    });

    it('hands a throw on unsubscribe to RxJS config.onUnhandledError rather than the unsubscriber', () => {
      const unhandled: unknown[] = [];
      const previous = rxjsConfig.onUnhandledError;
      rxjsConfig.onUnhandledError = (error) => unhandled.push(error);
      try {
        const boom = new Error('callback failed');
        const { subscription } = drain(
          new Subject<RxllmEvent>().pipe(
            aggregateUsage({
              onFinal: () => {
                throw boom;
              },
            }),
          ),
        );
        expect(() => subscription.unsubscribe()).not.toThrow();
        expect(unhandled).toEqual([boom]);
      } finally {
        rxjsConfig.onUnhandledError = previous;
      }
    });
  });

  it('fails the stream when a custom estimator throws', () => {
    const boom = new Error('estimator failed');
    const { error, completed } = drain(
      of<RxllmEvent[]>(ev.text('abc')).pipe(
        aggregateUsage({
          estimate: () => {
            throw boom;
          },
        }),
      ),
    );
    expect(completed).toBe(false);
    expect(error).toBe(boom);
  });

  it('replaces the usage-total of an aggregateUsage upstream instead of counting it', async () => {
    const out = await lastValueFrom(
      of<RxllmEvent[]>(ev.usage(10, 1, 'a'), ev.usage(20, 2, 'b')).pipe(
        aggregateUsage({ estimate: false }),
        aggregateUsage({ estimate: false }),
        toArray(),
      ),
    );
    expect(out.filter((event) => event.type === 'usage' || event.type === 'usage-total')).toEqual([
      { type: 'usage', track: 'a', inputTokens: 10, outputTokens: 1, totalTokens: 11 },
      { type: 'usage', track: 'b', inputTokens: 20, outputTokens: 2, totalTokens: 22 },
      { type: 'usage-total', inputTokens: 30, outputTokens: 3, totalTokens: 33 },
    ]);
  });

  it('passes every non-usage event through as the same object', async () => {
    const events: RxllmEvent[] = [ev.start({ model: 'gpt-4o' }), ev.text('a'), ev.finish()];
    const out = await lastValueFrom(of(...events).pipe(aggregateUsage({ estimate: false }), toArray()));
    expect(out).toHaveLength(3);
    out.forEach((event, i) => expect(event).toBe(events[i]));
  });

  it('throws at once, naming the operator, on bad config', () => {
    expect(() => aggregateUsage({ estimate: 'yes' as unknown as boolean })).toThrow(
      'aggregateUsage: estimate must be a boolean or a function, got yes',
    );
    expect(() => aggregateUsage({ pricing: { 'my-model': { input: -1, output: 2 } } })).toThrow(
      /^aggregateUsage: pricing\["my-model"\] is invalid: input: /,
    );
    expect(() => aggregateUsage({ pricing: { 'my-model': { input: 1 } as never } })).toThrow(
      /^aggregateUsage: pricing\["my-model"\] is invalid: output: /,
    );
    expect(() =>
      aggregateUsage({ priceTable: { models: { 'GPT-X': { input: 1, output: 1 } } } as never }),
    ).toThrow(
      /^aggregateUsage: priceTable is invalid: models.GPT-X: model names in a price table are lower case/,
    );
    expect(() => aggregateUsage({ onFinal: 'log' as never })).toThrow(
      'aggregateUsage: onFinal must be a function, got string',
    );
  });

  describe('on recorded streams through the real SDKs', () => {
    let server: ReplayServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    /** Subscribes and resolves once the stream has ended, with what arrived and the final report. */
    function finalOf(events$: Observable<RxllmEvent>, config: AggregateUsageConfig = {}) {
      return new Promise<{ events: RxllmEvent[]; error?: unknown; report: UsageReport }>((resolve) => {
        const events: RxllmEvent[] = [];
        let error: unknown;
        events$
          .pipe(
            aggregateUsage({
              ...config,
              onFinal: (report) => queueMicrotask(() => resolve({ events, error, report })),
            }),
          )
          .subscribe({
            next: (event) => events.push(event),
            error: (thrown: unknown) => (error = thrown),
          });
      });
    }

    it('prices an OpenAI stream by the model in its chunks, with the usage chunk that comes last', async () => {
      server = await createReplayServer({
        transcript: fixtureBytes('openai-chat/text-obfuscation-usage.sse'),
        timing: { sliceBytes: 97, sliceDelayMs: 0 },
      });
      const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
      const { events, report } = await finalOf(
        fromOpenAI(openai, { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Count.' }] }),
      );
      // The usage chunk: prompt 16 (0 cached), completion 300, on gpt-4.1-nano-2025-04-14.
      // gpt-4.1-nano: 16 * 0.1 + 0 * 0.025 + 300 * 0.4 = 1.6 + 120 = 121.6 → $0.0001216
      const usage = usages(events);
      expect(usage).toHaveLength(1);
      expect(usage[0]).toMatchObject({
        inputTokens: 16,
        outputTokens: 300,
        totalTokens: 316,
        cachedInputTokens: 0,
      });
      expect(usage[0]!.cost).toBeCloseTo(0.0001216, 12);
      expect(usage[0]!.estimated).toBeUndefined();
      expect(report.outcome).toBe('complete');
      expect(report.total.cost).toBeCloseTo(0.0001216, 12);
    });

    it('reports estimated usage for an Anthropic stream that fails mid-answer, before the error', async () => {
      server = await createReplayServer({
        transcript: fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'),
      });
      const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
      const { events, error, report } = await finalOf(
        fromAnthropic(anthropic, {
          model: 'claude-3-opus-20240229',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
        { prompt: 'Hi' },
      );
      expect((error as RxllmError).code).toBe('overloaded');
      // message_start reports 11 input tokens and 1 output token at once; then 'Hello' + ' there'
      // arrive before the overloaded error, with no further usage. The estimate adds the text that
      // came after the last report: gpt-tokenizer counts it as 2 tokens, so output is 1 + 2 = 3.
      expect(countTokens('Hello there')).toBe(2);
      const final = usages(events).at(-1)!;
      expect(final).toEqual({
        type: 'usage',
        step: 0,
        inputTokens: 11,
        outputTokens: 3,
        totalTokens: 14,
        estimated: true,
        // claude-3-opus: input $15, output $75 per million. 11 * 15 + 3 * 75 = 390 → $0.00039
        cost: expect.closeTo(0.00039, 12),
        pricesAsOf: defaultPriceTable.updated,
      });
      expect(events.at(-1)).toBe(final);
      expect(report).toMatchObject({
        outcome: 'error',
        total: { inputTokens: 11, outputTokens: 3, estimated: true },
      });
    });
  });
});
