import OpenAI from 'openai';
import { NEVER, Observable, Subject, VirtualTimeScheduler } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import type { Message } from '../../src/base/message';
import { deadline, type DeadlineConfig } from '../../src/operators/deadline';
import { ev, formatDiagram, marbles, type MarbleScenario } from '../../src/testing';
import { scenarios } from '../../marbles/deadline';
import { DownstreamFlow, ManualGate, markFlow } from '../../src/flow/flow';
import { collect } from '../../src/sinks/collect';
import { subscribeWithHandlers } from '../../src/sinks/subscribeWithHandlers';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: MarbleScenario<DeadlineConfig>): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, fallback, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>);
    const config =
      fallback === undefined
        ? scenario.config
        : {
            ...scenario.config,
            fallback: cold<RxllmEvent>(fallback, scenario.values as Record<string, RxllmEvent>),
          };
    expectObservable(source$.pipe(deadline(config))).toBe(expected!, scenario.values, scenario.error);
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

/** Runs `source` through `deadline` in virtual time and returns what the subscriber saw. */
function outcome(source: Observable<RxllmEvent>, config: Omit<DeadlineConfig, 'scheduler'>) {
  const scheduler = new VirtualTimeScheduler();
  const events: RxllmEvent[] = [];
  let error: unknown;
  let errorAt: number | undefined;
  let completed = false;
  source.pipe(deadline({ ...config, scheduler })).subscribe({
    next: (event) => events.push(event),
    error: (thrown: unknown) => {
      error = thrown;
      errorAt = scheduler.now();
    },
    complete: () => (completed = true),
  });
  scheduler.flush();
  return { events, error: error as RxllmError | undefined, errorAt, completed };
}

