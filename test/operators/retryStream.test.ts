import OpenAI from 'openai';
import { NEVER, Observable, VirtualTimeScheduler, concat, defer, of, throwError } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { DownstreamFlow, ManualGate, markFlow } from '../../src/flow/flow';
import { deadline } from '../../src/operators/deadline';
import { retryStream, type RetryInfo, type RetryStreamConfig } from '../../src/operators/retryStream';
import { ev, formatDiagram, marbles } from '../../src/testing';
import { overloaded, scenarios, unauthorized, type RetryScenario } from '../../marbles/retryStream';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: RetryScenario): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const values = scenario.values as Record<string, RxllmEvent>;
    const { expected, ...inputs } = scenario.diagram;
    const lines = Object.keys(inputs);
    const attempts = lines.map((line) => cold<RxllmEvent>(inputs[line]!, values, scenario.errors[line]));
    let next = 0;
    // One `source` line is re-requested on every attempt; `attemptN` lines are used in turn.
    const source = defer(() => attempts[Math.min(next++, attempts.length - 1)]!);
    expectObservable(source.pipe(retryStream(scenario.config))).toBe(expected!, values, scenario.error);
    const subscriptions = [scenario.subscriptions ?? []].flat();
    if (lines.length === 1) {
      expectSubscriptions(attempts[0]!.subscriptions).toBe(subscriptions);
    } else {
      attempts.forEach((attempt, index) =>
        expectSubscriptions(attempt.subscriptions).toBe(subscriptions[index]!),
      );
    }
  });
}

/** Runs in a VirtualTimeScheduler passed as the `scheduler` option; returns what was seen. */
function outcome(source: Observable<RxllmEvent>, config: Omit<RetryStreamConfig, 'scheduler'>) {
  const scheduler = new VirtualTimeScheduler();
  const seen: Array<{ at: number; event?: RxllmEvent; error?: unknown; complete?: true }> = [];
  source.pipe(retryStream({ ...config, scheduler })).subscribe({
    next: (event) => seen.push({ at: scheduler.now(), event }),
    error: (error: unknown) => seen.push({ at: scheduler.now(), error }),
    complete: () => seen.push({ at: scheduler.now(), complete: true }),
  });
  scheduler.flush();
  return seen;
}

/** A cold source that fails its first `failures` subscriptions with `error` after emitting `before`. */
function flaky(failures: number, error: unknown, before: RxllmEvent[], after: RxllmEvent[]) {
  let subscriptions = 0;
  const source = defer(() =>
    ++subscriptions <= failures
      ? concat(
          of(...before),
          throwError(() => error),
        )
      : of(...after),
  );
  return { source, subscriptions: () => subscriptions };
}

