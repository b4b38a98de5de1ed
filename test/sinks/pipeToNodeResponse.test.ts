import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { NEVER, concat, finalize, of, startWith, tap, throwError } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { toSSE } from '../../src/operators/toSSE';
import { fromSSE } from '../../src/sources/fromSSE';
import { pipeToNodeResponse, type PipeToNodeResponseResult } from '../../src/sinks/pipeToNodeResponse';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { marbles } from '../../src/testing/marbles';
import { ev } from '../../src/testing/eventBuilders';
import { gatedSource, turns } from './gatedSource';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 whose handler each test sets. */
async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** 50 rxllm text frames `t0 ` ... `t49 `, then `[DONE]`. */
function textTranscript(count = 50): string {
  let transcript = '';
  for (let i = 0; i < count; i += 1) transcript += `event: text\ndata: {"type":"text","text":"t${i} "}\n\n`;
  return `${transcript}event: done\ndata: [DONE]\n\n`;
}

describe('pipeToNodeResponse', () => {
  let server: Server | undefined;
  let replay: ReplayServer | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await replay?.close();
    server = undefined;
    replay = undefined;
  });

  it('writes the SSE headers and every frame, ends the response and resolves with what happened', async () => {
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      outcome = pipeToNodeResponse(of('data: a\n\n', 'data: b\n\n', 'data: [DONE]\n\n'), res);
    });
    server = listening;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('connection')).toBe('keep-alive');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(await response.text()).toBe('data: a\n\ndata: b\n\ndata: [DONE]\n\n');
    expect(await outcome).toEqual({
      upstream: 'complete',
      clientDisconnected: false,
      framesWritten: 3,
      heartbeats: 0,
    });
  });

  it('keeps headers already set on res, applies the configured ones over the defaults, and sets the status', async () => {
    const { url, server: listening } = await serve((_req, res) => {
      res.setHeader('cache-control', 'private');
      void pipeToNodeResponse(of('data: x\n\n'), res, {
        status: 202,
        dialect: 'ai-sdk-ui',
        headers: { 'x-request-id': 'req_1', 'x-accel-buffering': 'yes' },
      });
    });
    server = listening;
    const response = await fetch(url);
    expect(response.status).toBe(202);
    expect(response.headers.get('cache-control')).toBe('private');
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(response.headers.get('x-accel-buffering')).toBe('yes');
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(await response.text()).toBe('data: x\n\n');
  });

  it('on a response with no header set, writes the defaults and the configured ones over them at once', async () => {
    let kept: unknown = 'unset';
    const { url, server: listening } = await serve((_req, res) => {
      void pipeToNodeResponse(of('data: x\n\n'), res, {
        status: 201,
        headers: { 'x-request-id': 'req_2', 'cache-control': 'private' },
      });
      // Written straight into the header block: node:http keeps no header map for them.
      kept = res.getHeader('content-type');
    });
    server = listening;
    const response = await fetch(url);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('private');
    expect(response.headers.get('x-request-id')).toBe('req_2');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(await response.text()).toBe('data: x\n\n');
    expect(kept).toBeUndefined();
  });

  it("names the dialect once: reads its headers from toSSE's output, the dialect option overriding", async () => {
    const headersFor = async (serveFrames: (res: ServerResponse) => void) => {
      const { url, server: listening } = await serve((_req, res) => serveFrames(res));
      server = listening;
      const response = await fetch(url);
      const body = await response.text();
      server.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
      server = undefined;
      return { headers: response.headers, body };
    };
    const events$ = of(ev.text('Hi'));
    const given = await headersFor(
      (res) => void pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'ai-sdk-ui' })), res),
    );
    expect(given.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(given.body).toContain('"type":"text-delta"');
    const other = await headersFor(
      (res) => void pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'anthropic' })), res),
    );
    expect(other.headers.get('x-vercel-ai-ui-message-stream')).toBeNull();
    expect(other.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const overridden = await headersFor(
      (res) =>
        void pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'ai-sdk-ui' })), res, { dialect: 'rxllm' }),
    );
    expect(overridden.headers.get('x-vercel-ai-ui-message-stream')).toBeNull();
  });

  it('leaves headers alone when they were already sent, and appends to what was written', async () => {
    const { url, server: listening } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-own': '1' });
      res.write(': hello\n\n');
      void pipeToNodeResponse(of('data: x\n\n'), res);
    });
    server = listening;
    const response = await fetch(url);
    expect(response.headers.get('x-own')).toBe('1');
    expect(response.headers.get('x-accel-buffering')).toBeNull();
    expect(await response.text()).toBe(': hello\n\ndata: x\n\n');
  });

  it('ends the response with nothing more when the frames fail, and resolves with the error', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const frames$ = concat(
        of('data: a\n\n', 'event: error\ndata: {"fatal":true}\n\n'),
        throwError(() => failure),
      );
      outcome = pipeToNodeResponse(frames$, res);
    });
    server = listening;
    expect(await (await fetch(url)).text()).toBe('data: a\n\nevent: error\ndata: {"fatal":true}\n\n');
    expect(await outcome).toEqual({
      upstream: 'error',
      error: failure,
      clientDisconnected: false,
      framesWritten: 2,
      heartbeats: 0,
    });
  });

  it('holds the source back while a slow client does not read, keeping memory bounded, then delivers everything', async () => {
    // 2,000 frames of 8 KiB (16 MiB), four per "network chunk".
    const frames = Array.from(
      { length: 2000 },
      (_, i) => `data: ${String(i).padStart(4, '0')}${'x'.repeat(8180)}\n\n`,
    );
    const frameBytes = frames[0]!.length;
    const { source, stats } = gatedSource(frames, { perChunk: 4 });
    let serverRes: ServerResponse | undefined;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      serverRes = res;
      outcome = pipeToNodeResponse(source, res);
    });
    server = listening;

    // A client that takes the response and then reads nothing.
    const incoming = await new Promise<IncomingMessage>((resolve) => httpRequest(url, resolve).end());

    // Wait until the server is stuck: the source stops producing.
    let produced = -1;
    for (let stable = 0; stable < 10;) {
      await turns(20);
      if (stats.produced === produced) stable += 1;
      else [produced, stable] = [stats.produced, 0];
    }
    expect(stats.waits).toBeGreaterThan(0);
    expect(stats.produced).toBeLessThan(frames.length / 2);
    // Node's own buffer holds at most its high-water mark plus the frames of one chunk in flight.
    expect(serverRes!.writableLength).toBeLessThanOrEqual(serverRes!.writableHighWaterMark + 4 * frameBytes);

    // The client reads again: everything arrives, in order, and the response ends.
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => incoming.on('end', resolve));
    const body = Buffer.concat(chunks).toString('utf8');
    expect(body.length).toBe(frames.length * frameBytes);
    expect(body === frames.join('')).toBe(true);
    expect(await outcome).toEqual({
      upstream: 'complete',
      clientDisconnected: false,
      framesWritten: 2000,
      heartbeats: 0,
    });
  });

  it('stops reading the upstream provider while the client does not read: slow client to socket to upstream', async () => {
    // The whole chain: a 24 MiB upstream stream, decoded by fromSSE, re-encoded by toSSE.
    const count = 3000;
    let transcript = '';
    for (let i = 0; i < count; i += 1) {
      transcript += `event: text\ndata: ${JSON.stringify({ type: 'text', text: `${i}:${'y'.repeat(8192)}` })}\n\n`;
    }
    replay = await createReplayServer({
      transcript: `${transcript}event: done\ndata: [DONE]\n\n`,
      timing: { sliceBytes: 65536 },
    });
    const upstreamUrl = replay.url;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const frames$ = fromSSE((signal) => fetch(upstreamUrl, { signal }), { dialect: 'rxllm' }).pipe(toSSE());
      outcome = pipeToNodeResponse(frames$, res);
    });
    server = listening;

    const incoming = await new Promise<IncomingMessage>((resolve) => httpRequest(url, resolve).end());
    const upstream = await replay.waitForRequest(0);
    let sent = -1;
    for (let stable = 0; stable < 10;) {
      await turns(20);
      if (upstream.bytesSent === sent) stable += 1;
      else [sent, stable] = [upstream.bytesSent, 0];
    }
    // Without backpressure all 24 MiB would be read into memory and the upstream would complete.
    // With it, what left the upstream is what the socket buffers of both hops hold (about 8 MiB).
    expect(upstream.completed).toBe(false);
    expect(upstream.bytesSent).toBeLessThan(upstream.bytesTotal * 0.75);

    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => (body += chunk));
    await new Promise((resolve) => incoming.on('end', resolve));
    const frames = body.split('\n\n').filter((frame) => frame !== '');
    expect(frames).toHaveLength(count + 1);
    expect(frames[count - 1]!.startsWith(`event: text\ndata: {"type":"text","text":"${count - 1}:yyy`)).toBe(
      true,
    );
    expect(frames[count]).toBe('event: done\ndata: [DONE]');
    expect(await outcome).toMatchObject({ upstream: 'complete', framesWritten: count + 1 });
    expect((await upstream.closed).completed).toBe(true);
  });

  it('unsubscribes when the client disconnects, which aborts the upstream request', async () => {
    replay = await createReplayServer({ transcript: textTranscript(), timing: { tokensPerSecond: 100 } });
    const upstreamUrl = replay.url;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const frames$ = fromSSE((signal) => fetch(upstreamUrl, { signal }), { dialect: 'rxllm' }).pipe(toSSE());
      outcome = pipeToNodeResponse(frames$, res);
    });
    server = listening;

    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"text":"t0 "');
    abort.abort();

    const result = await outcome!;
    expect(result.clientDisconnected).toBe(true);
    expect(result.upstream).toBe('unsubscribed');
    expect(result.framesWritten).toBeLessThan(51);
    const upstream = await (await replay.waitForRequest(0)).closed;
    expect(upstream.clientClosed).toBe(true);
    expect(upstream.completed).toBe(false);
  });

  it("with onDisconnect: 'continue', runs the upstream to its end after the client left", async () => {
    replay = await createReplayServer({ transcript: textTranscript(), timing: { tokensPerSecond: 200 } });
    const upstreamUrl = replay.url;
    let saved = '';
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const frames$ = fromSSE((signal) => fetch(upstreamUrl, { signal }), { dialect: 'rxllm' }).pipe(
        tap((event) => {
          if (event.type === 'text') saved += event.text;
        }),
        toSSE(),
      );
      outcome = pipeToNodeResponse(frames$, res, { onDisconnect: 'continue' });
    });
    server = listening;

    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal });
    await response.body!.getReader().read();
    abort.abort();

    const result = await outcome!;
    expect(result.clientDisconnected).toBe(true);
    expect(result.upstream).toBe('complete');
    expect(saved).toBe(Array.from({ length: 50 }, (_, i) => `t${i} `).join(''));
    const upstream = await (await replay.waitForRequest(0)).closed;
    expect(upstream.completed).toBe(true);
    expect(upstream.clientClosed).toBe(false);
  });

  it('writes a keep-alive comment after heartbeatMs without a write, in virtual time', async () => {
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      marbles(({ cold }) => {
        // a at 1500 ms, b at 4199 ms, complete at 4699 ms. Heartbeats: 1000 (idle since 0),
        // 2500 (idle since a), 3500; at 4500 the stream is idle only since b, and it ends first.
        const frames$ = cold('1500ms a 2698ms b 499ms |', { a: 'data: a\n\n', b: 'data: b\n\n' });
        outcome = pipeToNodeResponse(frames$, res, { heartbeatMs: 1000 });
      });
    });
    server = listening;
    expect(await (await fetch(url)).text()).toBe(
      ': keep-alive\n\ndata: a\n\n: keep-alive\n\n: keep-alive\n\ndata: b\n\n',
    );
    expect(await outcome).toMatchObject({ upstream: 'complete', framesWritten: 2, heartbeats: 3 });
  });

  it('writes no heartbeat while the socket has not drained, in virtual time', async () => {
    const big = `data: ${'z'.repeat(4 * 1024 * 1024)}\n\n`;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      marbles(({ cold }) => {
        // 4 MiB at once: res.write returns false, and no 'drain' can come within virtual time.
        outcome = pipeToNodeResponse(cold('a 3499ms |', { a: big }), res, { heartbeatMs: 1000 });
      });
    });
    server = listening;
    const body = await (await fetch(url)).text();
    expect(body.length).toBe(big.length);
    expect(body.includes(': keep-alive')).toBe(false);
    expect(await outcome).toMatchObject({ upstream: 'complete', framesWritten: 1, heartbeats: 0 });
  });

  it('stops the stream and ends the response when the signal aborts', async () => {
    const stop = new AbortController();
    let unsubscribed = false;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const frames$ = NEVER.pipe(
        startWith('data: first\n\n'),
        finalize(() => (unsubscribed = true)),
      );
      outcome = pipeToNodeResponse(frames$, res, { signal: stop.signal });
    });
    server = listening;
    const response = await fetch(url);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    stop.abort();
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(unsubscribed).toBe(true);
    expect(await outcome).toEqual({
      upstream: 'unsubscribed',
      clientDisconnected: false,
      framesWritten: 1,
      heartbeats: 0,
    });
  });

  it('serves an HTTP/2 response, leaving out the connection header HTTP/2 forbids', async () => {
    const http2 = await import('node:http2');
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const h2 = http2.createServer((_req, res) => {
      outcome = pipeToNodeResponse(of('data: a\n\n', 'data: b\n\n'), res);
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const client = http2.connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
    try {
      const stream = client.request({ ':path': '/' });
      const headers = await new Promise<Record<string, unknown>>((resolve) => stream.on('response', resolve));
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      await new Promise((resolve) => stream.on('end', resolve));
      expect(headers[':status']).toBe(200);
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(headers['x-accel-buffering']).toBe('no');
      expect(headers.connection).toBeUndefined();
      expect(body).toBe('data: a\n\ndata: b\n\n');
      expect(await outcome).toMatchObject({
        upstream: 'complete',
        clientDisconnected: false,
        framesWritten: 2,
      });
    } finally {
      client.close();
      await new Promise((resolve) => h2.close(resolve));
    }
  });

  it('stops and reports a clear error when given events instead of frames, without crashing the server', async () => {
    let unsubscribed = false;
    let outcome: Promise<PipeToNodeResponseResult> | undefined;
    const { url, server: listening } = await serve((_req, res) => {
      const mixed$ = concat(of('data: ok\n\n', { type: 'text', text: 'Hi' } as never), NEVER).pipe(
        finalize(() => (unsubscribed = true)),
      );
      outcome = pipeToNodeResponse(mixed$, res);
    });
    server = listening;
    expect(await (await fetch(url)).text()).toBe('data: ok\n\n');
    const result = await outcome!;
    expect(result).toMatchObject({ upstream: 'error', clientDisconnected: false, framesWritten: 1 });
    expect((result.error as Error).message).toBe(
      'rxllm: pipeToNodeResponse takes SSE frames (strings), got [object Object]; pipe events through toSSE() first',
    );
    expect(unsubscribed).toBe(true);
  });

  it('throws at once for bad arguments', () => {
    const res = { write: () => true, on: () => undefined } as never;
    expect(() => pipeToNodeResponse({} as never, res)).toThrow(
      'rxllm: pipeToNodeResponse expects an Observable of SSE frames, got [object Object]',
    );
    expect(() => pipeToNodeResponse(of('x'), {} as never)).toThrow(
      'rxllm: pipeToNodeResponse expects a Node http.ServerResponse, got [object Object]',
    );
    expect(() => pipeToNodeResponse(of('x'), res, { heartbeatMs: -5 })).toThrow(
      'rxllm: pipeToNodeResponse heartbeatMs must be a non-negative number of milliseconds, got -5',
    );
    expect(() => pipeToNodeResponse(of('x'), res, { onDisconnect: 'ignore' as never })).toThrow(
      "rxllm: pipeToNodeResponse onDisconnect must be 'abort' or 'continue', got ignore",
    );
  });
});
