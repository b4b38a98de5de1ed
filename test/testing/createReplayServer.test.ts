import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';

const sse = 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: [DONE]\n\n';

/** Reads a body to the end, counting reads, or until `limit` bytes arrived. */
async function readAll(response: Response, limit = Infinity): Promise<{ text: string; reads: number }> {
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let reads = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    reads++;
    chunks.push(value);
    size += value.length;
  }
  if (size >= limit) await reader.cancel();
  return { text: Buffer.concat(chunks).toString('utf8'), reads };
}

describe('createReplayServer', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the transcript at any path as an event stream and logs the request', async () => {
    server = await createReplayServer({ transcript: sse, timing: { sliceBytes: 4 } });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.openaiBaseURL).toBe(`${server.url}/v1`);
    expect(server.anthropicBaseURL).toBe(server.url);

    const response = await fetch(`${server.url}/any/path?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test': 'yes' },
      body: '{"model":"m"}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect((await readAll(response)).text).toBe(sse);

    const request = await server.requests[0]!.closed;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/any/path?x=1',
      body: '{"model":"m"}',
      json: { model: 'm' },
      status: 200,
      bytesSent: sse.length,
      bytesTotal: sse.length,
      completed: true,
      clientClosed: false,
    });
    expect(request.headers['x-test']).toBe('yes');
    expect(server.bytesSent).toBe(sse.length);
  });

  it('answers by route, successive requests with successive entries, the last repeating', async () => {
    server = await createReplayServer({
      routes: {
        '/v1/chat/completions': [
          { fault: { kind: 'http-error', status: 529, headers: { 'retry-after': '1' } } },
          { transcript: sse },
        ],
        '/api/chat': { transcript: '{"done":true}\n' },
      },
    });
    const first = await fetch(`${server.url}/v1/chat/completions`);
    expect(first.status).toBe(529);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toEqual({ error: { message: 'replayed HTTP 529' } });
    for (let i = 0; i < 2; i++) {
      const next = await fetch(`${server.url}/v1/chat/completions`);
      expect(next.status).toBe(200);
      expect(await next.text()).toBe(sse);
    }
    const ndjson = await fetch(`${server.url}/api/chat`);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
    expect(await ndjson.text()).toBe('{"done":true}\n');
    const missing = await fetch(`${server.url}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: 'no replay route for /elsewhere' } });
    expect(server.requests.map((request) => request.status)).toEqual([529, 200, 200, 200, 404]);
  });

  it('sends an HTTP error with the given body and headers', async () => {
    server = await createReplayServer({
      fault: { kind: 'http-error', status: 401, body: 'Unauthorized', headers: { 'x-request-id': 'req_1' } },
    });
    const response = await fetch(server.url);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.text()).toBe('Unauthorized');
  });

  it('paces by frames with tokensPerSecond and still sends the whole transcript, CRLF frames included', async () => {
    server = await createReplayServer({
      transcript: sse.replace(/\n\n/g, '\r\n\r\n'),
      timing: { tokensPerSecond: 200 },
    });
    const response = await fetch(server.url);
    expect((await readAll(response)).text).toBe(sse.replace(/\n\n/g, '\r\n\r\n'));
  });

  it('paces by bytesPerSecond after timeToFirstByteMs and still sends the whole transcript', async () => {
    server = await createReplayServer({
      transcript: sse,
      timing: { timeToFirstByteMs: 5, sliceBytes: 8, bytesPerSecond: 20_000 },
    });
    expect((await readAll(await fetch(server.url))).text).toBe(sse);
    expect((await server.requests[0]!.closed).completed).toBe(true);
  });

  it('cuts the connection after the given bytes', async () => {
    server = await createReplayServer({
      transcript: sse,
      timing: { sliceBytes: 5 },
      fault: { kind: 'cut', afterBytes: 17 },
    });
    const response = await fetch(server.url);
    const reader = response.body!.getReader();
    let received = '';
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received += Buffer.from(value).toString('utf8');
      }
    })().catch((error: unknown) => error as Error);
    expect(received).toBe(sse.slice(0, 17));
    expect((failure as Error).message).toBe('terminated');
    const request = await server.requests[0]!.closed;
    expect(request).toMatchObject({ bytesSent: 17, completed: false, clientClosed: false });
  });

  it('stalls after the given bytes until the client gives up, and records that the client closed', async () => {
    server = await createReplayServer({
      transcript: sse,
      timing: { sliceBytes: 3 },
      fault: { kind: 'stall', afterBytes: 20 },
    });
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    const { text } = await readAll(response, 20);
    expect(text).toBe(sse.slice(0, 20));
    const request = await server.requests[0]!.closed;
    expect(request).toMatchObject({
      bytesSent: 20,
      bytesTotal: sse.length,
      completed: false,
      clientClosed: true,
    });
  });

  it('waits for the request that has not arrived yet', async () => {
    server = await createReplayServer({ transcript: sse });
    const second = server.waitForRequest(1);
    await (await fetch(server.url)).text();
    await (await fetch(`${server.url}/second`)).text();
    expect((await second).path).toBe('/second');
    expect((await server.waitForRequest(0)).path).toBe('/');
  });

  it('closes connections that are still open when closed', async () => {
    server = await createReplayServer({ transcript: sse, fault: { kind: 'stall', afterBytes: 5 } });
    const response = await fetch(server.url);
    const reader = response.body!.getReader();
    expect((await reader.read()).value).toHaveLength(5);
    const pending = reader.read();
    await server.close();
    await expect(pending).rejects.toThrow('terminated');
    expect(server.connections.opened).toBeGreaterThanOrEqual(1);
    expect(server.connections.closed).toBe(server.connections.opened);
    server = undefined;
  });

  it('rejects a bad timing or fault with a message naming the field', async () => {
    await expect(createReplayServer({ transcript: sse, timing: { sliceBytes: 0 } })).rejects.toThrow(
      'rxllm: createReplayServer: config.timing.sliceBytes must be a positive number, got 0',
    );
    await expect(
      createReplayServer({ routes: { '/x': [{ transcript: sse, fault: { kind: 'cut', afterBytes: -1 } }] } }),
    ).rejects.toThrow(
      "rxllm: createReplayServer: routes['/x'][0].fault.afterBytes must be a non-negative number, got -1",
    );
    await expect(createReplayServer({ fault: { kind: 'http-error', status: 200 } })).rejects.toThrow(
      /fault.status must be an HTTP error status \(400-599\), got 200/,
    );
  });
});
