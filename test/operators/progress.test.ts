import OpenAI from 'openai';
import { NEVER, Subject, VirtualTimeScheduler, concat, lastValueFrom, of, toArray } from 'rxjs';
import type { ProgressEvent, RxllmEvent } from '../../src/base/events';
import { progress, type ProgressConfig } from '../../src/operators/progress';
import { ev, formatDiagram, marbles, type MarbleScenario } from '../../src/testing';
import { scenarios } from '../../marbles/progress';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: MarbleScenario<ProgressConfig> & { unsubscribe?: string }): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, unsubscribe, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(source$.pipe(progress(scenario.config)), unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

describe('progress', () => {
  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/progress.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  it("leaves the stream untouched in 'callback' mode and hands the reports to onProgress", () => {
    const reports: ProgressEvent[] = [];
    marbles(({ cold, expectObservable, flush }) => {
      const values = { a: ev.text('Hel'), b: ev.text('lo') };
      const source = cold<RxllmEvent>('-a--b-|', values);
      expectObservable(
        source.pipe(
          progress({ mode: 'callback', intervalMs: 3, onProgress: (report) => reports.push(report) }),
        ),
      ).toBe('-a--b-|', values);
      flush();
    });
    // A tick at 3 (one delta at 1), then the final report at 6 (deltas at 1 and 4).
    expect(reports).toEqual([
      { type: 'progress', tokens: 1, characters: 3, elapsedMs: 3, timeToFirstTokenMs: 1, tokensPerSecond: 0 },
      {
        type: 'progress',
        tokens: 2,
        characters: 5,
        elapsedMs: 6,
        timeToFirstTokenMs: 1,
        tokensPerSecond: ((2 - 1) * 1000) / (6 - 1),
      },
    ]);
  });

  it('fails the stream with the error of a throwing onProgress, stopping its timer and the source', () => {
    const boom = new Error('status line broke');
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<RxllmEvent>('-a-a-a-a-a-|', { a: ev.text('x') });
      expectObservable(
        source.pipe(
          progress({
            intervalMs: 4,
            onProgress: () => {
              throw boom;
            },
          }),
        ),
      ).toBe('-a-a#', { a: ev.text('x') }, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('measures with the scheduler it is given', () => {
    const scheduler = new VirtualTimeScheduler();
    const seen: RxllmEvent[] = [];
    const source = new Subject<RxllmEvent>();
    source.pipe(progress({ intervalMs: 100, scheduler })).subscribe((event) => seen.push(event));
    scheduler.schedule(() => source.next(ev.text('a')), 40);
    scheduler.schedule(() => source.next(ev.text('b')), 90);
    scheduler.schedule(() => source.complete(), 150);
    scheduler.flush();
    expect(seen.filter((event) => event.type === 'progress')).toEqual([
      // Tick at 100: deltas at 40 and 90.
      {
        type: 'progress',
        tokens: 2,
        characters: 2,
        elapsedMs: 100,
        timeToFirstTokenMs: 40,
        tokensPerSecond: ((2 - 1) * 1000) / (100 - 40),
      },
      // Completion at 150.
      {
        type: 'progress',
        tokens: 2,
        characters: 2,
        elapsedMs: 150,
        timeToFirstTokenMs: 40,
        tokensPerSecond: ((2 - 1) * 1000) / (150 - 40),
      },
    ]);
  });

  it('counts tool-argument deltas and skips signature-only reasoning deltas', () => {
    const seen: RxllmEvent[] = [];
    concat(
      of<RxllmEvent[]>(
        ev.toolCallStart('call_1', 'f'),
        ev.toolCallDelta('call_1', '{"a":'),
        ev.toolCallDelta('call_1', '1}'),
        { type: 'reasoning', text: '', signature: 'sig' },
      ),
      NEVER,
    )
      .pipe(progress({ everyTokens: 2 }))
      .subscribe((event) => seen.push(event))
      .unsubscribe();
    const reports = seen.filter((event): event is ProgressEvent => event.type === 'progress');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ tokens: 2, characters: 7 });
  });

  it('throws at once, naming the operator, on bad config', () => {
    expect(() => progress({ intervalMs: -1 })).toThrow(
      'progress: intervalMs must be a finite number >= 0, got -1',
    );
    expect(() => progress({ intervalMs: Number.NaN })).toThrow(
      'progress: intervalMs must be a finite number >= 0, got NaN',
    );
    expect(() => progress({ everyTokens: 0 })).toThrow(
      'progress: everyTokens must be a positive integer, got 0',
    );
    expect(() => progress({ everyTokens: 1.5 })).toThrow(
      'progress: everyTokens must be a positive integer, got 1.5',
    );
    expect(() => progress({ mode: 'side' as never })).toThrow(
      "progress: mode must be 'events' or 'callback', got side",
    );
    expect(() => progress({ mode: 'callback' })).toThrow(
      "progress: mode 'callback' needs an onProgress callback",
    );
    expect(() => progress({ onProgress: 1 as never })).toThrow(
      'progress: onProgress must be a function, got number',
    );
  });

  it('counts the deltas and characters of a recorded OpenAI stream read through the real SDK', async () => {
    const server = await createReplayServer({
      transcript: fixtureBytes('openai-chat/text-obfuscation-usage.sse'),
      timing: { sliceBytes: 211, sliceDelayMs: 0 },
    });
    try {
      const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
      const events = await lastValueFrom(
        fromOpenAI(openai, { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Count.' }] }).pipe(
          progress({ intervalMs: 0, everyTokens: 100 }),
          toArray(),
        ),
      );
      const texts = events.filter((event) => event.type === 'text');
      const reports = events.filter((event): event is ProgressEvent => event.type === 'progress');
      // The fixture streams 300 content deltas (its usage chunk says completion_tokens 300).
      expect(texts).toHaveLength(300);
      expect(reports.map((report) => report.tokens)).toEqual([100, 200, 300, 300]);
      const characters = [...texts.map((event) => (event.type === 'text' ? event.text : '')).join('')].length;
      expect(reports.at(-1)!.characters).toBe(characters);
      expect(reports.at(-1)!.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    } finally {
      await server.close();
    }
  });
});
