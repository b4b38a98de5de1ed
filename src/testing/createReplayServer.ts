import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How a transcript is framed; decides the `content-type` header. */
export type ReplayFraming = 'sse' | 'ndjson';

/** How fast a transcript is sent. Every field is optional; durations in milliseconds. */
export interface ReplayTiming {
  /** Nothing at all (not even the status line) is sent before this. Default 0. */
  timeToFirstByteMs?: number;
  /** Size of each write. Default 64. Ignored with `tokensPerSecond`, where a slice is one frame. */
  sliceBytes?: number;
  /** Pause after each slice. Default 0: the next slice is written on the next turn of the event loop. */
  sliceDelayMs?: number;
  /** Paces slices to this many bytes per second (takes precedence over `sliceDelayMs`). */
  bytesPerSecond?: number;
  /**
   * Sends one frame (an SSE event or an NDJSON line) per slice, this many per second: one frame
   * is about one token (takes precedence over the byte-based settings).
   */
  tokensPerSecond?: number;
}

/** A failure to inject. */
export type ReplayFault =
  /** Destroys the socket after `afterBytes` bytes of the body: a connection reset mid-stream. */
  | { kind: 'cut'; afterBytes: number }
  /** Stops sending after `afterBytes` bytes and keeps the connection open: a stalled stream. */
  | { kind: 'stall'; afterBytes: number }
  /**
   * Answers with an HTTP error instead of the transcript. `body` (an object is sent as JSON)
   * defaults to `{"error":{"message":"replayed HTTP <status>"}}`.
   */
  | { kind: 'http-error'; status: number; body?: string | object; headers?: Record<string, string> };

/** What one path answers. */
export interface ReplayRoute {
  /** The recorded bytes to replay (a fixture file's content). */
  transcript?: string | Uint8Array;
  /**
   * `sse` (`text/event-stream`) or `ndjson` (`application/x-ndjson`). Default: `ndjson` when the
   * transcript starts with `{`, else `sse`.
   */
  framing?: ReplayFraming;
  /** Extra response headers. */
  headers?: Record<string, string>;
  timing?: ReplayTiming;
  fault?: ReplayFault;
}

export interface ReplayServerConfig extends ReplayRoute {
  /**
   * Answers by path (`/v1/chat/completions`, `/api/chat`); any other path gets the top-level
   * transcript, or a 404 when there is none. An array answers successive requests to that path
   * with successive entries, the last one repeating (an error, then a success: a retry test).
   */
  routes?: Record<string, ReplayRoute | readonly ReplayRoute[]>;
}

/** One request the server received, and how its response went. Fields update live. */
export interface ReplayRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The request body as text. */
  body: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  /** The status the server answered with. */
  status: number;
  /** Body bytes handed to the socket so far. */
  bytesSent: number;
  /** Body bytes the response would send if nothing stopped it. */
  bytesTotal: number;
  /** The whole response was sent and ended. */
  completed: boolean;
  /** The client closed the connection before the response ended. */
  clientClosed: boolean;
  /**
   * Resolves (with this record) when the response is over: sent completely, cut by a fault, or
   * abandoned because the client closed the connection. Await it instead of sleeping.
   */
  closed: Promise<ReplayRequest>;
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** `baseURL` for `new OpenAI({ baseURL })`: `url + '/v1'`. */
  openaiBaseURL: string;
  /** `baseURL` for `new Anthropic({ baseURL })` (the SDK adds `/v1/messages`): `url`. */
  anthropicBaseURL: string;
  /** Every request received, in order. */
  requests: ReplayRequest[];
  /** Resolves with request number `index` (0-based) once it has arrived. */
  waitForRequest(index: number): Promise<ReplayRequest>;
  /** Body bytes sent over all requests. */
  readonly bytesSent: number;
  /** TCP connections accepted and closed so far. */
  readonly connections: { readonly opened: number; readonly closed: number };
  /** Closes every connection and stops the server. */
  close(): Promise<void>;
}

/**
 * Serves recorded provider transcripts on `127.0.0.1` (a free port) the way a provider would:
 * in small slices, paced by a timing profile, optionally failing on purpose, so that real SDK
 * clients and rxllm sources can be tested against it without a network.
 *
 * Intuition: a tape recorder with a socket, which also tells you what the client did.
 *
 * Node only; `node:http` is loaded when the function is called, so `rxllm/testing` itself stays
 * loadable in a browser. Writes respect backpressure: a client that stops reading stops the
 * server's `bytesSent` from growing. Call `close()` when done (in `afterEach`/`afterAll`).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import OpenAI from 'openai';
 * import { fromOpenAI, collect } from 'rxllm';
 * import { createReplayServer } from 'rxllm/testing';
 *
 * const server = await createReplayServer({
 *   transcript: readFileSync('chat.sse'),
 *   timing: { timeToFirstByteMs: 200, tokensPerSecond: 40 },
 * });
 * const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL });
 * const message = await collect(fromOpenAI(openai, { model: 'gpt-4o-mini', messages }));
 * await server.close();
 * ```
 */
