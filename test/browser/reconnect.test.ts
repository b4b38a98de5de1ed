import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { lastValueFrom, toArray } from 'rxjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { toSSE } from '../../src/operators/toSSE';
import { fromSSE } from '../../src/sources/fromSSE';
import type { DialectName } from '../../src/wire/types';

/**
 * What a browser does with a stream that has ended: a plain `EventSource` reconnects (a new
 * request, a new model call) after a normal end and after an error frame; `fromEventSource`,
 * bundled from the library's source and run in headless Chromium, reads each stream once,
 * resumes a cut one with `Last-Event-ID`, and aborts on unsubscribe. A real local Node server
 * serves the `rxllm` dialect written by `toSSE` from recorded provider streams.
 */

const chromiumPath = '/usr/bin/chromium';

async function rxllmWire(file: string, dialect: DialectName, config: { ids?: boolean; named?: boolean }) {
  const text = readFileSync(resolve(__dirname, '../fixtures', file), 'utf8');
  const frames = await lastValueFrom(
    fromSSE(
      (async function* () {
        yield text;
      })(),
      { dialect },
    ).pipe(toSSE({ dialect: 'rxllm', ...config }), toArray()),
  );
  return frames.join('');
}

const fullText =
  "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
  'I recommend checking a reliable weather website or a weather app.';

interface Hit {
  method: string;
  lastEventId: string | undefined;
  body: string;
  /** Resolves when the connection closes: for `/slow`, only the client can close it. */
  closed: Promise<void>;
}

const page = `<!doctype html>
<meta charset="utf-8">
<script src="/rxllm.js"></script>
<script>
// Opens a plain EventSource and resolves once it has opened \`opens\` times (each open a request).
window.countOpens = function (path, opens) {
  return new Promise(function (resolve) {
    var source = new EventSource(path);
    var seen = 0, text = '', errorFrames = 0;
    source.onopen = function () { seen += 1; if (seen >= opens) { source.close(); resolve({ opens: seen, text: text, errorFrames: errorFrames }); } };
    source.addEventListener('text', function (e) { text += JSON.parse(e.data).text; });
    source.addEventListener('rxllm-error', function () { errorFrames += 1; });
  });
};
// A plain EventSource on unnamed frames: onmessage sees every event; closed on the last one.
window.readWithOnMessage = function (path) {
  return new Promise(function (resolve) {
    var source = new EventSource(path);
    var result = { text: '', types: [], error: null };
    source.onmessage = function (e) {
      if (e.data === '[DONE]') { source.close(); resolve(result); return; }
      var event = JSON.parse(e.data);
      result.types.push(event.type);
      if (event.type === 'text') result.text += event.text;
      if (event.type === 'error' && event.fatal) { result.error = event.error.code; source.close(); resolve(result); }
    };
  });
};
window.readWithFromEventSource = function (path, config) {
  return new Promise(function (resolve) {
    var result = { text: '', seqs: [], completed: false, error: null };
    rxllm.fromEventSource(path, config).subscribe({
      next: function (e) { result.seqs.push(e.seq); if (e.type === 'text') result.text += e.text; },
      error: function (e) { result.error = { code: e.code, partialText: e.partial && e.partial.text }; resolve(result); },
      complete: function () { result.completed = true; resolve(result); },
    });
  });
};
// Subscribes, and unsubscribes at the first text event.
window.unsubscribeAtFirstText = function (path) {
  return new Promise(function (resolve) {
    var subscription = rxllm.fromEventSource(path).subscribe(function (e) {
      if (e.type === 'text') { subscription.unsubscribe(); resolve(e.text); }
    });
  });
};
</script>`;

