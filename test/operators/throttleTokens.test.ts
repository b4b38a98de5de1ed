import { Subject, VirtualTimeScheduler, animationFrameScheduler, from } from 'rxjs';
import type { RxllmEvent, TextEvent } from '../../src/base/events';
import { throttleTokens, type ThrottleTokensConfig } from '../../src/operators/throttleTokens';
import { ev, marbles } from '../../src/testing';
import { scenarios, type ThrottleTokensScenario } from '../../marbles/throttleTokens';
import { decodeFixture } from '../support/decodeFixture';
import { specifyScenarios } from '../support/scenarioSpecs';

function run(scenario: ThrottleTokensScenario): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(source$.pipe(throttleTokens(scenario.config)), scenario.unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

describe('throttleTokens', () => {
  specifyScenarios('src/operators/throttleTokens.ts', scenarios, run);

  it.each([
    [
      { charactersPerSecond: 10, intervalMs: 16 },
      'rxllm: throttleTokens: give at most one of charactersPerSecond, wordsPerSecond and intervalMs, got 2',
    ],
    [
      { chunking: 'word' as const },
      'rxllm: throttleTokens: chunking needs a steady rate (charactersPerSecond or wordsPerSecond)',
    ],
    [
      { charactersPerSecond: 0 },
      'rxllm: throttleTokens: charactersPerSecond must be a positive finite number, got 0',
    ],
    [
      { wordsPerSecond: -3 },
      'rxllm: throttleTokens: wordsPerSecond must be a positive finite number, got -3',
    ],
    [
      { wordsPerSecond: Infinity },
      'rxllm: throttleTokens: wordsPerSecond must be a positive finite number, got Infinity',
    ],
    [
      { intervalMs: NaN },
      'rxllm: throttleTokens: intervalMs must be a finite number of milliseconds >= 0, got NaN',
    ],
    [
      { charactersPerSecond: 30, chunking: 'sentence' },
      `rxllm: throttleTokens: chunking must be 'character', 'word' or 'line', got "sentence"`,
    ],
    [
      { intervalMs: 16, chunking: 'word' },
      'rxllm: throttleTokens: chunking applies to a steady rate, not to intervalMs',
    ],
    [
      { wordsPerSecond: 5, chunking: 'character' },
      `rxllm: throttleTokens: wordsPerSecond cannot chunk by 'character'; use charactersPerSecond`,
    ],
    [
      { intervalMs: 16, flush: 'never' },
      `rxllm: throttleTokens: flush must be 'immediate' or 'paced', got "never"`,
    ],
    [{ intervalMs: 16, scheduler: 5 }, 'rxllm: throttleTokens: scheduler must be an RxJS scheduler, got 5'],
    [null, 'rxllm: throttleTokens: config must be an object, got null'],
  ])('throws when built with %p', (config, message) => {
    expect(() => throttleTokens(config as ThrottleTokensConfig)).toThrow(message);
  });

  it('paces through the scheduler it is given', () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<RxllmEvent>();
    const out: Array<[number, string]> = [];
    source
      .pipe(throttleTokens({ charactersPerSecond: 10, scheduler }))
      .subscribe((event) => out.push([scheduler.now(), (event as TextEvent).text]));
    source.next(ev.text('abc'));
    expect(out).toEqual([[0, 'a']]);
    scheduler.flush();
    expect(out).toEqual([
      [0, 'a'],
      [100, 'b'],
      [200, 'c'],
    ]);
  });

  it.each([
    ['intervalMs 0 and animationFrameScheduler', { intervalMs: 0, scheduler: animationFrameScheduler }],
    ['animationFrameScheduler and no rate (the default interval)', { scheduler: animationFrameScheduler }],
  ])('updates at most once per animation frame with %s', (_name, config) => {
    // Node has no animation frames: a queue of callbacks that the test runs one frame at a time.
    let callbacks: Array<(time: number) => void> = [];
    const frame = () => {
      const due = callbacks;
      callbacks = [];
      for (const callback of due) callback(performance.now());
    };
    const global = globalThis as { requestAnimationFrame?: unknown; cancelAnimationFrame?: unknown };
    let lastId = 0;
    global.requestAnimationFrame = (callback: (time: number) => void) => {
      callbacks.push(callback);
      return ++lastId;
    };
    global.cancelAnimationFrame = () => undefined;
    try {
      const source = new Subject<RxllmEvent>();
      const renders: string[] = [];
      const subscription = source
        .pipe(throttleTokens(config))
        .subscribe((event) => renders.push(event.type === 'text' ? event.text : event.type));
      source.next(ev.text('Hel'));
      source.next(ev.text('lo'));
      source.next(ev.text(' wor'));
      expect(renders).toEqual(['Hel']);
      frame();
      expect(renders).toEqual(['Hel', 'lo wor']);
      source.next(ev.text('ld'));
      source.next(ev.finish());
      expect(renders).toEqual(['Hel', 'lo wor']);
      frame();
      expect(renders).toEqual(['Hel', 'lo wor', 'ld', 'finish']);
      frame();
      source.next(ev.text('!'));
      expect(renders).toEqual(['Hel', 'lo wor', 'ld', 'finish', '!']);
      subscription.unsubscribe();
    } finally {
      delete global.requestAnimationFrame;
      delete global.cancelAnimationFrame;
    }
  });

  it.each<[string, ThrottleTokensConfig]>([
    ['characters', { charactersPerSecond: 40 }],
    ['words', { wordsPerSecond: 8 }],
    ['lines', { charactersPerSecond: 200, chunking: 'line' }],
    ['an interval', { intervalMs: 16 }],
  ])(
    'delivers a real reasoning stream cut at every byte whole and in order when pacing by %s',
    (_name, config) => {
      const { events, message } = decodeFixture(
        'openai-chat',
        'edge/deepseek-reasoning-content.sse',
        'byte-by-byte',
      );
      const scheduler = new VirtualTimeScheduler(undefined, Infinity);
      const out: RxllmEvent[] = [];
      let completed = false;
      from(events)
        .pipe(throttleTokens({ ...config, flush: 'paced', scheduler }))
        .subscribe({ next: (event) => out.push(event), complete: () => (completed = true) });
      expect(completed).toBe(false);
      scheduler.flush();
      expect(completed).toBe(true);
      const joined = (type: 'text' | 'reasoning') =>
        out
          .filter((event) => event.type === type)
          .map((event) => (event as TextEvent).text)
          .join('');
      expect(joined('reasoning')).toBe(message.reasoning);
      expect(joined('text')).toBe(message.text);
      // Non-text events keep their order, and each comes after all the text that preceded it.
      const kinds = (list: RxllmEvent[]) =>
        list.map((event) => event.type).filter((type, i, all) => i === 0 || type !== all[i - 1]);
      expect(kinds(out)).toEqual(kinds(events));
      for (const event of out) {
        if (event.type === 'text' || event.type === 'reasoning') {
          expect(event.text).not.toMatch(
            /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
          );
        }
      }
    },
  );
});