export async function createReplayServer(config: ReplayServerConfig = {}): Promise<ReplayServer> {
  checkRoute(config, 'config');
  for (const [path, route] of Object.entries(config.routes ?? {})) {
    const list = Array.isArray(route) ? route : [route];
    if (list.length === 0)
      throw new TypeError(`rxllm: createReplayServer: routes['${path}'] is an empty array`);
    list.forEach((entry, index) => checkRoute(entry, `routes['${path}'][${index}]`));
  }

  const http = await import('node:http');
  const requests: ReplayRequest[] = [];
  const hits = new Map<string, number>();
  const waiters: Array<{ index: number; resolve: (request: ReplayRequest) => void }> = [];
  const sockets = new Set<Socket>();
  const connections = { opened: 0, closed: 0 };

  const routeFor = (pathname: string): ReplayRoute | undefined => {
    const entry = config.routes?.[pathname];
    if (entry === undefined) return config.transcript !== undefined || config.fault ? config : undefined;
    const list: readonly ReplayRoute[] = Array.isArray(entry) ? entry : [entry as ReplayRoute];
    const hit = hits.get(pathname) ?? 0;
    hits.set(pathname, hit + 1);
    const route = list[Math.min(hit, list.length - 1)]!;
    // Unset fields fall back to the server-wide ones.
    return {
      ...route,
      timing: route.timing ?? config.timing,
      headers: { ...config.headers, ...route.headers },
    };
  };

  const server: Server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const record = createRecord(request, response, body);
      requests.push(record);
      for (const waiter of waiters.splice(0)) {
        if (waiter.index < requests.length) waiter.resolve(requests[waiter.index]!);
        else waiters.push(waiter);
      }
      const pathname = new URL(request.url ?? '/', 'http://replay').pathname;
      void respond(response, record, routeFor(pathname), pathname);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections.opened++;
    sockets.add(socket);
    socket.on('close', () => {
      connections.closed++;
      sockets.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('rxllm: replay server has no port');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    waitForRequest(index) {
      const arrived = requests[index];
      if (arrived) return Promise.resolve(arrived);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    get bytesSent() {
      return requests.reduce((sum, request) => sum + request.bytesSent, 0);
    },
    connections,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function createRecord(request: IncomingMessage, response: ServerResponse, body: string): ReplayRequest {
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  const record: ReplayRequest = {
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    headers: { ...request.headers },
    body,
    json,
    status: 0,
    bytesSent: 0,
    bytesTotal: 0,
    completed: false,
    clientClosed: false,
    closed: undefined as unknown as Promise<ReplayRequest>,
  };
  record.closed = new Promise((resolve) => {
    // 'close' fires when the response ended or when its connection went away first.
    response.once('close', () => {
      if (!response.writableFinished && !cutByServer.has(response)) record.clientClosed = true;
      resolve(record);
    });
  });
  return record;
}

/** Responses the server cut on purpose, so that their close is not blamed on the client. */
const cutByServer = new WeakSet<ServerResponse>();

async function respond(
  response: ServerResponse,
  record: ReplayRequest,
  route: ReplayRoute | undefined,
  pathname: string,
): Promise<void> {
  if (!route) {
    sendJson(response, record, 404, { error: { message: `no replay route for ${pathname}` } }, {});
    return;
  }
  const timing = route.timing ?? {};
  const closed = new Promise<void>((resolve) => response.once('close', resolve));
  let isClosed = false;
  void closed.then(() => (isClosed = true));

  if (timing.timeToFirstByteMs) await pause(timing.timeToFirstByteMs, closed);
  if (isClosed) return;

  const fault = route.fault;
  if (fault?.kind === 'http-error') {
    const body = fault.body ?? { error: { message: `replayed HTTP ${fault.status}` } };
    sendJson(response, record, fault.status, body, { ...route.headers, ...fault.headers });
    return;
  }

  const bytes = toBuffer(route.transcript ?? '');
  const framing = route.framing ?? (firstNonSpace(bytes) === 0x7b ? 'ndjson' : 'sse');
  record.status = 200;
  record.bytesTotal = bytes.length;
  response.writeHead(200, {
    'content-type': framing === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson',
    'cache-control': 'no-cache',
    ...route.headers,
  });
  response.flushHeaders();

  const limit = fault ? Math.min(fault.afterBytes, bytes.length) : bytes.length;
  const slices = timing.tokensPerSecond ? frames(bytes, framing) : bySize(bytes, timing.sliceBytes ?? 64);
  let offset = 0;
  let lastWrite: Promise<unknown> = Promise.resolve();
  for (const slice of slices) {
    if (isClosed || offset >= limit) break;
    const part = offset + slice.length > limit ? slice.subarray(0, limit - offset) : slice;
    offset += part.length;
    let flushed = true;
    lastWrite = new Promise((resolve) => {
      flushed = response.write(part, (error) => {
        if (!error) record.bytesSent += part.length;
        resolve(undefined);
      });
    });
    // Backpressure: a client that stops reading stops the replay.
    if (!flushed) await Promise.race([new Promise((resolve) => response.once('drain', resolve)), closed]);
    if (isClosed || offset >= limit) break;
    const delay = timing.tokensPerSecond
      ? 1000 / timing.tokensPerSecond
      : timing.bytesPerSecond
        ? (part.length * 1000) / timing.bytesPerSecond
        : (timing.sliceDelayMs ?? 0);
    await pause(delay, closed);
  }
  if (isClosed) return;
  if (fault?.kind === 'cut') {
    cutByServer.add(response);
    // Destroy only once the bytes before the cut reached the socket, so the client sees them.
    await lastWrite;
    response.socket?.destroy();
    return;
  }
  if (fault?.kind === 'stall') return; // keep the connection open, send nothing more
  response.end(() => {
    record.completed = true;
  });
}

function sendJson(
  response: ServerResponse,
  record: ReplayRequest,
  status: number,
  body: string | object,
  headers: Record<string, string>,
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  record.status = status;
  record.bytesTotal = Buffer.byteLength(text);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text, () => {
    record.bytesSent = record.bytesTotal;
    record.completed = true;
  });
}

function pause(ms: number, closed: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve);
    void closed.then(() => {
      if (ms > 0) clearTimeout(timer as ReturnType<typeof setTimeout>);
      else clearImmediate(timer as ReturnType<typeof setImmediate>);
      resolve();
    });
  });
}