describe('EventSource reconnection vs fromEventSource, in Chromium', () => {
  let browser: Browser;
  let app: Server;
  let tab: Page;
  const hits: Record<string, Hit[]> = {};
  let bundle: string;
  let done: string;
  let failing: string;
  let unnamed: string;
  let unnamedFailing: string;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium is not installed at ${chromiumPath}: apt-get update && apt-get install -y chromium`,
      );
    }
    done = await rxllmWire('openai-chat/text-include-usage.sse', 'openai-chat', { ids: true });
    failing = await rxllmWire('anthropic/error-overloaded-midstream-spliced.sse', 'anthropic', { ids: true });
    unnamed = await rxllmWire('openai-chat/text-include-usage.sse', 'openai-chat', { named: false });
    unnamedFailing = await rxllmWire('anthropic/error-overloaded-midstream-spliced.sse', 'anthropic', {
      named: false,
    });
    const built = await build({
      stdin: {
        contents: "export { fromEventSource } from './src/index';",
        resolveDir: resolve(__dirname, '../..'),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      globalName: 'rxllm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    bundle = built.outputFiles[0]!.text;

    app = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://app').pathname;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        return;
      }
      if (path === '/rxllm.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
        return;
      }
      const hit = record(path, req);
      const wires: Record<string, string> = {
        '/done': done,
        '/failing': failing,
        '/unnamed': unnamed,
        '/unnamed-failing': unnamedFailing,
        '/cut': done,
        '/slow': done,
      };
      const wire = wires[path];
      if (wire === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (path === '/cut' && hits[path]!.length === 1) {
        // The first answer ends mid-frame, before [DONE] (ended, not reset: Chromium may drop
        // what it had buffered of a reset connection; the Node tests cover a reset); the second
        // replays from the start, as a server that ignores Last-Event-ID would: the ids tell the
        // client what it already has.
        res.end(wire.slice(0, Math.floor(wire.length / 2)));
        return;
      }
      if (path === '/slow') {
        // One frame now, the rest never: the client must be the one to close.
        res.write(wire.split('\n\n').slice(0, 3).join('\n\n') + '\n\n');
        hit.closed.then(() => res.end()).catch(() => {});
        return;
      }
      res.end(wire);
    });
    await new Promise<void>((ready) => app.listen(0, '127.0.0.1', ready));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    tab = await browser.newPage();
    await tab.goto(`${appUrl}/`);
  });

  afterAll(async () => {
    await browser?.close();
    app?.closeAllConnections();
    await new Promise((closed) => (app ? app.close(closed) : closed(undefined)));
  });

  function record(path: string, req: IncomingMessage): Hit {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    const header = req.headers['last-event-id'];
    const hit: Hit = {
      method: req.method ?? '',
      lastEventId: typeof header === 'string' ? header : undefined,
      get body() {
        return body;
      },
      closed: new Promise((closed) => req.socket.once('close', () => closed())),
    };
    (hits[path] ??= []).push(hit);
    return hit;
  }

  const call = <T>(fn: string, ...args: unknown[]): Promise<T> =>
    tab.evaluate(
      ([name, rest]) =>
        (window as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name as string]!(
          ...(rest as unknown[]),
        ),
      [fn, args] as const,
    ) as Promise<T>;

  it('a plain EventSource reconnects after a stream that ended normally ([DONE]): a second request', async () => {
    const result = await call<{ opens: number; text: string }>('countOpens', '/done', 2);
    expect(result.opens).toBe(2);
    expect(hits['/done']).toHaveLength(2);
    expect(result.text).toBe(fullText);
    // It says where it was: the id of the last frame it read.
    expect(hits['/done']![1]!.lastEventId).toMatch(/^\d+$/);
  });

  it('a plain EventSource reconnects after an error frame too', async () => {
    const result = await call<{ opens: number; errorFrames: number }>('countOpens', '/failing', 2);
    expect(result).toMatchObject({ opens: 2, errorFrames: 1 });
    expect(hits['/failing']).toHaveLength(2);
  });

  it('fromEventSource reads a finished stream once and an error frame once', async () => {
    const ok = await call<{ text: string; completed: boolean; seqs: number[] }>(
      'readWithFromEventSource',
      '/done',
      {
        body: JSON.stringify({ prompt: 'weather?' }),
      },
    );
    expect(ok).toMatchObject({ text: fullText, completed: true, error: null });
    expect(ok.seqs).toEqual(ok.seqs.map((_, index) => index));
    const failed = await call<{ error: unknown }>('readWithFromEventSource', '/failing', {});
    expect(failed.error).toEqual({ code: 'overloaded', partialText: 'Hello there' });
    // A request made after both: had either reconnected, its second request would be here first.
    await call('readWithFromEventSource', '/done', {});
    expect(hits['/failing']).toHaveLength(3); // two from the EventSource test above, one here
    expect(hits['/done']).toHaveLength(4);
    expect(hits['/done']![2]).toMatchObject({ method: 'POST', lastEventId: undefined });
    expect(hits['/done']![2]!.body).toBe('{"prompt":"weather?"}');
  });

  it('fromEventSource resumes a cut stream with Last-Event-ID and no duplicate events', async () => {
    const result = await call<{ text: string; completed: boolean; seqs: number[] }>(
      'readWithFromEventSource',
      '/cut',
      {
        retryDelayMs: 0,
      },
    );
    expect(result).toMatchObject({ text: fullText, completed: true, error: null });
    expect(result.seqs).toEqual(result.seqs.map((_, index) => index));
    expect(hits['/cut']).toHaveLength(2);
    expect(hits['/cut']![0]!.lastEventId).toBeUndefined();
    expect(hits['/cut']![1]!.lastEventId).toMatch(/^\d+$/);
  });

  it('fromEventSource aborts the request on unsubscribe: the server sees the connection close', async () => {
    const text = await call<string>('unsubscribeAtFirstText', '/slow');
    expect(text).toBe("I'm");
    await hits['/slow']![0]!.closed;
    expect(hits['/slow']).toHaveLength(1);
  });

  it('unnamed rxllm frames reach a plain onmessage, the error frame included', async () => {
    const ok = await call<{ text: string; types: string[] }>('readWithOnMessage', '/unnamed');
    expect(ok.text).toBe(fullText);
    const decoded = await lastValueFrom(fromSSE(new Response(unnamed), { dialect: 'rxllm' }).pipe(toArray()));
    expect(ok.types).toEqual(decoded.map((event) => event.type));
    expect(ok.types[0]).toBe('start');
    const failed = await call<{ text: string; error: string }>('readWithOnMessage', '/unnamed-failing');
    expect(failed).toMatchObject({ text: 'Hello there', error: 'overloaded' });
  });
});
