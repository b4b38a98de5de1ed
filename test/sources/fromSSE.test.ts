import { map, take } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { ManualGate, markFlow } from '../../src/flow/flow';
import { fromSSE } from '../../src/sources/fromSSE';
import { ev } from '../../src/testing/eventBuilders';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { run, turns, unsubscribeAt, withoutSeq } from './helpers';

// An rxllm-dialect stream written out byte for byte: what `toSSE({ dialect: 'rxllm' })` sends.
const frames = [
  'event: start\ndata: {"type":"start","id":"r1","provider":"rxllm","model":"m1"}\n\n',
  'event: text\ndata: {"type":"text","text":"Hel"}\n\n',
  'event: text\ndata: {"type":"text","text":"lo, "}\n\n',
  'event: text\ndata: {"type":"text","text":"wörld 👋"}\n\n',
  'event: usage\ndata: {"type":"usage","inputTokens":5,"outputTokens":4,"totalTokens":9}\n\n',
  'event: finish\ndata: {"type":"finish","reason":"stop"}\n\n',
  'event: done\ndata: [DONE]\n\n',
];
const wire = frames.join('');
const expected: RxllmEvent[] = [
  { type: 'start', id: 'r1', provider: 'rxllm', model: 'm1', seq: 0 },
  { type: 'text', text: 'Hel', seq: 1 },
  { type: 'text', text: 'lo, ', seq: 2 },
  { type: 'text', text: 'wörld 👋', seq: 3 },
  { type: 'usage', inputTokens: 5, outputTokens: 4, totalTokens: 9, seq: 4 },
  { type: 'finish', reason: 'stop', seq: 5 },
];
const bytesOfFirstThreeFrames = Buffer.byteLength(frames.slice(0, 3).join(''));

function bytesOneAtATime(text: string): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return {
    async *[Symbol.asyncIterator]() {
      for (const byte of bytes) yield Uint8Array.of(byte);
    },
  };
}

