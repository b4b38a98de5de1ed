import {
  durableStreamHandler,
  type DurableStreamHandler,
  type DurableStreamHandlerConfig,
} from './durableStreamHandler';
import type { StreamLogStore } from './StreamLogStore';

/** The parts of Node's `http.IncomingMessage` that {@link durableStreamNodeHandler} reads. */
export interface NodeIncomingLike extends AsyncIterable<Uint8Array | string> {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of Node's `http.ServerResponse` that {@link durableStreamNodeHandler} writes. */
export interface NodeOutgoingLike {
  readonly destroyed: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
}

const hostPattern = /^[\w.-]+(:\d{1,5})?$|^\[[\da-fA-F:.]+\](:\d{1,5})?$/;

/**
 * {@link durableStreamHandler} for Node's `http.createServer` (and Express, Fastify's raw `req`,
 * `res`): the Durable Streams protocol on a StreamLogStore. Resolves when the response is over; a
 * client that disconnects ends its read (never the stream).
 *
 * @example
 * ```ts
 * createServer(durableStreamNodeHandler(log)).listen(4437);
 * ```
 */
export function durableStreamNodeHandler(
  store: StreamLogStore | DurableStreamHandler,
  config: DurableStreamHandlerConfig = {},
): (req: NodeIncomingLike, res: NodeOutgoingLike) => Promise<void> {
  const handle = typeof store === 'function' ? store : durableStreamHandler(store, config);
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const host =
      typeof req.headers.host === 'string' && hostPattern.test(req.headers.host)
        ? req.headers.host
        : 'localhost';
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name.startsWith(':')) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.once('close', onClose);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    // Pulled, not pushed: the body is read only as far as the handler reads it (a body over its
    // limit is not buffered; what is left is drained below, not kept).
    const chunks = hasBody ? req[Symbol.asyncIterator]() : undefined;
    let bodyRead = !hasBody;
    const body =
      chunks === undefined
        ? null
        : new ReadableStream<Uint8Array>({
            async pull(controller) {
              const { done, value } = await chunks.next();
              bodyRead ||= done === true;
              if (done) controller.close();
              else controller.enqueue(typeof value === 'string' ? new TextEncoder().encode(value) : value);
            },
          });
    let response: Response;
    try {
      const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : `/${req.url}`;
      response = await handle(
        new Request(`http://${host}${path}`, {
          method,
          headers,
          body,
          signal: gone.signal,
          ...(hasBody && { duplex: 'half' }),
        } as RequestInit),
      );
    } catch {
      response = new Response('bad request', { status: 400, headers: { 'content-type': 'text/plain' } });
    }
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    // A body the handler did not read to its end (one over the append limit, answered 413): read
    // and drop the rest before answering. A socket closed with unread bytes is reset, and the
    // client, still sending, would see ECONNRESET instead of the answer. Past `drainBytes` the
    // client is not worth waiting for: the answer goes with `connection: close`.
    if (chunks !== undefined && !bodyRead && !(await drained(chunks))) out.connection = 'close';
    res.writeHead(response.status, out);
    if (response.body === null) {
      res.off('close', onClose);
      res.end();
      return;
    }
    const reader = response.body.getReader();
    const cancel = (): void => void reader.cancel().catch(() => {});
    gone.signal.addEventListener('abort', cancel);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || res.destroyed) break;
        if (!res.write(value)) {
          await new Promise<void>((resolve) => {
            const go = (): void => {
              res.off('drain', go);
              res.off('close', go);
              resolve();
            };
            res.once('drain', go);
            res.once('close', go);
          });
        }
      }
    } catch {
      // The client left mid-response: its read ends, the stream does not.
    } finally {
      gone.signal.removeEventListener('abort', cancel);
      res.off('close', onClose);
      if (!res.destroyed) res.end();
      else cancel();
    }
  };
}

/** How much of an unread request body is read and dropped before answering (64 MiB). */
const drainBytes = 64 * 1024 * 1024;

/** Reads and drops the rest of a request body, up to {@link drainBytes}: whether it ended. */
async function drained(chunks: AsyncIterator<Uint8Array | string>): Promise<boolean> {
  let dropped = 0;
  try {
    for (;;) {
      const { done, value } = await chunks.next();
      if (done) return true;
      dropped += value.length;
      if (dropped > drainBytes) return false;
    }
  } catch {
    return false; // the client went away: nothing to answer on anyway
  }
}