describe('retryStream', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('re-requests a real OpenAI SDK stream cut mid-stream and takes back what the cut attempt showed', async () => {
    const transcript = fixtureBytes('openai-chat/text-include-usage.sse');
    server = await createReplayServer({
      routes: {
        '/v1/chat/completions': [
          { transcript, fault: { kind: 'cut', afterBytes: 1500 } },
          {
            transcript,
            fault: {
              kind: 'http-error',
              status: 529,
              body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
            },
          },
          { transcript },
        ],
      },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const retries: Array<[number, string]> = [];
    const events$ = fromOpenAI(openai, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather in SF?' }],
    }).pipe(
      retryStream({
        initialDelayMs: 1,
        jitter: 0,
        afterOutput: 'reset',
        onRetry: ({ attempt, error }) => retries.push([attempt, (error as RxllmError).code]),
      }),
    );
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) =>
      events$.subscribe({
        next: (event) => {
          if (event.type === 'text') seen.push(event.text);
          if (event.type === 'reset') seen.push(`<reset:${event.reason}>`);
        },
        error: reject,
        complete: resolve,
      }),
    );
    expect(retries).toEqual([
      [1, 'network'],
      [2, 'overloaded'],
    ]);
    expect(server.requests).toHaveLength(3);
    // The cut attempt showed four tokens; the 529 showed none, so only one reset.
    expect(seen.slice(0, 5)).toEqual(["I'm", ' unable', ' to', ' provide', '<reset:retry>']);
    expect(seen.filter((text) => text.startsWith('<reset'))).toHaveLength(1);
    expect(seen.slice(5).join('')).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
  });

  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/retryStream.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  it('tells onRetry the error, the attempt and the wait before each retry', () => {
    const calls: RetryInfo[] = [];
    const randoms = [0.2, 0.8];
    const { source } = flaky(2, overloaded, [ev.text('a')], [ev.text('b')]);
    const seen = outcome(source, {
      initialDelayMs: 1000,
      factor: 2,
      jitter: 0.5,
      random: () => randoms.shift()!,
      afterOutput: 'reset',
      onRetry: (info) => calls.push(info),
    });
    // 1000 × (1 − 0.5 × 0.2) = 900; 2000 × (1 − 0.5 × 0.8) = 1200.
    expect(calls).toEqual([
      { error: overloaded, attempt: 1, delayMs: 900 },
      { error: overloaded, attempt: 2, delayMs: 1200 },
    ]);
    expect(seen).toEqual([
      { at: 0, event: ev.text('a') },
      { at: 900, event: ev.reset('retry') },
      { at: 900, event: { type: 'step-start', step: 1 } },
      { at: 900, event: ev.text('a') },
      { at: 2100, event: ev.reset('retry') },
      { at: 2100, event: { type: 'step-start', step: 2 } },
      { at: 2100, event: ev.text('b') },
      { at: 2100, complete: true },
    ]);
  });

  it('ends the stream with what onRetry throws, without resubscribing', () => {
    const oops = new Error('logger down');
    const { source, subscriptions } = flaky(1, overloaded, [], [ev.text('b')]);
    const seen = outcome(source, {
      onRetry: () => {
        throw oops;
      },
    });
    expect(seen).toEqual([{ at: 0, error: oops }]);
    expect(subscriptions()).toBe(1);
  });

  it('retries any error shouldRetry accepts, telling it the attempt number', () => {
    const plain = new Error('socket hang up');
    const asked: Array<[unknown, number]> = [];
    const { source, subscriptions } = flaky(2, plain, [], [ev.text('ok')]);
    const seen = outcome(source, {
      initialDelayMs: 10,
      jitter: 0,
      shouldRetry: (error, attempt) => {
        asked.push([error, attempt]);
        return true;
      },
    });
    expect(asked).toEqual([
      [plain, 1],
      [plain, 2],
    ]);
    expect(subscriptions()).toBe(3);
    expect(seen).toEqual([
      { at: 30, event: ev.text('ok') },
      { at: 30, complete: true },
    ]);
  });

  it('does not retry a plain Error by default', () => {
    const plain = new Error('bug');
    const { source, subscriptions } = flaky(1, plain, [], [ev.text('ok')]);
    expect(outcome(source, {})).toEqual([{ at: 0, error: plain }]);
    expect(subscriptions()).toBe(1);
  });

  it('ends the stream with what shouldRetry throws', () => {
    const oops = new TypeError('cannot read code');
    const { source } = flaky(1, overloaded, [], []);
    const seen = outcome(source, {
      shouldRetry: () => {
        throw oops;
      },
    });
    expect(seen).toEqual([{ at: 0, error: oops }]);
  });

  it("passes the last attempt's error untouched, with its own partial", () => {
    const last = new RxllmError('Overloaded', {
      code: 'overloaded',
      partial: {
        text: 'Hel',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: null,
      },
    });
    const seen = outcome(
      concat(
        of(ev.text('Hel')),
        throwError(() => last),
      ),
      { maxRetries: 1, initialDelayMs: 5, jitter: 0, afterOutput: 'reset' },
    );
    expect(seen.at(-1)).toEqual({ at: 5, error: last });
    expect((seen.at(-1)!.error as RxllmError).partial?.text).toBe('Hel');
  });

  it('completes an empty source without retrying', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<RxllmEvent>('|');
      expectObservable(source.pipe(retryStream())).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('passes a single event and completion', () => {
    marbles(({ cold, expectObservable }) => {
      const values = { a: ev.text('Hi') };
      expectObservable(cold('-a|', values).pipe(retryStream())).toBe('-a|', values);
    });
  });

  it('passes a never-ending source through and unsubscribes it when unsubscribed', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: ev.text('Hi') };
      const source = cold('-a--', values);
      expectObservable(source.pipe(retryStream()), '^----!').toBe('-a---', values);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('cancels the wait when unsubscribed during it, and never resubscribes', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: ev.text('Hi') };
      const source = cold('-a#', values, overloaded);
      expectObservable(
        source.pipe(retryStream({ initialDelayMs: 5, jitter: 0, afterOutput: 'reset' })),
        '^---!',
      ).toBe('-a--', values);
      expectSubscriptions(source.subscriptions).toBe(['^-!']);
    });
  });

  it('stamps the reset with the track of the shown content, with interleaved tracks', () => {
    const { source } = flaky(
      1,
      overloaded,
      [ev.text('draft', 'local'), ev.text('你好👋', 'cloud')],
      [ev.text('你好👋!', 'cloud')],
    );
    expect(outcome(source, { initialDelayMs: 3, jitter: 0, afterOutput: 'reset' })).toEqual([
      { at: 0, event: ev.text('draft', 'local') },
      { at: 0, event: ev.text('你好👋', 'cloud') },
      { at: 3, event: ev.reset('retry', 'cloud') },
      { at: 3, event: { type: 'step-start', step: 1, track: 'cloud' } },
      { at: 3, event: ev.text('你好👋!', 'cloud') },
      { at: 3, complete: true },
    ]);
  });

  it('treats a tool-call delta as shown output that needs a reset', () => {
    const { source } = flaky(
      1,
      overloaded,
      [ev.toolCallStart('c1', 'f'), ev.toolCallDelta('c1', '{"a":')],
      [],
    );
    expect(
      outcome(source, { initialDelayMs: 1, jitter: 0, afterOutput: 'reset' }).map(
        (seen) => seen.event?.type ?? 'complete',
      ),
    ).toEqual(['tool-call-start', 'tool-call-delta', 'reset', 'complete']);
  });

  it('re-requests a stream that deadline timed out, because timeouts are retryable', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const values = {
        a: ev.text('Hel'),
        b: ev.text('lo'),
        r: ev.reset('retry'),
        n: { type: 'step-start', step: 1 } as RxllmEvent,
        f: ev.finish(),
      };
      const stalled = cold('-a-------|', values);
      const healthy = cold('-a---b-f|', values);
      let subscriptions = 0;
      const source = defer(() => (subscriptions++ === 0 ? stalled : healthy));
      expectObservable(
        source.pipe(
          deadline({ betweenTokensMs: 4 }),
          retryStream({ initialDelayMs: 2, jitter: 0, afterOutput: 'reset' }),
        ),
      ).toBe('-a-----r(na)b-f|', values);
      expectSubscriptions(stalled.subscriptions).toBe('^----!');
      expectSubscriptions(healthy.subscriptions).toBe('-------^-------!');
    });
  });

  it('draws each wait between base × (1 − jitter) and base', () => {
    const waits = [0, 0.5, 0.75].map((random) => {
      const { source } = flaky(1, overloaded, [], [ev.finish()]);
      return outcome(source, { initialDelayMs: 1000, jitter: 0.8, random: () => random })[0]!.at;
    });
    expect(waits).toEqual([1000, 600, 400]);
  });

  it('times its waits on the scheduler option', () => {
    const { source } = flaky(
      1,
      new RxllmError('Slow down', { code: 'rate-limit', retryAfterMs: 30_000 }),
      [],
      [ev.finish()],
    );
    expect(outcome(source, {})).toEqual([
      { at: 30_000, event: ev.finish() },
      { at: 30_000, complete: true },
    ]);
  });

  it('does not retry an error once maxRetries is 0', () => {
    const seen = outcome(
      throwError(() => overloaded),
      { maxRetries: 0 },
    );
    expect(seen).toEqual([{ at: 0, error: overloaded }]);
  });

  it('passes a non-retryable error from a never-failing start at once', () => {
    const seen = outcome(
      concat(
        of(ev.text('x')),
        throwError(() => unauthorized),
      ),
      {},
    );
    expect(seen).toEqual([
      { at: 0, event: ev.text('x') },
      { at: 0, error: unauthorized },
    ]);
    expect(outcome(NEVER, {})).toEqual([]);
  });

  it("keeps the consumer's flow gates on the path of a resubscribed attempt, so a pause still reaches the retried request", () => {
    const scheduler = new VirtualTimeScheduler();
    const gate = new ManualGate();
    gate.close();
    const found: unknown[] = [];
    const source = new Observable<RxllmEvent>((subscriber) => {
      found.push(new DownstreamFlow(subscriber).closedGate());
      if (found.length === 1) subscriber.error(overloaded);
    });
    source.pipe(retryStream({ initialDelayMs: 10, jitter: 0, scheduler })).subscribe(markFlow({}, { gate }));
    scheduler.flush();
    expect(found).toEqual([gate, gate]);
  });

  it('throws when built with bad arguments, naming the operator and the value', () => {
    expect(() => retryStream({ maxRetries: -1 })).toThrow(
      'retryStream: maxRetries must be a non-negative integer, got -1',
    );
    expect(() => retryStream({ maxRetries: 1.5 })).toThrow(
      'retryStream: maxRetries must be a non-negative integer, got 1.5',
    );
    expect(() => retryStream({ initialDelayMs: -5 })).toThrow(
      'retryStream: initialDelayMs must be a finite number ≥ 0, got -5',
    );
    expect(() => retryStream({ factor: 0.5 })).toThrow(
      'retryStream: factor must be a finite number ≥ 1, got 0.5',
    );
    expect(() => retryStream({ initialDelayMs: 100, maxDelayMs: 50 })).toThrow(
      'retryStream: maxDelayMs must be a finite number ≥ initialDelayMs, got 50',
    );
    expect(() => retryStream({ jitter: 2 })).toThrow(
      'retryStream: jitter must be a number from 0 to 1, got 2',
    );
    expect(() => retryStream({ random: 0.5 as unknown as () => number })).toThrow(
      'retryStream: random must be a function, got 0.5',
    );
    expect(() => retryStream({ shouldRetry: 'yes' as unknown as () => boolean })).toThrow(
      "retryStream: shouldRetry must be a function, got 'yes'",
    );
    expect(() => retryStream({ onRetry: {} as unknown as () => void })).toThrow(
      'retryStream: onRetry must be a function, got [object Object]',
    );
  });
});
