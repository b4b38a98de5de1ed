import { readFileSync } from 'node:fs';
import { Agent, type ClientRequest, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fromSSE } from '../../src/sources/fromSSE';
import { reconnectSSE } from '../../src/sources/reconnectSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { run, unsubscribeAt } from './helpers';

// An input function may return the `http.ClientRequest` itself (`() => http.get(url)`): the source
// owns it, reads its response as it reads an IncomingMessage, fails on a non-2xx status as for a
// fetch Response, and destroys the request on unsubscribe, with no AbortSignal given to node:http.
const fixture = readFileSync(join(__dirname, '../fixtures/openai-chat/text-obfuscation-usage.sse'));

/** A server that takes requests and never answers them; resolves each request's close. */
async function silentServer(): Promise<{ url: string; server: Server; closed: Promise<void>[] }> {
  const closed: Promise<void>[] = [];
  const server = createServer((req: IncomingMessage) => {
    closed.push(new Promise<void>((resolve) => req.socket.on('close', () => resolve())));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, closed };
}

/** Resolves once `server` has seen `count` requests. */
async function requestsSeen(closed: unknown[], count: number): Promise<void> {
  while (closed.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('fromSSE reading a node:http ClientRequest it owns', () => {
  let replay: ReplayServer | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await replay?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    replay = undefined;
    server = undefined;
  });

  it('gives the events a fetch Response gives', async () => {
    // 23-byte slices split frames, lines and UTF-8 sequences (7-byte ones, 14,000 writes of this
    // 100 KB fixture, are what took fromSSENodeStream's test past its timeout under load).
    replay = await createReplayServer({ transcript: fixture, framing: 'sse', timing: { sliceBytes: 23 } });
    const url = replay.url;
    const expected = await run(fromSSE(new Response(fixture), { dialect: 'openai-chat' }));
    expect(expected.completed).toBe(true);
    const outcome = await run(fromSSE(() => get(url, { agent: false }), { dialect: 'openai-chat' }));
    expect(outcome).toEqual(expected);
    expect(replay.requests.every((request) => request.completed)).toBe(true);
  });

  it('fails on a non-2xx status as for a fetch Response: code, status, retry-after, the message', async () => {
    replay = await createReplayServer({
      fault: {
        kind: 'http-error',
        status: 429,
        body: { error: { message: 'slow down', type: 'rate_limit_error' } },
        headers: { 'retry-after': '2' },
      },
    });
    const url = replay.url;
    const outcome = await run(fromSSE(() => get(url, { agent: false }), { dialect: 'openai-chat' }));
    expect(outcome.completed).toBe(false);
    expect(outcome.events).toEqual([]);
    expect(outcome.error).toMatchObject({
      code: 'rate-limit',
      status: 429,
      retryAfterMs: 2000,
      providerCode: 'rate_limit_error',
    });
    expect(outcome.error?.message).toContain('slow down');
    const viaFetch = await run(fromSSE(() => fetch(url), { dialect: 'openai-chat' }));
    expect(outcome.error?.code).toBe(viaFetch.error?.code);
    expect(outcome.error?.status).toBe(viaFetch.error?.status);
  });

  it('fails with network when the connection is refused', async () => {
    const { url, server: closing } = await silentServer();
    await new Promise((resolve) => closing.close(resolve)); // nothing listens on the port now
    const outcome = await run(fromSSE(() => get(url, { agent: false }), { dialect: 'openai-chat' }));
    expect(outcome.completed).toBe(false);
    expect(outcome.error?.code).toBe('network');
  });

  it('fails with the error of a request that fails on the next tick, before any await', async () => {
    // A custom agent that cannot make a socket: node:http emits the request's 'error' on the next
    // tick. Awaited before its listeners were on, the request had none then: the process crashed.
    const agent = new Agent();
    Object.assign(agent, {
      createConnection: (_options: unknown, callback: (error: Error) => void) => {
        callback(new Error('no socket for you'));
        return undefined;
      },
    });
    // Subscribed from a timer (not a promise): the next tick runs before any promise continuation.
    const error = await new Promise<unknown>((resolve) =>
      setImmediate(() =>
        fromSSE(() => get('http://127.0.0.1:9/', { agent }), { dialect: 'openai-chat' }).subscribe({
          error: resolve,
          complete: () => resolve('completed'),
        }),
      ),
    );
    expect(error).toMatchObject({ message: expect.stringContaining('no socket for you') });
  });

  it('with reconnect, refuses a request and ends it: its own error does not crash the process', async () => {
    const { url, server: closing } = await silentServer();
    await new Promise((resolve) => closing.close(resolve)); // refused: the request emits 'error'
    let request!: ClientRequest;
    const outcome = await run(
      fromSSE(() => (request = get(url, { agent: false })), {
        dialect: 'openai-chat',
        reconnect: reconnectSSE(),
      }),
    );
    expect(outcome.error?.code).toBe('invalid-argument');
    expect(outcome.error?.message).toContain('not an http.ClientRequest');
    expect(request.destroyed).toBe(true);
  });

  it('destroys the request on unsubscribe while it waits for its response', async () => {
    const silent = await silentServer();
    server = silent.server;
    let failed: unknown;
    const subscription = fromSSE(() => get(silent.url, { agent: false }), {
      dialect: 'openai-chat',
    }).subscribe({
      error: (error: unknown) => (failed = error),
    });
    await requestsSeen(silent.closed, 1);
    subscription.unsubscribe();
    await silent.closed[0]; // the connection closes: a request left running would keep it open
    expect(failed).toBeUndefined();
  });

  it('destroys the request when unsubscribed at once', async () => {
    const silent = await silentServer();
    server = silent.server;
    // Unsubscribed at once: the request must end (its "socket hang up" error, with no listener,
    // would crash the process). A request left running to the silent server never closes.
    let request!: ClientRequest;
    fromSSE(() => (request = get(silent.url, { agent: false })), { dialect: 'openai-chat' })
      .subscribe({ error: () => undefined })
      .unsubscribe();
    await new Promise((resolve) => request.once('close', resolve));
    expect(request.destroyed).toBe(true);
  });

  it('closes the connection on unsubscribe mid-body', async () => {
    replay = await createReplayServer({
      transcript: fixture,
      framing: 'sse',
      fault: { kind: 'stall', afterBytes: 2000 },
    });
    const url = replay.url;
    const outcome = await unsubscribeAt(
      fromSSE(() => get(url, { agent: false }), { dialect: 'openai-chat' }),
      'text',
    );
    const request = await replay.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(outcome.seen.at(-1)?.type).toBe('text'); // unsubscribed at its first text, mid-body
    expect(outcome.errored).toBe(false);
  });
});
