import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { chromium, type Browser, type Page } from 'playwright-core';
import { toSSE } from '../../src/operators/toSSE';
import { pipeToNodeResponse, type PipeToNodeResponseResult } from '../../src/sinks/pipeToNodeResponse';
import { toResponse } from '../../src/sinks/toResponse';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import type { DialectName } from '../../src/wire/types';

/**
 * The browser's own EventSource reads what rxllm serves: recorded provider streams are replayed
 * by a local upstream, decoded by `fromSSE`, encoded by `toSSE` in the `rxllm` dialect and served
 * by `pipeToNodeResponse` (or `toResponse`) to headless Chromium, whose page folds the named
 * events back into text, reasoning, tool calls and usage.
 */

const chromiumPath = '/usr/bin/chromium';

/** What the page reports about one EventSource stream. */
interface PageResult {
  opened: boolean;
  start: { id?: string; provider?: string; model?: string } | null;
  text: string;
  reasoning: string;
  signatures: number;
  toolCalls: Array<{ id: string; name: string; index: number; argsText: string; args?: unknown }>;
  usage: Record<string, number> | null;
  finishReason: string | null;
  error: { type: string; fatal: boolean; error: Record<string, unknown> } | null;
  done: boolean;
  connectionErrors: number;
  readyState: number;
}

// Plain browser JavaScript, served as is: no bundler between rxllm's output and the browser.
const page = `<!doctype html>
<meta charset="utf-8">
<title>rxllm EventSource</title>
<script>
window.readStream = function (path) {
  return new Promise(function (resolve) {
    var source = new EventSource(path);
    var calls = {};
    var result = { opened: false, start: null, text: '', reasoning: '', signatures: 0, toolCalls: [],
      usage: null, finishReason: null, error: null, done: false, connectionErrors: 0, readyState: -1 };
    function finish() {
      // Closing is what keeps EventSource from reconnecting and replaying the request.
      source.close();
      result.readyState = source.readyState;
      resolve(result);
    }
    function on(type, handle) {
      source.addEventListener(type, function (event) { handle(JSON.parse(event.data)); });
    }
    source.onopen = function () { result.opened = true; };
    on('start', function (e) { result.start = { id: e.id, provider: e.provider, model: e.model }; });
    on('text', function (e) { result.text += e.text; });
    on('reasoning', function (e) { result.reasoning += e.text; if (e.signature) result.signatures += 1; });
    on('tool-call-start', function (e) {
      calls[e.id] = { id: e.id, name: e.name, index: e.index, argsText: '' };
      result.toolCalls.push(calls[e.id]);
    });
    on('tool-call-delta', function (e) { calls[e.id].argsText += e.argsText; });
    on('tool-call', function (e) { calls[e.id].args = e.args; });
    on('usage', function (e) {
      result.usage = { inputTokens: e.inputTokens, outputTokens: e.outputTokens, totalTokens: e.totalTokens };
    });
    on('finish', function (e) { result.finishReason = e.reason; });
    source.addEventListener('done', function () { result.done = true; finish(); });
    // rxllm's error frame is named "rxllm-error"; "error" is EventSource's own, a connection failure.
    source.addEventListener('rxllm-error', function (event) {
      result.error = JSON.parse(event.data);
      finish();
    });
    source.addEventListener('error', function () {
      result.connectionErrors += 1;
      if (result.connectionErrors > 2) finish();
    });
  });
};
</script>`;

const fixtures: Record<string, { file: string; dialect: DialectName }> = {
  text: { file: 'openai-chat/text-include-usage.sse', dialect: 'openai-chat' },
  tools: { file: 'openai-chat/parallel-tool-calls.sse', dialect: 'openai-chat' },
  reasoning: { file: 'anthropic/thinking-signature.sse', dialect: 'anthropic' },
  failing: { file: 'anthropic/error-overloaded-midstream-spliced.sse', dialect: 'anthropic' },
};

