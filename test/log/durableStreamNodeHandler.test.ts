import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { createMemoryStreamLog } from '../../src/log/createMemoryStreamLog';
import { durableStreamNodeHandler } from '../../src/log/durableStreamNodeHandler';

// durableStreamNodeHandler on a real node:http server: bodies are read only as far as allowed, and
// a reader that leaves ends its read, never the stream.

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(
    durableStreamNodeHandler(createMemoryStreamLog(), { maxBodyBytes: 1024, longPollMs: 5_000 }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends a chunked body of `size` bytes without Content-Length; resolves with the status. */
function postChunked(path: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    const chunk = 'x'.repeat(16 * 1024);
    let sent = 0;
    const more = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

it('answers a chunked body over maxBodyBytes with 413 and stores nothing', async () => {
  expect(
    (await fetch(`${base}/s`, { method: 'PUT', headers: { 'content-type': 'text/plain' } })).status,
  ).toBe(201);
  expect(await postChunked('/s', 256 * 1024)).toBe(413);
  const read = await fetch(`${base}/s?offset=-1`);
  expect(read.status).toBe(200);
  expect(await read.text()).toBe('');
  const ok = await fetch(`${base}/s`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'fits',
  });
  expect(ok.status).toBe(204);
});

it('reads and drops the rest of a body over the limit before its 413: no reset, the connection serves the next request', async () => {
  await fetch(`${base}/big`, { method: 'PUT', headers: { 'content-type': 'text/plain' } });
  // A raw socket, as a client still sending its body when the answer comes: closing a socket with
  // unread bytes resets it, and the client would read ECONNRESET instead of the 413.
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  let received = '';
  let failure: unknown;
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  socket.on('error', (error) => (failure = error));
  const answers = (count: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if ((received.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= count) resolve();
        else if (failure !== undefined || socket.destroyed)
          reject(failure ?? new Error(`closed: ${received}`));
        else setImmediate(check);
      };
      check();
    });
  const size = 4 * 1024 * 1024;
  socket.write(
    `POST /big HTTP/1.1\r\nhost: localhost\r\ncontent-type: text/plain\r\ncontent-length: ${size}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
    if (socket.write(chunk)) continue;
    await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
  }
  await answers(1);
  expect(received).toMatch(/^HTTP\/1\.1 413 /);
  // The same connection answers a read: the server kept it, in step with the client.
  socket.write('GET /big?offset=-1 HTTP/1.1\r\nhost: localhost\r\n\r\n');
  await answers(2);
  expect(received).toMatch(/HTTP\/1\.1 200 [^]*$/);
  expect(failure).toBeUndefined();
  socket.destroy();
});

it('an SSE reader that leaves ends only its read: the stream takes the next append', async () => {
  await fetch(`${base}/p`, { method: 'PUT', headers: { 'content-type': 'text/plain' } });
  const leaving = new AbortController();
  const sse = await fetch(`${base}/p?offset=-1&live=sse`, { signal: leaving.signal });
  const reader = sse.body!.getReader();
  // The first control event says the reader is caught up: the server is now waiting for data.
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toContain('"upToDate":true');
  leaving.abort();
  await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  const append = await fetch(`${base}/p`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'after',
  });
  expect(append.status).toBe(204);
  const read = await fetch(`${base}/p?offset=-1`);
  expect(await read.text()).toBe('after');
});
