import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';

/**
 * Real React 19 in headless Chromium: `useSyncExternalStore` over `createMessageStore`, under
 * StrictMode (development build, so effects and subscriptions run twice), two components reading
 * one store while an effect streams a recorded OpenAI answer into it through `fromSSE`. The page
 * (test/browser/reactPage.ts) is bundled with esbuild and served with the recording from one
 * local replay server.
 */

const chromiumPath = '/usr/bin/chromium';
const root = resolve(__dirname, '../..');
const transcript = readFileSync(join(root, 'test/fixtures/openai-chat/text-include-usage.sse'), 'utf8');

/** The answer as the recording spells it, read from its frames (not through rxllm). */
const recordedText = transcript
  .split('\n')
  .filter((line) => line.startsWith('data: {'))
  .map((line) => JSON.parse(line.slice(5)) as { choices: Array<{ delta?: { content?: string } }> })
  .map((frame) => frame.choices[0]?.delta?.content ?? '')
  .join('');

describe('React in Chromium reading a createMessageStore', () => {
  let browser: Browser;
  let server: ReplayServer;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium is not installed at ${chromiumPath}; the browser tests drive it with playwright-core. ` +
          'Install it with: apt-get update && apt-get install -y chromium',
      );
    }
    const bundle = await build({
      entryPoints: [join(__dirname, 'reactPage.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      // React's development build: StrictMode double-invokes effects only there.
      define: { 'process.env.NODE_ENV': '"development"' },
      write: false,
      logLevel: 'silent',
    });
    const page = { timing: { sliceBytes: 1 << 20 }, framing: 'sse' as const };
    server = await createReplayServer({
      routes: {
        '/': {
          ...page,
          transcript:
            '<!doctype html><meta charset="utf-8"><div id="root"></div><script src="/app.js"></script>',
          headers: { 'content-type': 'text/html; charset=utf-8' },
        },
        '/app.js': {
          ...page,
          transcript: bundle.outputFiles[0]!.contents,
          headers: { 'content-type': 'text/javascript; charset=utf-8' },
        },
        // The answer in pieces, each write on its own turn of the server's event loop.
        '/chat': { transcript, timing: { sliceBytes: 97 } },
      },
    });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the streamed text once in each reader under StrictMode, and ends done', async () => {
    const tab = await browser.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (error) => pageErrors.push(String(error)));
    await tab.goto(`${server.url}/`);

    const status = await tab.evaluate(
      () => (window as unknown as { page: { finished: Promise<string> } }).page.finished,
    );
    expect(status).toBe('done');
    await tab.waitForFunction(
      () => document.querySelector('#second')?.getAttribute('data-status') === 'done',
    );

    expect(await tab.textContent('#first')).toBe(recordedText);
    expect(await tab.textContent('#second')).toBe(recordedText);
    const { connections, statuses } = await tab.evaluate(() => {
      const { connections, statuses } = (
        window as unknown as { page: { connections: number; statuses: string[] } }
      ).page;
      return { connections, statuses };
    });
    // StrictMode really did mount, clean up and mount again: the first stream was cancelled.
    expect(connections).toBe(2);
    // The store coalesces notifications to one per animation frame, so a stream that arrives
    // within one frame may render no 'streaming' state at all; what holds is the order.
    expect(pageErrors).toEqual([]);
    expect(statuses.slice(0, 2)).toEqual(['idle', 'cancelled']);
    expect(statuses.at(-1)).toBe('done');
    expect(new Set(statuses.slice(2, -1))).toEqual(new Set(statuses.length > 3 ? ['streaming'] : []));
  });
});
