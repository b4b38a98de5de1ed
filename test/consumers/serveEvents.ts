import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { concat, from, throwError, type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { toSSE } from '../../src/operators/toSSE';
import { sseHeaders } from '../../src/wire/sseHeaders';
import type { DialectName } from '../../src/wire/types';
import { decodeFixture, type Decoded } from '../support/decodeFixture';

/** What the test server streams for one request: events and the dialect to write them in. */
export interface Served {
  events: Observable<RxllmEvent>;
  dialect: DialectName;
}

export interface EventServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Request bodies (parsed JSON) and paths, in order. */
  requests: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that answers every POST with `toSSE` output: rxllm events
 * from `serve(path, body)` encoded in a dialect, written frame by frame as they come.
 */
export async function serveEvents(serve: (path: string, body: unknown) => Served): Promise<EventServer> {
  const requests: EventServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const body: unknown = text === '' ? undefined : JSON.parse(text);
      requests.push({ path: req.url ?? '', body });
      const { events, dialect } = serve(req.url ?? '', body);
      res.writeHead(200, sseHeaders(dialect));
      const subscription = events.pipe(toSSE({ dialect })).subscribe({
        next: (frame) => res.write(frame),
        error: () => res.destroy(),
        complete: () => res.end(),
      });
      res.on('close', () => subscription.unsubscribe());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * {@link serveEvents} that answers each request with the source its body's `model` names, in
 * `dialect`: the client SDK under test picks the recorded stream through its own `model` field.
 */
export function serveByModel(
  sources: Readonly<Record<string, { events$: Observable<RxllmEvent> }>>,
  dialect: DialectName,
): Promise<EventServer> {
  return serveEvents((_path, body) => ({
    events: sources[(body as { model: string }).model]!.events$,
    dialect,
  }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** A fixture decoded as its dialect, and an Observable that replays it (failing where it failed). */
export function fixtureSource(
  dialect: DialectName,
  name: string,
): Decoded & { events$: Observable<RxllmEvent> } {
  const decoded = decodeFixture(dialect, name);
  const events$ = decoded.error
    ? concat(
        from(decoded.events),
        throwError(() => decoded.error),
      )
    : from(decoded.events);
  return { ...decoded, events$ };
}
