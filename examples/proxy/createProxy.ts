import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Observable, catchError, throwError, type Subscriber } from 'rxjs';
// In your app: from 'rxllm'.
import { RxllmError, fromSSE, pipeToNodeResponse, toSSE, type RxllmEvent } from '../../src/index';
import { anthropicRequestFromOpenAI, openAIRequestFromAnthropic } from './mapRequests';

export interface Upstream {
  /** Without the `/v1` path: `https://api.anthropic.com`, `https://api.openai.com`. */
  baseURL: string;
  apiKey: string;
}

export interface ProxyConfig {
  anthropic: Upstream;
  openai: Upstream;
  /**
   * The keys clients may use (`Authorization: Bearer <key>` or `x-api-key: <key>`): a request
   * without one of them gets 401. Required: an open proxy spends your provider keys for anyone.
   */
  clientKeys: Iterable<string>;
  /** The largest request body accepted, in bytes (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * Two endpoints, each a few lines of rxllm:
 *
 * - `POST /v1/chat/completions`: OpenAI-compatible, answered by Anthropic. Any OpenAI client
 *   (or LangChain, or an IDE plugin) can talk to Claude.
 * - `POST /v1/messages`: Anthropic-compatible, answered by OpenAI (or any OpenAI-compatible
 *   server: vLLM, llama.cpp, Ollama's /v1).
 *
 * Safe to expose (see README.md): clients authenticate with a configured key (compared in
 * constant time); request bodies are limited in size and decoded as UTF-8 as a whole; nothing an
 * upstream says verbatim reaches a client (an upstream error becomes a generic error of the same
 * kind: rate limit, overload, ...); a failure before anything streamed is a plain HTTP error
 * with its status. Errors reach the client in its own dialect (OpenAI's `{"error":…}`,
 * Anthropic's `event: error`); a client that disconnects aborts the upstream request.
 */
export function createProxy(config: ProxyConfig): Server {
  const { anthropic, openai, maxBodyBytes = 1024 * 1024 } = config;
  const keys = [...config.clientKeys].map(digest);
  if (keys.length === 0) throw new TypeError('createProxy: clientKeys must name at least one key');

  return createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      // A bug of ours: logged here, never shown to the client.
      console.error('proxy: internal error', error);
      if (!res.headersSent) sendError(res, 500, 'openai-chat', 'api_error', 'Internal error');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route =
      req.method === 'POST' && req.url === '/v1/chat/completions'
        ? 'openai-chat'
        : req.method === 'POST' && req.url === '/v1/messages'
          ? 'anthropic'
          : undefined;
    if (route === undefined) return sendError(res, 404, 'openai-chat', 'not_found_error', 'Not found');
    if (!authorized(req, keys))
      return sendError(res, 401, route, 'authentication_error', 'Invalid or missing API key');

    const text = await readBody(req, maxBodyBytes);
    if (text === undefined)
      return sendError(res, 413, route, 'request_too_large', `Request body over ${maxBodyBytes} bytes`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError();
    } catch {
      return sendError(res, 400, route, 'invalid_request_error', 'The body is not a JSON object');
    }
    if (body.stream !== true)
      return sendError(res, 400, route, 'invalid_request_error', 'only stream: true is supported');

    const events$ =
      route === 'openai-chat'
        ? fromSSE(
            (signal) =>
              fetch(`${anthropic.baseURL}/v1/messages`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  'x-api-key': anthropic.apiKey,
                  'anthropic-version': '2023-06-01',
                },
                body: JSON.stringify(anthropicRequestFromOpenAI(body)),
                signal,
              }),
            { dialect: 'anthropic' },
          )
        : fromSSE(
            (signal) =>
              fetch(`${openai.baseURL}/v1/chat/completions`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${openai.apiKey}` },
                body: JSON.stringify(openAIRequestFromAnthropic(body)),
                signal,
              }),
            { dialect: 'openai-chat' },
          );

    // Nothing is sent until the upstream's first event: a failure before it is an HTTP error.
    const first = await firstEvent(events$.pipe(catchError((error) => throwError(() => clean(error)))), res);
    if (first === 'closed') return;
    if ('error' in first) {
      const { status, type } = httpFor(first.error);
      return sendError(res, status, route, type, first.error.message);
    }
    await pipeToNodeResponse(first.stream.pipe(toSSE({ dialect: route })), res);
  }
}

/** What clients may learn of an upstream failure: its kind, in generic words. */
const publicErrors: Record<string, { message: string; status: number; type: string }> = {
  'rate-limit': {
    message: 'Rate limit reached upstream; retry later',
    status: 429,
    type: 'rate_limit_error',
  },
  overloaded: { message: 'Overloaded', status: 529, type: 'overloaded_error' },
  timeout: { message: 'The upstream timed out', status: 504, type: 'timeout_error' },
  'context-length': {
    message: 'The request exceeds the model context length',
    status: 400,
    type: 'invalid_request_error',
  },
};

/**
 * An upstream error as the client may see it: only its kind and a generic message, never the
 * provider's words (which can quote a masked key, an internal URL or an HTML error page).
 */
function clean(error: unknown): RxllmError {
  const code = error instanceof RxllmError ? error.code : 'network';
  const known = publicErrors[code];
  if (known) return new RxllmError(known.message, { code, status: known.status });
  // Auth failures upstream are the proxy's misconfiguration, not the client's: a bad gateway.
  return new RxllmError('The upstream request failed', { code: 'http', status: 502 });
}

function httpFor(error: RxllmError): { status: number; type: string } {
  const known = publicErrors[error.code];
  return known ? { status: known.status, type: known.type } : { status: 502, type: 'api_error' };
}

/**
 * Subscribes to `events$` and waits for its first event: resolves with an Observable that
 * replays it and continues live (unsubscribing it aborts the upstream), or with the error that
 * came first, or `'closed'` when the client went away meanwhile (the upstream is aborted).
 */
function firstEvent(
  events$: Observable<RxllmEvent>,
  res: ServerResponse,
): Promise<{ stream: Observable<RxllmEvent> } | { error: RxllmError } | 'closed'> {
  return new Promise((resolve) => {
    const early: RxllmEvent[] = [];
    let ended: { error: unknown } | 'complete' | undefined;
    let downstream: Subscriber<RxllmEvent> | undefined;
    let settled = false;
    const stream = new Observable<RxllmEvent>((subscriber) => {
      downstream = subscriber;
      for (const event of early.splice(0)) subscriber.next(event);
      if (ended === 'complete') subscriber.complete();
      else if (ended) subscriber.error(ended.error);
      return () => subscription.unsubscribe();
    });
    const settle = (value: Parameters<typeof resolve>[0]) => {
      if (settled) return;
      settled = true;
      res.off('close', onClose);
      resolve(value);
    };
    const onClose = () => {
      subscription.unsubscribe();
      settle('closed');
    };
    res.on('close', onClose);
    const subscription = events$.subscribe({
      next: (event) => {
        if (downstream) downstream.next(event);
        else early.push(event);
        settle({ stream });
      },
      error: (error: unknown) => {
        if (!settled) return settle({ error: error as RxllmError });
        if (downstream) downstream.error(error);
        else ended = { error };
      },
      complete: () => {
        if (downstream) downstream.complete();
        else ended = 'complete';
        settle({ stream });
      },
    });
  });
}

/** Whether the request carries one of the client keys (compared as digests, in constant time). */
function authorized(req: IncomingMessage, keys: Buffer[]): boolean {
  const header = req.headers.authorization;
  const key =
    typeof header === 'string' && header.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : req.headers['x-api-key'];
  if (typeof key !== 'string' || key === '') return false;
  const given = digest(key);
  let match = false;
  for (const known of keys) match = timingSafeEqual(given, known) || match; // no early exit
  return match;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** An error in the client's dialect, as its official SDK reads it. */
function sendError(
  res: ServerResponse,
  status: number,
  dialect: 'openai-chat' | 'anthropic',
  type: string,
  message: string,
): void {
  const body =
    dialect === 'anthropic'
      ? { type: 'error', error: { type, message } }
      : { error: { message, type, code: type, param: null } };
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The request body as text, or `undefined` past `limit` bytes. Chunks are joined as bytes and
 * decoded once: decoding each chunk alone breaks a UTF-8 character split between two chunks.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return tooLarge(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return tooLarge(req);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Stops reading a body that is too large (the response says 413, then the connection closes). */
function tooLarge(req: IncomingMessage): undefined {
  req.pause();
  req.unpipe();
  return undefined;
}
