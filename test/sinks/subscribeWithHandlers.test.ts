import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Observable, Subject, VirtualTimeScheduler, concat, of, throwError } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { DownstreamFlow } from '../../src/flow/flow';
import type { Message } from '../../src/base/message';
import { subscribeWithHandlers, type StreamHandlers } from '../../src/sinks/subscribeWithHandlers';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { ev } from '../../src/testing/eventBuilders';
import { fixtureBytes, slices } from '../support/decodeFixture';

/** A handler that writes every call into `log`, as `name(args)` tuples. */
function recorder(log: unknown[][], label = ''): StreamHandlers {
  return {
    onStart: (metadata) => log.push([`${label}start`, metadata]),
    onToken: (token, index) => log.push([`${label}token`, token, index]),
    onComplete: (fullText) => log.push([`${label}complete`, fullText]),
    onError: (error) => log.push([`${label}error`, error.code, error.message]),
    onReset: (reason) => log.push([`${label}reset`, reason]),
  };
}

/** A few turns of the event loop, for promise chains and socket callbacks; no timers. */
async function turns(count = 10): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A stand-in for an rxllm network source: before each "read" it asks its downstream path
 * (flow/flow.ts) whether a consumer holds it back, as the real sources do. It records how often it
 * read, whether it was asked to wait, and whether it let go after an unsubscribe.
 */
function gateObservingSource(chunks: RxllmEvent[][]) {
  const record = { reads: 0, waits: 0, gates: 0, released: false, unsubscribed: false };
  const source = new Observable<RxllmEvent>((subscriber) => {
    const flow = new DownstreamFlow(subscriber);
    void (async () => {
      await Promise.resolve(); // like a request: nothing arrives during subscribe
      for (const chunk of chunks) {
        const wait = flow.whenOpen();
        if (wait) {
          record.gates = flow.closedGate() ? 1 : 0;
          record.waits++;
          await wait;
        }
        if (subscriber.closed) {
          record.released = true;
          return;
        }
        record.reads++;
        for (const event of chunk) subscriber.next(event);
        await new Promise((resolve) => setImmediate(resolve));
      }
      subscriber.complete();
    })();
    return () => (record.unsubscribed = true);
  });
  return { source, record };
}

const emptyMessage: Message = {
  text: '',
  reasoning: '',
  refusal: '',
  toolCalls: [],
  usage: null,
  finishReason: null,
};