describe('fromSSE', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('decodes a fetched stream sent in small slices into events stamped with seq', async () => {
    server = await createReplayServer({ transcript: wire, timing: { sliceBytes: 5, sliceDelayMs: 1 } });
    const url = server.url;
    const outcome = await run(fromSSE((signal) => fetch(`${url}/stream`, { signal }), { dialect: 'rxllm' }));
    expect(outcome).toEqual({ events: expected, completed: true });
    expect(server.requests.map((request) => [request.method, request.path])).toEqual([['GET', '/stream']]);
  });

  it('reads a Response, a ReadableStream and an async iterable of text alike', async () => {
    server = await createReplayServer({ transcript: wire, timing: { sliceBytes: 7 } });
    const response = await fetch(server.url);
    expect((await run(fromSSE(response, { dialect: 'rxllm' }))).events).toEqual(expected);

    const bytes = new TextEncoder().encode(wire);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 3) controller.enqueue(bytes.subarray(at, at + 3));
        controller.close();
      },
    });
    expect((await run(fromSSE(stream, { dialect: 'rxllm' }))).events).toEqual(expected);

    const texts = {
      async *[Symbol.asyncIterator]() {
        for (const frame of frames) yield frame;
      },
    };
    expect((await run(fromSSE(texts, { dialect: 'rxllm' }))).events).toEqual(expected);
  });

  it('keeps multibyte characters whole when every byte arrives alone', async () => {
    const outcome = await run(fromSSE(bytesOneAtATime(wire), { dialect: 'rxllm' }));
    expect(outcome.events).toEqual(expected);
  });

  it('makes no request before subscribe and a new one for every subscription', async () => {
    server = await createReplayServer({ transcript: wire });
    const url = server.url;
    let calls = 0;
    const events$ = fromSSE(
      (signal) => {
        calls++;
        return fetch(url, { signal });
      },
      { dialect: 'rxllm' },
    );
    expect(calls).toBe(0);
    expect(server.requests).toHaveLength(0);
    expect((await run(events$)).events).toEqual(expected);
    expect((await run(events$)).events).toEqual(expected);
    expect(calls).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it('fails a second subscription to a Response passed directly with a clear error', async () => {
    server = await createReplayServer({ transcript: wire });
    const events$ = fromSSE(await fetch(server.url), { dialect: 'rxllm' });
    expect((await run(events$)).completed).toBe(true);
    const second = await run(events$);
    expect(second.error?.message).toMatch(
      /fromSSE: the stream was already read; pass \(signal\) => fetch\(\.\.\.\) to subscribe again/,
    );
    expect(second.error?.retryable).toBe(false);
  });

  it.each([
    [
      401,
      '{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}',
      {},
      'auth',
      undefined,
      false,
    ],
    [403, '{"error":{"message":"not allowed"}}', {}, 'auth', undefined, false],
    [
      429,
      '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}',
      { 'retry-after': '2' },
      'rate-limit',
      2000,
      true,
    ],
    [
      529,
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      {},
      'overloaded',
      undefined,
      true,
    ],
    [503, 'Service Unavailable', {}, 'overloaded', undefined, true],
    [
      400,
      '{"error":{"message":"This model\'s maximum context length is 128000 tokens."}}',
      {},
      'context-length',
      undefined,
      false,
    ],
    [404, '{"error":{"message":"no such model"}}', {}, 'http', undefined, false],
  ] as const)(
    'turns HTTP %i into a typed error',
    async (status, body, headers, code, retryAfterMs, retryable) => {
      server = await createReplayServer({ fault: { kind: 'http-error', status, body, headers } });
      const url = server.url;
      const outcome = await run(fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }));
      expect(outcome.events).toEqual([]);
      expect(outcome.error).toMatchObject({ code, status, retryable, retryAfterMs });
      expect(outcome.error?.partial).toEqual({
        text: '',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: 'error',
      });
    },
  );

  it('reports a connection cut mid-stream as a network error that keeps what arrived', async () => {
    server = await createReplayServer({
      transcript: wire,
      timing: { sliceBytes: 4 },
      fault: { kind: 'cut', afterBytes: bytesOfFirstThreeFrames + 10 },
    });
    const url = server.url;
    const outcome = await run(fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }));
    expect(outcome.events).toEqual(expected.slice(0, 3));
    expect(outcome.error).toMatchObject({ code: 'network', retryable: true, dialect: 'rxllm' });
    expect(outcome.error?.partial).toEqual({
      id: 'r1',
      provider: 'rxllm',
      model: 'm1',
      text: 'Hello, ',
      reasoning: '',
      refusal: '',
      toolCalls: [],
      usage: null,
      finishReason: 'error',
    });
  });

  describe('keeps for partial what it is asked to', () => {
    const answer =
      'event: start\ndata: {"type":"start","id":"r2","model":"m1"}\n\n' +
      'event: reasoning\ndata: {"type":"reasoning","text":"Think."}\n\n' +
      'event: text\ndata: {"type":"text","text":"Let me look"}\n\n' +
      'event: tool-call-start\ndata: {"type":"tool-call-start","id":"c1","name":"find","index":0}\n\n' +
      'event: tool-call-delta\ndata: {"type":"tool-call-delta","id":"c1","index":0,"argsText":"{\\"q\\":"}\n\n';

    it.each([
      [
        'full',
        {
          id: 'r2',
          model: 'm1',
          text: 'Let me look',
          reasoning: 'Think.',
          refusal: '',
          toolCalls: [{ id: 'c1', name: 'find', args: {}, argsText: '{"q":', incomplete: true }],
          usage: null,
          finishReason: 'error',
        },
      ],
      [
        'text',
        {
          id: 'r2',
          model: 'm1',
          text: 'Let me look',
          reasoning: '',
          refusal: '',
          toolCalls: [],
          usage: null,
          finishReason: 'error',
        },
      ],
      ['none', undefined],
    ] as const)("partial: '%s', on a connection cut mid-stream", async (mode, partial) => {
      server = await createReplayServer({
        transcript: `${answer}event: text\ndata: {"type":"text","text":"never"}\n\n`,
        fault: { kind: 'cut', afterBytes: answer.length },
      });
      const url = server.url;
      const outcome = await run(
        fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm', partial: mode }),
      );
      // Every event passes on whatever is kept.
      expect(outcome.events.map((event) => event.type)).toEqual([
        'start',
        'reasoning',
        'text',
        'tool-call-start',
        'tool-call-delta',
      ]);
      expect(outcome.error).toMatchObject({ code: 'network' });
      expect(outcome.error?.partial).toEqual(partial);
    });

    it('rejects a mode it does not know when the source is built', () => {
      expect(() => fromSSE(bytesOneAtATime(''), { dialect: 'rxllm', partial: 'some' as never })).toThrow(
        "rxllm: fromSSE: partial must be 'full', 'text' or 'none', got some",
      );
    });
  });

  it('reports a stream that ends without its terminal message as a network error', async () => {
    const outcome = await run(fromSSE(bytesOneAtATime(frames.slice(0, 3).join('')), { dialect: 'rxllm' }));
    expect(outcome.events).toEqual(expected.slice(0, 3));
    expect(outcome.error).toMatchObject({ code: 'network', message: 'rxllm: stream ended before [DONE]' });
    expect(outcome.error?.partial?.text).toBe('Hello, ');
  });

  it('reports a malformed line with the line quoted and the partial message', async () => {
    const broken = `${frames[0]}${frames[1]}event: text\ndata: {"type":"text","text":\n\n${frames[6]}`;
    const outcome = await run(fromSSE(bytesOneAtATime(broken), { dialect: 'rxllm' }));
    expect(outcome.events).toEqual(expected.slice(0, 2));
    expect(outcome.error).toMatchObject({
      code: 'malformed',
      dialect: 'rxllm',
      line: '{"type":"text","text":',
    });
    expect(outcome.error?.partial?.text).toBe('Hel');
  });

  it('passes an in-band provider error on with the partial message', async () => {
    const failing =
      frames.slice(0, 2).join('') +
      'event: error\ndata: {"type":"error","error":{"code":"overloaded","message":"Overloaded","providerCode":"overloaded_error"},"fatal":true}\n\n';
    const outcome = await run(fromSSE(bytesOneAtATime(failing), { dialect: 'rxllm' }));
    expect(outcome.error).toMatchObject({
      code: 'overloaded',
      message: 'Overloaded',
      providerCode: 'overloaded_error',
    });
    expect(outcome.error?.partial?.text).toBe('Hel');
  });

  it('says so when a JSON document arrives where an event stream was expected', async () => {
    server = await createReplayServer({
      transcript: '{"id":"chatcmpl-1","object":"chat.completion","choices":[]}',
      headers: { 'content-type': 'application/json' },
    });
    const url = server.url;
    const outcome = await run(fromSSE((signal) => fetch(url, { signal }), { dialect: 'openai-chat' }));
    expect(outcome.error).toMatchObject({
      code: 'malformed',
      retryable: false,
      message:
        'openai-chat: fromSSE expected an event stream but got HTTP 200 application/json: {"id":"chatcmpl-1","object":"chat.completion","choices":[]}',
    });
  });

  it('reports a refused connection as a network error', async () => {
    const closed = await createReplayServer({ transcript: wire });
    const url = closed.url;
    await closed.close();
    const outcome = await run(fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }));
    expect(outcome.error).toMatchObject({ code: 'network', retryable: true });
    expect(outcome.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('aborts the request and closes the connection on unsubscribe, silently', async () => {
    // The server stalls after the third frame, so only the client can end this response.
    server = await createReplayServer({
      transcript: wire,
      timing: { sliceBytes: 8, sliceDelayMs: 1 },
      fault: { kind: 'stall', afterBytes: bytesOfFirstThreeFrames + 5 },
    });
    const url = server.url;
    let signal: AbortSignal | undefined;
    const source$ = fromSSE(
      (given) => {
        signal = given;
        return fetch(url, { signal: given });
      },
      { dialect: 'rxllm' },
    );
    const { seen, ...outcome } = await unsubscribeAt(source$, 'text');
    expect(signal?.aborted).toBe(true);
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(request.bytesSent).toBeLessThan(request.bytesTotal);
    expect(withoutSeq(seen)).toEqual([
      ev.start({ id: 'r1', provider: 'rxllm', model: 'm1' }),
      ev.text('Hel'),
    ]);
    expect(outcome).toEqual({ errored: false, completed: false });
    expect(server.connections.closed).toBeGreaterThanOrEqual(1);
  });

  it('aborts a request still waiting for its response on unsubscribe', async () => {
    let signal: AbortSignal | undefined;
    let errored = false;
    const subscription = fromSSE(
      (given) => {
        signal = given;
        return new Promise<Response>((_, reject) =>
          given.addEventListener('abort', () => reject(given.reason)),
        );
      },
      { dialect: 'rxllm' },
    ).subscribe({ error: () => (errored = true) });
    expect(signal?.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
    await turns();
    expect(errored).toBe(false);
  });

  it('stops reading an async iterable and returns it when a take() unsubscribes', async () => {
    let reads = 0;
    let returned = false;
    const source: AsyncIterable<string> = {
      [Symbol.asyncIterator]() {
        let index = 0;
        return {
          async next() {
            reads++;
            return index < frames.length
              ? { value: frames[index++]!, done: false }
              : { value: undefined, done: true };
          },
          async return() {
            returned = true;
            return { value: undefined, done: true };
          },
        };
      },
    };
    const outcome = await run(fromSSE(source, { dialect: 'rxllm' }).pipe(take(2)));
    expect(outcome.events).toEqual(expected.slice(0, 2));
    await turns();
    expect(returned).toBe(true);
    expect(reads).toBe(2);
  });

  it('cancels a ReadableStream on unsubscribe', async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(new TextEncoder().encode(frames[Math.min(pulls++, 3)]));
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const outcome = await run(fromSSE(stream, { dialect: 'rxllm' }).pipe(take(3)));
    expect(withoutSeq(outcome.events)).toEqual([
      ev.start({ id: 'r1', provider: 'rxllm', model: 'm1' }),
      ev.text('Hel'),
      ev.text('lo, '),
    ]);
    await turns();
    expect(cancelled).toBe(true);
    expect(pulls).toBe(3);
  });

  it('does not read the next chunk while a flow gate is closed', async () => {
    let reads = 0;
    const source: AsyncIterable<string> = {
      async *[Symbol.asyncIterator]() {
        for (const frame of frames) {
          reads++;
          yield frame;
        }
      },
    };
    const gate = new ManualGate();
    gate.close();
    const seen: RxllmEvent[] = [];
    let completed = false;
    fromSSE(source, { dialect: 'rxllm' })
      .pipe(map((event) => event))
      .subscribe(
        markFlow(
          { next: (event: RxllmEvent) => seen.push(event), complete: () => (completed = true) },
          { gate },
        ),
      );
    await turns();
    expect(reads).toBe(0);
    expect(seen).toEqual([]);
    gate.open();
    await new Promise<void>((resolve) => {
      const check = () => (completed ? resolve() : setImmediate(check));
      check();
    });
    expect(reads).toBe(frames.length);
    expect(seen).toEqual(expected);
  });

  it('leaves the socket unread while a flow gate is closed, so the server cannot send more', async () => {
    // 16 MiB of SSE comments between the first frames and the rest: more than the socket buffers hold.
    const padding = `: ${'x'.repeat(1021)}\n`.repeat(16 * 1024);
    const transcript = frames[0]! + frames[1]! + padding + frames.slice(2).join('');
    server = await createReplayServer({ transcript, timing: { sliceBytes: 64 * 1024 } });
    const url = server.url;
    const gate = new ManualGate();
    gate.close();
    const seen: RxllmEvent[] = [];
    let completed = false;
    fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }).subscribe(
      markFlow(
        { next: (event: RxllmEvent) => seen.push(event), complete: () => (completed = true) },
        { gate },
      ),
    );
    const request = await server.waitForRequest(0);
    // Polled, not timed: a source that read while paused would let the server finish the 16 MiB
    // (and would have decoded the first frames); a paused one leaves the server stuck below it.
    await new Promise<void>((resolve, reject) => {
      let last = -1;
      const poll = setInterval(() => {
        if (request.completed) reject(new Error('the server sent everything while the gate was closed'));
        else if (request.bytesSent === last) resolve();
        else return void (last = request.bytesSent);
        clearInterval(poll);
      }, 25);
    });
    expect(seen).toEqual([]);
    expect(request.bytesSent).toBeLessThan(request.bytesTotal / 2);
    gate.open();
    await request.closed;
    await new Promise<void>((resolve) => {
      const check = () => (completed ? resolve() : setImmediate(check));
      check();
    });
    expect(seen).toEqual(expected);
    expect(request.completed).toBe(true);
  });

  it('throws at once for a bad input or a missing or unknown dialect', () => {
    expect(() => fromSSE(42 as never, { dialect: 'rxllm' })).toThrow(
      /fromSSE expects a Response, ReadableStream, async iterable, Observable, array of chunks or \(signal\) => Response, got number 42/,
    );
    expect(() => fromSSE(bytesOneAtATime(''), undefined as never)).toThrow(
      /fromSSE: config.dialect is required/,
    );
    expect(() => fromSSE(bytesOneAtATime(''), { dialect: 'nope' as never })).toThrow(
      /unknown dialect 'nope'/,
    );
    expect(() => fromSSE(bytesOneAtATime(''), { dialect: 'ollama' })).toThrow(
      "rxllm: fromSSE: dialect 'ollama' is framed as ndjson, not SSE; use fromNDJSON",
    );
  });

  it('wraps a failure of the input function as an RxllmError', async () => {
    const outcome = await run(
      fromSSE(
        () => {
          throw new Error('no credentials');
        },
        { dialect: 'rxllm' },
      ),
    );
    expect(outcome.error).toMatchObject({ code: 'provider', message: 'no credentials' });
    expect(RxllmError.isInstance(outcome.error)).toBe(true);
  });
});
