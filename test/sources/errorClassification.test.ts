import OpenAI from 'openai';
import { firstValueFrom, lastValueFrom, map, materialize, toArray, type Observable } from 'rxjs';
import { isNetworkFailure, RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { pausable } from '../../src/operators/pausable';
import { retryStream } from '../../src/operators/retryStream';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { BehaviorSubject, Subject } from 'rxjs';

/** The error an Observable ends with (whatever it is), or undefined when it completes. */
async function failureOf(events$: Observable<unknown>): Promise<unknown> {
  const notifications = await lastValueFrom(events$.pipe(materialize(), toArray()));
  return notifications.find((notification) => notification.kind === 'E')?.error;
}

const wire = [
  'event: start\ndata: {"type":"start","id":"r1"}\n\n',
  'event: text\ndata: {"type":"text","text":"Hello"}\n\n',
  'event: finish\ndata: {"type":"finish","reason":"stop"}\n\n',
  'event: done\ndata: [DONE]\n\n',
].join('');

const noDelay = { initialDelayMs: 0, jitter: 0 };

describe('errors say what happened', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('an input function that returns no stream is a non-retryable invalid-argument, asked once', async () => {
    let calls = 0;
    const events$ = fromSSE(
      () => {
        calls++;
        return 42 as unknown as Response;
      },
      { dialect: 'rxllm' },
    );
    const error = await failureOf(events$.pipe(retryStream({ maxRetries: 3, ...noDelay })));
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid-argument', retryable: false });
    expect((error as Error).message).toContain('returned number 42');
    expect(calls).toBe(1);
  });

  it('a Response read by a second subscription is invalid-argument, not provider', async () => {
    server = await createReplayServer({ transcript: wire });
    const events$ = fromSSE(await fetch(server.url), { dialect: 'rxllm' });
    expect(await failureOf(events$)).toBeUndefined();
    const error = await failureOf(events$);
    expect(error).toMatchObject({ code: 'invalid-argument', retryable: false });
    expect((error as Error).message).toContain('already read');
  });

  it("a bug in the user's body transform passes through unchanged and is not retried", async () => {
    server = await createReplayServer({ transcript: wire });
    const url = server.url;
    const bug = new TypeError("Cannot read properties of undefined (reading 'length')");
    const events$ = fromSSE(
      async (signal) => {
        const response = await fetch(url, { signal });
        return response.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform() {
              throw bug;
            },
          }),
        );
      },
      { dialect: 'rxllm' },
    );
    const error = await failureOf(events$.pipe(retryStream({ maxRetries: 3, ...noDelay })));
    expect(error).toBe(bug);
    expect(server.requests).toHaveLength(1);
  });

  it("a bug in the user's map is neither network nor retried", async () => {
    server = await createReplayServer({ transcript: wire });
    const url = server.url;
    const events$ = fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }).pipe(
      map((event) => (event.type === 'text' ? (undefined as unknown as { x: RxllmEvent }).x : event)),
    );
    const error = await failureOf(events$.pipe(retryStream({ maxRetries: 3, ...noDelay })));
    expect((error as Error).name).toBe('TypeError');
    expect(RxllmError.isInstance(error)).toBe(false);
    expect(RxllmError.from(error).code).toBe('provider');
    expect(RxllmError.from(error).retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('a 200 text/html page through the openai SDK is an http error that keeps the page, not network', async () => {
    const page = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(2000)}</body></html>`;
    server = await createReplayServer({
      transcript: page,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const error = await failureOf(
      fromOpenAI(openai, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }).pipe(
        retryStream({ maxRetries: 2, ...noDelay }),
      ),
    );
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'http', status: 200, retryable: false, dialect: 'openai-chat' });
    const { message, line } = error as RxllmError;
    expect(message).toContain('text/html');
    expect(message).toContain('<title>502 Bad Gateway</title>');
    expect(line!.length).toBeLessThanOrEqual(501); // truncated, not the whole page
    expect(server.requests).toHaveLength(1);
  });

  it('a connection cut mid-stream is still network, and retried', async () => {
    server = await createReplayServer({
      routes: {
        '/stream': [{ transcript: wire, fault: { kind: 'cut', afterBytes: 60 } }, { transcript: wire }],
      },
    });
    const url = server.url;
    const events = await lastValueFrom(
      fromSSE((signal) => fetch(`${url}/stream`, { signal }), { dialect: 'rxllm' }).pipe(
        retryStream({ maxRetries: 1, ...noDelay }),
        toArray(),
      ),
    );
    expect(events.filter((event) => event.type === 'text')).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it("recognizes fetch's network failures by their words, not every TypeError", () => {
    expect(isNetworkFailure(new TypeError('fetch failed'))).toBe(true);
    expect(isNetworkFailure(new TypeError('Failed to fetch'))).toBe(true);
    expect(isNetworkFailure(new TypeError('NetworkError when attempting to fetch resource.'))).toBe(true);
    expect(isNetworkFailure(new TypeError('terminated', { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(isNetworkFailure(new TypeError('x is not a function'))).toBe(false);
    expect(isNetworkFailure(new TypeError("Cannot read properties of undefined (reading 'a')"))).toBe(false);
    expect(RxllmError.from(new TypeError('x is not a function')).code).toBe('provider');
  });

  it('a stack overflow is limit-exceeded, not provider', () => {
    const recurse = (depth: number): number => recurse(depth + 1) + 1;
    let overflow: unknown;
    try {
      recurse(0);
    } catch (error) {
      overflow = error;
    }
    expect((overflow as Error).name).toBe('RangeError');
    const wrapped = RxllmError.from(overflow);
    expect(wrapped.code).toBe('limit-exceeded');
    expect(wrapped.retryable).toBe(false);
  });

  it("pausable's overflow is an RxllmError limit-exceeded carrying what was held", async () => {
    const paused$ = new BehaviorSubject(true);
    const source = new Subject<RxllmEvent>();
    const outcome = firstValueFrom(
      source.pipe(pausable(paused$, { maxBuffered: 2 }), materialize(), toArray()),
    );
    source.next({ type: 'text', text: 'a' });
    source.next({ type: 'text', text: 'b' });
    source.next({ type: 'text', text: 'c' });
    const notifications = await outcome;
    const error = notifications.find((notification) => notification.kind === 'E')?.error as unknown;
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'limit-exceeded', retryable: false });
    expect(notifications.filter((notification) => notification.kind === 'N')).toHaveLength(3);
  });
});