describe('subscribeWithHandlers', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('calls onStart with the metadata, onToken with each token and its index, and onComplete with the text and message', async () => {
    const log: unknown[][] = [];
    let completed: Message | undefined;
    const stream = subscribeWithHandlers(
      of(
        ev.start({ id: 'msg_1', provider: 'anthropic', model: 'claude' }),
        ev.text('Hel'),
        ev.text('lo'),
        ev.finish('stop'),
        ev.usage(12, 2),
      ),
      [recorder(log), { onComplete: (_text, message) => (completed = message) }],
    );
    expect(log).toEqual([
      ['start', { id: 'msg_1', provider: 'anthropic', model: 'claude' }],
      ['token', 'Hel', 0],
      ['token', 'lo', 1],
      ['complete', 'Hello'],
    ]);
    const expected: Message = {
      id: 'msg_1',
      provider: 'anthropic',
      model: 'claude',
      text: 'Hello',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14 },
      finishReason: 'stop',
    };
    expect(completed).toEqual(expected);
    expect(stream.status).toBe('completed');
    await expect(stream.done).resolves.toEqual(expected);
  });

  it('calls onStart with empty metadata and onComplete with empty text for an empty stream', async () => {
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(of(), recorder(log));
    expect(log).toEqual([
      ['start', {}],
      ['complete', ''],
    ]);
    await expect(stream.done).resolves.toEqual(emptyMessage);
  });

  it('calls onStart before the first token when the stream has no start event', () => {
    const log: unknown[][] = [];
    subscribeWithHandlers(of(ev.text('Hi')), recorder(log));
    expect(log).toEqual([
      ['start', {}],
      ['token', 'Hi', 0],
      ['complete', 'Hi'],
    ]);
  });

  it('calls onError with the typed error carrying the delivered partial, and rejects done', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    const log: unknown[][] = [];
    let reported: RxllmError | undefined;
    const stream = subscribeWithHandlers(
      concat(
        of(ev.text('你'), ev.text('好')),
        throwError(() => failure),
      ),
      [recorder(log), { onError: (error) => (reported = error) }],
    );
    expect(log).toEqual([
      ['start', {}],
      ['token', '你', 0],
      ['token', '好', 1],
      ['error', 'overloaded', 'Overloaded'],
    ]);
    expect(reported).toBe(failure);
    expect(reported!.partial?.text).toBe('你好');
    expect(stream.status).toBe('error');
    await expect(stream.done).rejects.toBe(failure);
  });

  it('wraps an error that is not an RxllmError, keeping it as the cause', async () => {
    const plain = new Error('boom');
    let reported: RxllmError | undefined;
    const stream = subscribeWithHandlers(
      throwError(() => plain),
      { onError: (error) => (reported = error) },
    );
    expect(RxllmError.isInstance(reported)).toBe(true);
    expect(reported!.code).toBe('provider');
    expect(reported!.message).toBe('boom');
    expect(reported!.cause).toBe(plain);
    expect(reported!.partial).toEqual({ ...emptyMessage, finishReason: 'error' });
    await expect(stream.done).rejects.toBe(reported);
  });

  it('reports a throwing handler and keeps the stream and the other handlers going', () => {
    const reports: Array<[unknown, string]> = [];
    const log: unknown[][] = [];
    const oops = new Error('handler bug');
    const stream = subscribeWithHandlers(
      of(ev.text('a'), ev.text('b'), ev.finish()),
      [
        {
          onToken: (token) => {
            if (token === 'a') throw oops;
          },
          onComplete: () => {
            throw oops;
          },
        },
        recorder(log),
      ],
      { onHandlerError: (error, { callback }) => reports.push([error, callback]) },
    );
    expect(log).toEqual([
      ['start', {}],
      ['token', 'a', 0],
      ['token', 'b', 1],
      ['complete', 'ab'],
    ]);
    expect(reports).toEqual([
      [oops, 'onToken'],
      [oops, 'onComplete'],
    ]);
    expect(stream.status).toBe('completed');
    expect(stream.stats.handlerErrors).toBe(2);
  });

  it('reports to console.error by default, and there too when onHandlerError itself throws', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const oops = new Error('handler bug');
      const log: unknown[][] = [];
      subscribeWithHandlers(of(ev.text('a')), [
        {
          onToken: () => {
            throw oops;
          },
        },
        recorder(log),
      ]);
      expect(spy).toHaveBeenCalledWith('rxllm subscribeWithHandlers: onToken threw', oops);
      const reporterBug = new Error('reporter bug');
      subscribeWithHandlers(
        of(ev.text('a')),
        [
          {
            onToken: () => {
              throw oops;
            },
          },
          recorder(log, '2:'),
        ],
        {
          onHandlerError: () => {
            throw reporterBug;
          },
        },
      );
      expect(spy).toHaveBeenCalledWith('rxllm subscribeWithHandlers: onHandlerError threw', reporterBug);
      expect(log.map(([name]) => name)).toEqual([
        'start',
        'token',
        'complete',
        '2:start',
        '2:token',
        '2:complete',
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('lets handlers be registered and unregistered while the stream runs', () => {
    const source = new Subject<RxllmEvent>();
    const first: unknown[][] = [];
    const late: unknown[][] = [];
    const stream = subscribeWithHandlers(source, recorder(first));
    source.next(ev.start({ model: 'm' }));
    source.next(ev.text('a'));
    const lateHandler = recorder(late);
    const removeLate = stream.register(lateHandler);
    source.next(ev.text('b'));
    expect(stream.unregister(recorder([]))).toBe(false);
    expect(removeLate()).toBe(true);
    expect(removeLate()).toBe(false);
    source.next(ev.text('c'));
    source.complete();
    expect(late).toEqual([
      ['start', { model: 'm' }],
      ['token', 'b', 1],
    ]);
    expect(first.map(([name]) => name)).toEqual(['start', 'token', 'token', 'token', 'complete']);
    const afterEnd: unknown[][] = [];
    expect(stream.register(recorder(afterEnd))()).toBe(false);
    expect(afterEnd).toEqual([]);
  });

  it('holds the events that arrive while paused and delivers them in order on resume, completion last', async () => {
    const source = new Subject<RxllmEvent>();
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(source, recorder(log));
    source.next(ev.text('一'));
    expect(stream.pause()).toBe(true);
    expect(stream.pause()).toBe(false);
    expect(stream.status).toBe('paused');
    source.next(ev.text('二'));
    source.next(ev.text('三'));
    source.next(ev.usage(3, 3));
    source.complete();
    expect(log).toEqual([
      ['start', {}],
      ['token', '一', 0],
    ]);
    expect(stream.status).toBe('paused');
    expect(stream.stats.held).toBe(3);
    expect(stream.resume()).toBe(true);
    expect(stream.resume()).toBe(false);
    expect(log).toEqual([
      ['start', {}],
      ['token', '一', 0],
      ['token', '二', 1],
      ['token', '三', 2],
      ['complete', '一二三'],
    ]);
    expect(stream.status).toBe('completed');
    expect(stream.stats.held).toBe(0);
    expect((await stream.done).usage).toEqual({ inputTokens: 3, outputTokens: 3, totalTokens: 6 });
  });

  it('holds an error that arrives while paused until resume', () => {
    const source = new Subject<RxllmEvent>();
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(source, recorder(log));
    stream.pause();
    source.next(ev.text('a'));
    source.error(new RxllmError('Connection reset', { code: 'network' }));
    expect(log).toEqual([]);
    stream.resume();
    expect(log).toEqual([
      ['start', {}],
      ['token', 'a', 0],
      ['error', 'network', 'Connection reset'],
    ]);
  });

  it('stops delivering the rest of a backlog when a handler pauses again during resume', () => {
    const source = new Subject<RxllmEvent>();
    const tokens: string[] = [];
    const stream = subscribeWithHandlers(source, {
      onToken: (token) => {
        tokens.push(token);
        if (token === 'b') stream.pause();
      },
    });
    stream.pause();
    for (const text of ['a', 'b', 'c', 'd']) source.next(ev.text(text));
    stream.resume();
    expect(tokens).toEqual(['a', 'b']);
    expect(stream.status).toBe('paused');
    expect(stream.stats.held).toBe(2);
    stream.resume();
    expect(tokens).toEqual(['a', 'b', 'c', 'd']);
  });

  it('makes a gate-observing source wait instead of reading while paused', async () => {
    const { source, record } = gateObservingSource([
      [ev.start({ model: 'm' }), ev.text('Hel')],
      [ev.text('lo')],
      [ev.text(' world'), ev.finish()],
    ]);
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(source, {
      ...recorder(log),
      onToken: (token, index) => {
        log.push(['token', token, index]);
        if (token === 'Hel') stream.pause();
      },
    });
    await turns();
    // `gates`: the source found the closed gate on its path when it waited.
    expect(record).toEqual({ reads: 1, waits: 1, gates: 1, released: false, unsubscribed: false });
    expect(log).toEqual([
      ['start', { model: 'm' }],
      ['token', 'Hel', 0],
    ]);
    stream.resume();
    await stream.done;
    expect(record.reads).toBe(3);
    expect(log).toContainEqual(['complete', 'Hello world']);
  });

  it('cancels a paused gate-observing source: drops held events, unsubscribes and wakes it so it lets go', async () => {
    const { source, record } = gateObservingSource([[ev.text('a'), ev.text('b')], [ev.text('c')]]);
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(source, {
      ...recorder(log),
      onToken: (token, index) => {
        log.push(['token', token, index]);
        if (token === 'a') stream.pause();
      },
    });
    await turns();
    expect(stream.stats.held).toBe(1);
    expect(stream.cancel()).toBe(true);
    expect(stream.cancel()).toBe(false);
    expect(stream.resume()).toBe(false);
    expect(stream.status).toBe('cancelled');
    expect(stream.stats.held).toBe(0);
    await turns();
    expect(record).toEqual({ reads: 1, waits: 1, gates: 1, released: true, unsubscribed: true });
    expect(log).toEqual([
      ['start', {}],
      ['token', 'a', 0],
    ]);
    await expect(stream.done).resolves.toEqual({ ...emptyMessage, text: 'a', finishReason: 'cancelled' });
  });

  it('cancels: unsubscribes the source, stops delivery and calls neither onError nor onComplete', async () => {
    const source = new Subject<RxllmEvent>();
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(source, recorder(log));
    source.next(ev.text('a'));
    expect(source.observed).toBe(true);
    stream.cancel();
    expect(source.observed).toBe(false);
    source.next(ev.text('b'));
    expect(stream.pause()).toBe(false);
    expect(log).toEqual([
      ['start', {}],
      ['token', 'a', 0],
    ]);
    expect((await stream.done).text).toBe('a');
  });

  it('keeps a finish that had arrived when cancelled', async () => {
    const source = new Subject<RxllmEvent>();
    const stream = subscribeWithHandlers(source, {});
    source.next(ev.text('a'));
    source.next(ev.finish('length'));
    stream.cancel();
    expect((await stream.done).finishReason).toBe('length');
  });

  it('restarts the token index and the text after a reset', () => {
    const log: unknown[][] = [];
    subscribeWithHandlers(
      of(ev.text('draft'), ev.text(' one'), ev.reset('retry'), ev.text('final')),
      recorder(log),
    );
    expect(log).toEqual([
      ['start', {}],
      ['token', 'draft', 0],
      ['token', ' one', 1],
      ['reset', 'retry'],
      ['token', 'final', 0],
      ['complete', 'final'],
    ]);
  });

  it('gives onToken choice 0 only and every event to onEvent, with interleaved tracks and choices', () => {
    const tokens: unknown[] = [];
    const events: string[] = [];
    subscribeWithHandlers(
      of(
        ev.text('local', 'local'),
        ev.text('cloud', 'cloud'),
        { type: 'text', text: 'second choice', choice: 1 } as RxllmEvent,
        ev.reasoning('think'),
        ev.toolCall('c1', 'f', { a: 1 }),
      ),
      {
        onToken: (token, index, event) => tokens.push([token, index, event.track]),
        onEvent: (event) => events.push(event.type),
      },
    );
    expect(tokens).toEqual([
      ['local', 0, 'local'],
      ['cloud', 1, 'cloud'],
    ]);
    expect(events).toEqual(['text', 'text', 'text', 'reasoning', 'tool-call']);
  });

  it('calls handler methods with the handler object as this', () => {
    class Collector implements StreamHandlers {
      text = '';
      onToken(token: string) {
        this.text += token;
      }
    }
    const collector = new Collector();
    subscribeWithHandlers(of(ev.text('Hel'), ev.text('lo')), collector);
    expect(collector.text).toBe('Hello');
  });

  it('counts tokens, elapsed time, time to first token and tokens per second on the scheduler clock', () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<RxllmEvent>();
    const stream = subscribeWithHandlers(source, {}, { scheduler });
    const at = (ms: number, act: () => void) => scheduler.schedule(act, ms);
    at(200, () => source.next(ev.start({})));
    at(400, () => source.next(ev.reasoning('hm')));
    at(900, () => source.next(ev.text('a')));
    at(1400, () => source.next(ev.text('b')));
    at(1500, () => source.next(ev.usage(1, 3)));
    at(1600, () => source.complete());
    // Runs the actions due by 1000: the clock stops at the last one, the text at 900.
    scheduler.maxFrames = 1000;
    scheduler.flush();
    // 2 deltas (at 400 and 900): 2 in the 0.5 s since the first.
    expect(stream.stats).toEqual({
      tokens: 2,
      elapsedMs: 900,
      timeToFirstTokenMs: 400,
      tokensPerSecond: 4,
      held: 0,
      handlerErrors: 0,
    });
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    // 3 deltas; the first at 400; the stream ended at 1600: 3 / 1.2 s.
    expect(stream.stats).toEqual({
      tokens: 3,
      elapsedMs: 1600,
      timeToFirstTokenMs: 400,
      tokensPerSecond: 2.5,
      held: 0,
      handlerErrors: 0,
    });
  });

  it('delivers a byte-split stream with emoji through a real source as whole tokens', async () => {
    const bytes = fixtureBytes('edge/deepseek-reasoning-content.sse');
    async function* byteByByte() {
      yield* slices(bytes, 'byte-by-byte');
    }
    let text = '';
    let reasoningDeltas = 0;
    const stream = subscribeWithHandlers(fromSSE(byteByByte(), { dialect: 'openai-chat' }), {
      onToken: (token) => (text += token),
      onEvent: (event) => {
        if (event.type === 'reasoning') reasoningDeltas++;
      },
    });
    const message = await stream.done;
    expect(text).toBe('Hello there! 😊 How can I help you today?');
    expect(message.text).toBe('Hello there! 😊 How can I help you today?');
    expect(message.reasoning.startsWith('Hmm, the user just said "Hello".')).toBe(true);
    expect(stream.stats.tokens).toBeGreaterThan(reasoningDeltas);
  });

  it('stops a real OpenAI SDK stream from reading while paused, and delivers everything on resume', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-chat/text-include-usage.sse'),
      timing: { sliceBytes: 300, sliceDelayMs: 5 },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    let text = '';
    const stream = subscribeWithHandlers(
      fromOpenAI(openai, {
        model: 'gpt-4o-2024-08-06',
        messages: [{ role: 'user', content: 'weather in SF?' }],
      }),
      {
        onToken: (token, index) => {
          text += token;
          if (index === 0) stream.pause();
        },
      },
    );
    const request = await server.waitForRequest(0);
    await request.closed; // the server has written the whole response into the socket
    await turns(20);
    // The source stopped after the chunk it was decoding: only that chunk's events are held
    // (one 300-byte slice holds one or two events). Had it kept reading, all 33 events after the
    // first token would be held by now.
    expect(text).toBe("I'm");
    expect(stream.stats.held).toBeLessThanOrEqual(10);
    expect(stream.status).toBe('paused');
    stream.resume();
    const message = await stream.done;
    expect(text).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(message.usage).toEqual({ inputTokens: 14, outputTokens: 30, totalTokens: 44, reasoningTokens: 0 });
    expect(message.finishReason).toBe('stop');
  });

  it('reads nothing from a real OpenAI SDK response while paused before its first byte', async () => {
    server = await createReplayServer({ transcript: fixtureBytes('openai-chat/text-include-usage.sse') });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(
      fromOpenAI(openai, {
        model: 'gpt-4o-2024-08-06',
        messages: [{ role: 'user', content: 'weather in SF?' }],
      }),
      recorder(log),
    );
    stream.pause();
    await (
      await server.waitForRequest(0)
    ).closed; // the whole body is in the socket
    await turns(20);
    expect(stream.stats.held).toBe(0);
    expect(log).toEqual([]);
    stream.resume();
    const message = await stream.done;
    expect(log).toHaveLength(1 + 30 + 1);
    expect(log.at(-1)).toEqual([
      'complete',
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    ]);
    expect(message.usage?.totalTokens).toBe(44);
  });

  it('aborts a real OpenAI SDK request when cancelled mid-stream', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('openai-chat/text-include-usage.sse'),
      timing: { tokensPerSecond: 50 },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(
      fromOpenAI(openai, {
        model: 'gpt-4o-2024-08-06',
        messages: [{ role: 'user', content: 'weather in SF?' }],
      }),
      {
        ...recorder(log),
        onToken: (token, index) => {
          log.push(['token', token, index]);
          if (index === 1) stream.cancel();
        },
      },
    );
    const request = await (await server.waitForRequest(0)).closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(stream.status).toBe('cancelled');
    expect(log).toEqual([
      [
        'start',
        {
          id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
          provider: 'openai',
          model: 'gpt-4o-2024-08-06',
          created: 1727346168000,
        },
      ],
      ['token', "I'm", 0],
      ['token', ' unable', 1],
    ]);
    const message = await stream.done;
    expect(message.text).toBe("I'm unable");
    expect(message.finishReason).toBe('cancelled');
  });

  it('calls the handlers for a real Anthropic SDK stream: metadata, tokens, text and usage', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('anthropic/text-basic-no-trailing-newline.sse'),
      timing: { sliceBytes: 7 },
    });
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const log: unknown[][] = [];
    const stream = subscribeWithHandlers(
      fromAnthropic(anthropic, {
        model: 'claude-3-opus-20240229',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Say hello there' }],
      }),
      recorder(log),
    );
    const message = await stream.done;
    expect(log).toEqual([
      [
        'start',
        {
          id: 'msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK',
          provider: 'anthropic',
          model: 'claude-3-opus-20240229',
        },
      ],
      ['token', 'Hello', 0],
      ['token', ' there', 1],
      ['token', '!', 2],
      ['complete', 'Hello there!'],
    ]);
    expect(message.usage).toEqual({ inputTokens: 11, outputTokens: 6, totalTokens: 17 });
    expect(message.finishReason).toBe('stop');
    expect(stream.stats.tokens).toBe(3);
  });

  it('throws at once on bad arguments, naming the function and the value', () => {
    expect(() => subscribeWithHandlers('x' as unknown as Observable<RxllmEvent>, {})).toThrow(
      "subscribeWithHandlers: events$ must be an Observable, got 'x'",
    );
    expect(() => subscribeWithHandlers(of(), null as unknown as StreamHandlers)).toThrow(
      'subscribeWithHandlers: a handler must be an object of callbacks, got null',
    );
    expect(() => subscribeWithHandlers(of(), { onToken: 'print' } as unknown as StreamHandlers)).toThrow(
      "subscribeWithHandlers: handler.onToken must be a function, got 'print'",
    );
    expect(() => subscribeWithHandlers(of(), {}, { onHandlerError: 1 as unknown as () => void })).toThrow(
      'subscribeWithHandlers: onHandlerError must be a function, got 1',
    );
    const stream = subscribeWithHandlers(new Subject<RxllmEvent>(), {});
    expect(() => stream.register({ onError: true } as unknown as StreamHandlers)).toThrow(
      'subscribeWithHandlers: handler.onError must be a function, got true',
    );
    stream.cancel();
  });
});