describe('deadline', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('aborts a real OpenAI SDK request that stalls mid-stream, failing with the text that arrived', async () => {
    // The server sends five whole events (up to "I'm unable to provide") at once, then nothing.
    server = await createReplayServer({
      transcript: fixtureBytes('openai-chat/text-include-usage.sse'),
      timing: { sliceBytes: 1500 },
      fault: { kind: 'stall', afterBytes: 1500 },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const events$ = fromOpenAI(openai, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather in SF?' }],
    });
    const failure = await collect(events$.pipe(deadline({ betweenTokensMs: 300 }))).catch(
      (error: RxllmError) => error,
    );
    expect(RxllmError.isInstance(failure)).toBe(true);
    const error = failure as RxllmError;
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('deadline: no token for 300 ms after the last one (betweenTokensMs)');
    expect(error.partial?.text).toBe("I'm unable to provide");
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
  });

  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/deadline.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  it('fails with a retryable timeout error whose partial holds the text so far', () => {
    let failure: RxllmError | undefined;
    marbles(({ cold, flush }) => {
      const source = cold<RxllmEvent>('-s-a-b-----c-|', scenarios.main!.values as Record<string, RxllmEvent>);
      source
        .pipe(deadline({ betweenTokensMs: 3 }))
        .subscribe({ error: (error: RxllmError) => (failure = error) });
      flush();
    });
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure!.code).toBe('timeout');
    expect(failure!.retryable).toBe(true);
    expect(failure!.message).toBe('deadline: no token for 3 ms after the last one (betweenTokensMs)');
    expect(failure!.partial).toEqual({
      id: 'msg_1',
      model: 'm',
      text: 'Hello',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: null,
      finishReason: null,
    });
  });

  it('fires firstTokenMs at the right virtual time on a never-ending source, and unsubscribes it', () => {
    let unsubscribedAt: number | undefined;
    const scheduler = new VirtualTimeScheduler();
    const source = new Observable<RxllmEvent>((subscriber) => {
      subscriber.next(ev.start({ model: 'm' }));
      return () => (unsubscribedAt = scheduler.now());
    });
    let errorAt: number | undefined;
    let failure: RxllmError | undefined;
    source.pipe(deadline({ firstTokenMs: 5000, scheduler })).subscribe({
      error: (error: RxllmError) => {
        failure = error;
        errorAt = scheduler.now();
      },
    });
    scheduler.flush();
    expect(errorAt).toBe(5000);
    expect(unsubscribedAt).toBe(5000);
    expect(failure!.message).toBe('deadline: no first token within 5000 ms (firstTokenMs)');
    expect(failure!.partial?.model).toBe('m');
    expect(failure!.partial?.text).toBe('');
  });

  it('takes time from the scheduler option', () => {
    const { error, errorAt } = outcome(NEVER, { totalMs: 60_000 });
    expect(errorAt).toBe(60_000);
    expect(error?.message).toBe('deadline: the stream did not finish within 60000 ms (totalMs)');
  });

  it('completes an empty source at once', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold<RxllmEvent>('|').pipe(deadline({ firstTokenMs: 2, totalMs: 3 }))).toBe('|');
    });
  });

  it('passes a single token in time and completes without firing later', () => {
    marbles(({ cold, expectObservable }) => {
      const a = ev.text('Hi');
      expectObservable(
        cold('-a|', { a }).pipe(deadline({ firstTokenMs: 2, betweenTokensMs: 2, totalMs: 3 })),
      ).toBe('-a|', { a });
    });
  });

  it('passes a source error through untouched and clears the timers', () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    marbles(({ cold, expectObservable }) => {
      const a = ev.text('Hi');
      expectObservable(cold('-a-#', { a }, failure).pipe(deadline({ betweenTokensMs: 5, totalMs: 6 }))).toBe(
        '-a-#',
        { a },
        failure,
      );
    });
    const { error, errorAt } = outcome(
      new Observable<RxllmEvent>((subscriber) => subscriber.error(failure)),
      { firstTokenMs: 1 },
    );
    expect(error).toBe(failure);
    expect(errorAt).toBe(0);
  });

  it('clears its timers and unsubscribes the source when unsubscribed early', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const a = ev.text('Hi');
      const source = cold('-a--------|', { a });
      expectObservable(source.pipe(deadline({ betweenTokensMs: 3, totalMs: 5 })), '^-!').toBe('-a-', { a });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('passes the timeout error and the partial message to a fallback function and streams its result', () => {
    let received: { error: RxllmError; partial: Message } | undefined;
    const { events, error, completed } = outcome(
      new Observable<RxllmEvent>((subscriber) => {
        subscriber.next(ev.text('你好'));
        subscriber.next(ev.text('👋'));
      }),
      {
        betweenTokensMs: 100,
        afterOutput: 'reset',
        fallback: (timeoutError, partial) => {
          received = { error: timeoutError, partial };
          return [ev.text(`${partial.text} again`), ev.finish()];
        },
      },
    );
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(received!.error.code).toBe('timeout');
    expect(received!.partial.text).toBe('你好👋');
    expect(events).toEqual([
      ev.text('你好'),
      ev.text('👋'),
      ev.reset('timeout'),
      { type: 'step-start', step: 1 },
      ev.text('你好👋 again'),
      ev.finish(),
    ]);
  });

  it('fails with the error a throwing fallback function throws', () => {
    const oops = new Error('fallback exploded');
    const { error, events } = outcome(NEVER, {
      firstTokenMs: 10,
      fallback: () => {
        throw oops;
      },
    });
    expect(error).toBe(oops);
    expect(events).toEqual([]);
  });

  it('stamps the reset with the track of the content that was shown, with interleaved tracks', () => {
    marbles(({ cold, expectObservable }) => {
      const values = {
        l: ev.text('draft', 'local'),
        c: ev.text('answer', 'cloud'),
        r: ev.reset('timeout', 'cloud'),
        x: ev.text('fallback', 'cloud'),
        n: { type: 'step-start', step: 1, track: 'cloud' } as RxllmEvent,
      };
      const fallback = cold('-x---|', values);
      expectObservable(
        cold('-lc------|', values).pipe(deadline({ betweenTokensMs: 3, fallback, afterOutput: 'reset' })),
      ).toBe('-lc--r(nx)|', values);
    });
  });

  it('counts reasoning, refusal and tool-call events as tokens but not usage or finish', () => {
    marbles(({ cold, expectObservable }) => {
      const values = {
        t: ev.reasoning('hmm'),
        d: ev.toolCallDelta('c1', '{"a":'),
        n: { type: 'refusal', text: 'no' } as RxllmEvent,
        u: ev.usage(1, 1),
      };
      const error = new RxllmError('deadline: no token for 3 ms after the last one (betweenTokensMs)', {
        code: 'timeout',
      });
      expectObservable(
        cold('-t-d-n-u-u-u|', values).pipe(deadline({ firstTokenMs: 2, betweenTokensMs: 3 })),
      ).toBe('-t-d-n-u#', values, error);
    });
  });

  it('postpones a silence deadline that comes due while a consumer has paused the stream, and restarts it on resume', async () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<RxllmEvent>();
    const errors: Array<[string, number]> = [];
    const stream = subscribeWithHandlers(source.pipe(deadline({ betweenTokensMs: 100, scheduler })), {
      onError: (error) => errors.push([error.message, scheduler.now()]),
    });
    source.next(ev.text('Hel'));
    scheduler.schedule(() => stream.pause(), 40);
    scheduler.flush();
    // Due at 100 while paused: no timeout, and the clock stands at 100.
    expect(errors).toEqual([]);
    expect(scheduler.now()).toBe(100);
    expect(stream.status).toBe('paused');
    stream.resume();
    await new Promise((resolve) => setImmediate(resolve)); // the gate's promise settles
    scheduler.flush();
    expect(errors).toEqual([['deadline: no token for 100 ms after the last one (betweenTokensMs)', 200]]);
  });

  it('postpones a first-token deadline while paused, but not totalMs', async () => {
    const scheduler = new VirtualTimeScheduler();
    const gate = new ManualGate();
    gate.close();
    const seen: Array<[string, number]> = [];
    const subscribe = (config: DeadlineConfig) =>
      NEVER.pipe(deadline({ ...config, scheduler })).subscribe(
        markFlow({ error: (error: RxllmError) => seen.push([error.message, scheduler.now()]) }, { gate }),
      );
    subscribe({ firstTokenMs: 30 });
    subscribe({ totalMs: 50 });
    scheduler.flush();
    expect(seen).toEqual([['deadline: the stream did not finish within 50 ms (totalMs)', 50]]);
    gate.open();
    await new Promise((resolve) => setImmediate(resolve)); // the gate's promise settles
    scheduler.flush();
    // The first-token deadline came due at 30 while closed; reopened at 50, it runs 30 more.
    expect(seen).toEqual([
      ['deadline: the stream did not finish within 50 ms (totalMs)', 50],
      ['deadline: no first token within 30 ms (firstTokenMs)', 80],
    ]);
  });

  it("subscribes the fallback where the consumer's flow gates are on its path, so a pause still reaches it", () => {
    const scheduler = new VirtualTimeScheduler();
    const gate = new ManualGate();
    const flows: DownstreamFlow[] = [];
    const fallback = new Observable<RxllmEvent>((subscriber) => {
      flows.push(new DownstreamFlow(subscriber));
    });
    NEVER.pipe(deadline({ totalMs: 10, fallback, scheduler })).subscribe(markFlow({}, { gate }));
    scheduler.flush();
    expect(flows).toHaveLength(1);
    expect(flows[0]!.closedGate()).toBeUndefined();
    gate.close();
    expect(flows[0]!.closedGate()).toBe(gate);
  });

  it('throws when built with bad arguments, naming the operator and the value', () => {
    expect(() => deadline({})).toThrow(
      'deadline: set at least one of firstTokenMs, betweenTokensMs, totalMs',
    );
    expect(() => deadline({ firstTokenMs: -1 })).toThrow(
      'deadline: firstTokenMs must be a positive number of milliseconds, got -1',
    );
    expect(() => deadline({ betweenTokensMs: Number.NaN })).toThrow(
      'deadline: betweenTokensMs must be a positive number of milliseconds, got NaN',
    );
    expect(() => deadline({ totalMs: '5' as unknown as number })).toThrow(
      "deadline: totalMs must be a positive number of milliseconds, got '5'",
    );
    expect(() =>
      deadline({ totalMs: 5, fallback: [ev.text('x')] as unknown as Observable<RxllmEvent> }),
    ).toThrow('deadline: fallback must be an Observable or a function, got [object Object]');
  });
});
