import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { collect } from '../../src/sinks/collect';
import { fromTokens } from '../../src/sources/fromTokens';
import { formatDiagram, marbles } from '../../src/testing/marbles';
import { scenarios, type FromTokensScenario } from '../../marbles/fromTokens';
import { readDocDiagram } from '../support/docDiagram';

function runScenario(scenario: FromTokensScenario): void {
  marbles(({ expectObservable }) => {
    const { tokens, ...config } = scenario.config;
    const { expected, unsubscribe } = scenario.diagram;
    expectObservable(fromTokens(tokens, config), unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
  });
}

describe('fromTokens', () => {
  it('shows its main scenario in its JSDoc and behaves as it says', () => {
    expect(readDocDiagram('src/sources/fromTokens.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    runScenario(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => runScenario(scenario));
    },
  );

  it('replays the script from the start for every subscription', () => {
    marbles(({ expectObservable }) => {
      const events$ = fromTokens(['a', 'b'], { delayMs: 1, finish: false });
      const values = { a: { type: 'text', text: 'a', seq: 0 }, b: { type: 'text', text: 'b', seq: 1 } };
      expectObservable(events$).toBe('-a(b|)', values);
      expectObservable(events$).toBe('-a(b|)', values);
    });
  });

  it('replays a generator given as tokens for every subscription', () => {
    function* words() {
      yield 'one';
      yield ' two';
    }
    marbles(({ expectObservable }) => {
      const events$ = fromTokens(words(), { finish: false });
      const values = { a: { type: 'text', text: 'one', seq: 0 }, b: { type: 'text', text: ' two', seq: 1 } };
      expectObservable(events$).toBe('(ab|)', values);
      expectObservable(events$).toBe('(ab|)', values);
    });
  });

  it('does not stamp seq on the events it was given', () => {
    const given: RxllmEvent = { type: 'reasoning', text: 'x' };
    marbles(({ expectObservable }) => {
      expectObservable(fromTokens([given], { finish: false })).toBe('(a|)', {
        a: { type: 'reasoning', text: 'x', seq: 0 },
      });
    });
    expect(given).toEqual({ type: 'reasoning', text: 'x' });
  });

  it('keeps the scripted message as the partial of a scripted error', async () => {
    const failure = await collect(fromTokens(['Hel', 'lo'], { error: new Error('boom') })).catch(
      (error: unknown) => error as RxllmError,
    );
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'provider', message: 'boom' });
    expect((failure as RxllmError).partial?.text).toBe('Hello');
  });

  it('runs on the async scheduler by default', async () => {
    const message = await collect(
      fromTokens(['Hi', ' there'], { usage: { inputTokens: 2, outputTokens: 2, totalTokens: 4 } }),
    );
    expect(message).toEqual({
      text: 'Hi there',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: { inputTokens: 2, outputTokens: 2, totalTokens: 4 },
      finishReason: 'stop',
    });
  });

  it('throws at once for bad tokens or delays', () => {
    expect(() => fromTokens(['a', ''])).toThrow('rxllm: fromTokens: tokens[1] is an empty string');
    expect(() => fromTokens(42 as never)).toThrow(
      /fromTokens: tokens must be an array of strings or events, got 42/,
    );
    expect(() => fromTokens([7 as never])).toThrow(
      /fromTokens: tokens\[0\] must be a string or an event, got 7/,
    );
    expect(() => fromTokens(['a'], { delayMs: -1 })).toThrow(
      'rxllm: fromTokens: delayMs must be a non-negative number of milliseconds, got -1',
    );
    expect(() => fromTokens(['a'], { firstTokenDelayMs: Number.NaN })).toThrow(/firstTokenDelayMs must be/);
  });
});