function toBuffer(transcript: string | Uint8Array): Buffer {
  return typeof transcript === 'string'
    ? Buffer.from(transcript, 'utf8')
    : Buffer.from(transcript.buffer, transcript.byteOffset, transcript.byteLength);
}

function firstNonSpace(bytes: Buffer): number | undefined {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

function bySize(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** Splits after each SSE event's blank line (LF or CRLF) or after each NDJSON line. */
function frames(bytes: Buffer, framing: ReplayFraming): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let at = 0; at < bytes.length; at++) {
    if (bytes[at] !== 0x0a) continue;
    if (framing === 'sse') {
      const next = bytes[at + 1] === 0x0d ? at + 2 : at + 1;
      if (bytes[next] !== 0x0a) continue;
      at = next;
    }
    out.push(bytes.subarray(start, at + 1));
    start = at + 1;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

function checkRoute(route: ReplayRoute, where: string): void {
  const timing = route.timing ?? {};
  for (const key of [
    'timeToFirstByteMs',
    'sliceBytes',
    'sliceDelayMs',
    'bytesPerSecond',
    'tokensPerSecond',
  ] as const) {
    const value = timing[key];
    if (value === undefined) continue;
    const positive = key === 'sliceBytes' || key === 'bytesPerSecond' || key === 'tokensPerSecond';
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
      throw new TypeError(
        `rxllm: createReplayServer: ${where}.timing.${key} must be a ${positive ? 'positive' : 'non-negative'} number, got ${String(value)}`,
      );
    }
  }
  const fault = route.fault;
  if (fault === undefined) return;
  if (fault.kind === 'cut' || fault.kind === 'stall') {
    if (typeof fault.afterBytes !== 'number' || !(fault.afterBytes >= 0)) {
      throw new TypeError(
        `rxllm: createReplayServer: ${where}.fault.afterBytes must be a non-negative number, got ${String(fault.afterBytes)}`,
      );
    }
  } else if (fault.kind === 'http-error') {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
      throw new TypeError(
        `rxllm: createReplayServer: ${where}.fault.status must be an HTTP error status (400-599), got ${String(fault.status)}`,
      );
    }
  } else {
    throw new TypeError(
      `rxllm: createReplayServer: ${where}.fault.kind must be 'cut', 'stall' or 'http-error', got ${String((fault as { kind?: unknown }).kind)}`,
    );
  }
}