describe('EventSource in Chromium reading rxllm SSE', () => {
  let browser: Browser;
  let upstream: ReplayServer;
  let app: Server;
  let appUrl: string;
  let tab: Page;
  const outcomes: Array<Promise<PipeToNodeResponseResult>> = [];
  const hits: Record<string, number> = {};

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium is not installed at ${chromiumPath}; the browser tests drive it with playwright-core. ` +
          'Install it with: apt-get update && apt-get install -y chromium',
      );
    }
    const routes = Object.fromEntries(
      Object.entries(fixtures).map(([name, { file }]) => [
        `/${name}`,
        {
          transcript: readFileSync(resolve(__dirname, '../fixtures', file)),
          timing: { tokensPerSecond: 1000 },
        },
      ]),
    );
    upstream = await createReplayServer({ routes });

    app = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://app').pathname;
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page);
        return;
      }
      const match = /^\/(node|response)\/(\w+)$/.exec(path);
      const fixture = match && fixtures[match[2]!];
      if (!match || !fixture) {
        res.writeHead(404).end();
        return;
      }
      const frames$ = fromSSE((signal) => fetch(`${upstream.url}/${match[2]}`, { signal }), {
        dialect: fixture.dialect,
      }).pipe(toSSE({ dialect: 'rxllm' }));
      if (match[1] === 'node') {
        outcomes.push(pipeToNodeResponse(frames$, res));
        return;
      }
      // A fetch-style handler's Response, written to Node the way adapters (Hono's, Next's) do.
      const response = toResponse(frames$);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>).pipe(res);
    });
    await new Promise<void>((done) => app.listen(0, '127.0.0.1', done));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

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
    await new Promise((done) => (app ? app.close(done) : done(undefined)));
    await upstream?.close();
  });

  const read = (path: string): Promise<PageResult> =>
    tab.evaluate(
      (streamPath) =>
        (window as unknown as { readStream(p: string): Promise<PageResult> }).readStream(streamPath),
      path,
    );

  it('reproduces the text, usage and finish of a text stream served by pipeToNodeResponse', async () => {
    const result = await read('/node/text');
    expect(result).toEqual({
      opened: true,
      start: { id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL', provider: 'openai', model: 'gpt-4o-2024-08-06' },
      text:
        "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
        'I recommend checking a reliable weather website or a weather app.',
      reasoning: '',
      signatures: 0,
      toolCalls: [],
      usage: { inputTokens: 14, outputTokens: 30, totalTokens: 44 },
      finishReason: 'stop',
      error: null,
      done: true,
      connectionErrors: 0,
      readyState: 2,
    });
    await expect(outcomes.at(-1)).resolves.toMatchObject({ upstream: 'complete', clientDisconnected: false });
  });

  it('reproduces two parallel tool calls, their streamed and parsed arguments', async () => {
    const result = await read('/node/tools');
    expect(result.toolCalls).toEqual([
      {
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        index: 0,
        argsText: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
        args: { city: 'Edinburgh', country: 'GB', units: 'c' },
      },
      {
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        index: 1,
        argsText: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
        args: { ticker: 'AAPL', exchange: 'NASDAQ' },
      },
    ]);
    expect(result).toMatchObject({
      text: '',
      usage: { inputTokens: 149, outputTokens: 60, totalTokens: 209 },
      finishReason: 'tool-calls',
      done: true,
      connectionErrors: 0,
    });
  });

  it('reproduces a reasoning stream: thinking, its signature, then the answer', async () => {
    const result = await read('/node/reasoning');
    expect(result.reasoning).toHaveLength(202);
    expect(result.reasoning.startsWith('This is a straightforward question about pedestrian safety.')).toBe(
      true,
    );
    expect(result.reasoning.endsWith('basic safety information that could help prevent accidents.')).toBe(
      true,
    );
    expect(result.signatures).toBe(1);
    expect(result.text).toHaveLength(1021);
    expect(
      result.text.startsWith(
        'Here are the basic steps for safely crossing the street:\n\n**At intersections',
      ),
    ).toBe(true);
    expect(result).toMatchObject({
      start: { id: 'msg_01ALwQ87pTS7hH1PjSdC9wJD', provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
      usage: { inputTokens: 43, outputTokens: 282, totalTokens: 325 },
      finishReason: 'stop',
      done: true,
      connectionErrors: 0,
    });
  });

  it('shows the error of a stream that fails mid-way, keeps the partial text, and closes without reconnecting', async () => {
    const before = hits['/node/failing'] ?? 0;
    const result = await read('/node/failing');
    expect(result.text).toBe('Hello there');
    expect(result.error).toEqual({
      type: 'error',
      fatal: true,
      error: {
        name: 'RxllmError',
        code: 'overloaded',
        message: 'anthropic: overloaded_error: Overloaded',
        retryable: true,
        status: 529,
        dialect: 'anthropic',
        providerCode: 'overloaded_error',
        requestId: 'req_011Ce3HwQb6vtbs9LQVmh4oe',
        providerMessage: 'Overloaded',
      },
    });
    expect(result).toMatchObject({ done: false, finishReason: null, connectionErrors: 0, readyState: 2 });
    // One request: the page closed the EventSource on the error frame, so it never reconnected.
    await tab.evaluate(() => fetch('/').then((response) => response.text()));
    expect(hits['/node/failing']).toBe(before + 1);
    // The client got the failure as a frame; the server still hears of it.
    await expect(outcomes.at(-1)).resolves.toMatchObject({
      upstream: 'error',
      error: { code: 'overloaded' },
      clientDisconnected: false,
    });
  });

  it('reads the same stream served through toResponse', async () => {
    const result = await read('/response/tools');
    expect(result.toolCalls.map((call) => [call.name, call.args])).toEqual([
      ['GetWeatherArgs', { city: 'Edinburgh', country: 'GB', units: 'c' }],
      ['get_stock_price', { ticker: 'AAPL', exchange: 'NASDAQ' }],
    ]);
    expect(result).toMatchObject({
      opened: true,
      done: true,
      finishReason: 'tool-calls',
      connectionErrors: 0,
    });
  });
});
