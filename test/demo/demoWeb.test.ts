import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createRedisStreamLog, type RedisStreamLog } from '../../src/log/createRedisStreamLog';
import { startRedisServer, type RedisServer } from '../redis/support/redisServer';
import { startDemoWebServer, type DemoWebServer } from '../../demo/web/app';
import { cloudAnswer, localAnswer } from './expectedAnswers';

const root = resolve(__dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');

/** Polls `condition` on the Node side (server state) until it holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A gate the embedded model servers' streams wait at before their last token (their `hold`).
 * A test that looks at a run mid-stream closes it first: the run then cannot end before the test
 * opens it, however slow the machine, instead of the test racing the streams' few seconds.
 */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
const openGate = () => {
  const opened = gate();
  opened.open();
  return opened;
};
let modelGate = openGate();
const hold = () => modelGate.opened;

const paneText = (page: Page, track: string) =>
  page.locator(`.pane[data-track="${track}"] .text`).evaluate((element) => element.textContent ?? '');

describe('npm run demo:web', () => {
  jest.setTimeout(90_000);
  let server: DemoWebServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    // Half speed: the streams last several seconds, so a pause lands in the middle of both.
    server = await startDemoWebServer({
      staticDir: resolve(root, 'demo/web'),
      port: 0,
      speed: 0.5,
      env: {},
      hold,
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.url);
    await page.waitForSelector('#strategy option[value="compare"]', { state: 'attached' });
  });
  afterEach(async () => {
    modelGate.open();
    await page?.close();
  });

  it('streams both tracks side by side, holds them while paused, and finishes both after resume', async () => {
    await expect(page.locator('.pane[data-track="local"] .model').textContent()).resolves.toBe(
      'llama3.2 (embedded Ollama replay)',
    );
    modelGate = gate(); // the pause lands mid-stream
    await page.selectOption('#strategy', 'compare');
    await page.click('#run');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.pane .text')].every(
        (element) => (element.textContent ?? '').length > 0,
      ),
    );

    await page.click('#pause');
    await page.waitForSelector('body[data-state="paused"]');
    // Frames already on the wire when the server paused still arrive: wait until the page has
    // every frame the server sent (an event, not a guess at how long the wire takes), then watch.
    const sent = server.framesSent;
    await page.waitForFunction((count) => Number(document.body.dataset.frames) >= count, sent);
    const held = { local: await paneText(page, 'local'), cloud: await paneText(page, 'cloud') };
    // Nothing may arrive while paused. The wait only bounds how long that is watched: a slow
    // machine can make it miss a leak, never fail a correct pause.
    await page.waitForTimeout(700);
    expect(server.framesSent).toBe(sent);
    expect(await paneText(page, 'local')).toBe(held.local);
    expect(await paneText(page, 'cloud')).toBe(held.cloud);
    // The pause landed mid-stream (else "no growth" would prove nothing), and what had arrived is a prefix.
    expect(held.local.length).toBeLessThan(localAnswer.length);
    expect(held.cloud.length).toBeLessThan(cloudAnswer.length);
    expect(localAnswer.startsWith(held.local)).toBe(true);
    expect(cloudAnswer.startsWith(held.cloud)).toBe(true);
    await page.screenshot({ path: resolve(artifacts, 'demo-web-paused.png') });

    modelGate.open();
    await page.click('#resume');
    await page.waitForSelector('body[data-state="done"]', { timeout: 30_000 });
    expect(await paneText(page, 'local')).toBe(localAnswer);
    expect(await paneText(page, 'cloud')).toBe(cloudAnswer);
    // Usage and cost per track from aggregateUsage: Ollama is free; gpt-4o-mini at $0.15 / $0.60
    // per million tokens: 17 × 0.15 + 185 × 0.60 = 113.55 µ$.
    await expect(page.locator('.pane[data-track="local"] .usage').textContent()).resolves.toBe(
      '17 in · 98 out · $0.000000',
    );
    await expect(page.locator('.pane[data-track="cloud"] .usage').textContent()).resolves.toBe(
      '17 in · 185 out · $0.000114',
    );
    await expect(page.locator('#summary-body').textContent()).resolves.toContain(
      'similarity local ~ cloud: 0.',
    );
    // The chart has a line per track with a point per token (plus the origin).
    const points = await page
      .locator('#chart polyline')
      .evaluateAll((lines) => lines.map((line) => line.getAttribute('points')!.split(' ').length));
    expect(points).toEqual([99, 186]);
    await page.screenshot({ path: resolve(artifacts, 'demo-web.png'), fullPage: true });
    await until(() => server.openStreams === 0, 'the stream to end on the server');
  });

  it('cancels mid-stream: the page stops, the server ends the stream and aborts both upstream requests', async () => {
    const abortedBefore = server.models.abortedStreams;
    modelGate = gate(); // the cancel lands mid-stream
    await page.click('#run');
    await page.waitForFunction(
      () => (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > 0,
    );
    await until(() => server.models.activeStreams === 2, 'both upstream requests to be streaming');
    await page.click('#cancel');
    await page.waitForSelector('body[data-state="cancelled"]');
    await until(() => server.openStreams === 0, 'the server to end the page stream');
    await until(() => server.models.activeStreams === 0, 'the upstream requests to end');
    expect(server.models.abortedStreams - abortedBefore).toBe(2);
    const local = await paneText(page, 'local');
    expect(local.length).toBeLessThan(localAnswer.length);
    await page.waitForTimeout(300);
    expect(await paneText(page, 'local')).toBe(local);
  });

  it('POST /cancel alone ends the SSE response and aborts both upstream requests', async () => {
    const abortedBefore = server.models.abortedStreams;
    modelGate = gate(); // the cancel lands mid-stream
    const response = await fetch(`${server.url}/stream?session=node-cancel&strategy=interleave`);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('event: text')) received += decoder.decode((await reader.read()).value);
    const cancel = await fetch(`${server.url}/cancel?session=node-cancel`, { method: 'POST' });
    expect(cancel.status).toBe(204);
    // The server ends the response after the run's own finish, reason cancelled.
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      received += decoder.decode(chunk.value);
    expect(received).toMatch(/event: finish\nid: \d+\ndata: \{"type":"finish","reason":"cancelled"/);
    await until(() => server.models.activeStreams === 0, 'the upstream requests to end');
    expect(server.models.abortedStreams - abortedBefore).toBe(2);
    // The run is over: nothing to pause or cancel.
    expect((await fetch(`${server.url}/pause?session=node-cancel`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${server.url}/cancel?session=node-cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('closing the page mid-stream does not stop the run: the upstream requests go on', async () => {
    const abortedBefore = server.models.abortedStreams;
    modelGate = gate(); // the run is still going when the page has gone
    await page.click('#run');
    await until(() => server.models.activeStreams === 2, 'both upstream requests to be streaming');
    const run = new URL(page.url()).searchParams.get('run')!;
    await page.close();
    await until(() => server.openStreams === 0, 'the server to see the EventSource go');
    expect(server.models.activeStreams).toBe(2);
    // Stopping is explicit: POST /cancel, from anywhere.
    expect((await fetch(`${server.url}/cancel?session=${run}`, { method: 'POST' })).status).toBe(204);
    await until(() => server.models.activeStreams === 0, 'the upstream requests to end');
    expect(server.models.abortedStreams - abortedBefore).toBe(2);
  });

  it('a reload mid-answer continues where it was, a second tab follows live, Stop in the second tab stops both', async () => {
    const abortedBefore = server.models.abortedStreams;
    modelGate = gate(); // the reload, the second tab and the stop all land mid-stream
    await page.selectOption('#strategy', 'compare');
    await page.click('#run');
    await page.waitForFunction(
      () => (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > 20,
    );
    const address = page.url();
    expect(address).toMatch(/[?&]run=/);
    const before = await paneText(page, 'local');
    await page.reload();
    // The reloaded page reads the run from the log: at least what it showed, then more.
    await page.waitForFunction(
      (length) =>
        (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > length,
      before.length,
    );
    const afterReload = await paneText(page, 'local');
    expect(afterReload.startsWith(before)).toBe(true);
    expect(localAnswer.startsWith(afterReload)).toBe(true);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('streaming');

    const second = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    try {
      await second.goto(address);
      await second.waitForFunction(
        () => (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > 0,
      );
      // Still one model call per track: both pages read the same run.
      expect(server.models.activeStreams).toBe(2);
      await second.click('#cancel');
      await second.waitForSelector('body[data-state="cancelled"]');
      await page.waitForSelector('body[data-state="cancelled"]');
      await until(() => server.models.activeStreams === 0, 'the upstream requests to end');
      expect(server.models.abortedStreams - abortedBefore).toBe(2);
      // Both pages hold the same text, a prefix of the answer cut short by the stop.
      const first = { local: await paneText(page, 'local'), cloud: await paneText(page, 'cloud') };
      expect({ local: await paneText(second, 'local'), cloud: await paneText(second, 'cloud') }).toEqual(
        first,
      );
      expect(localAnswer.startsWith(first.local)).toBe(true);
      expect(first.local.length + first.cloud.length).toBeLessThan(localAnswer.length + cloudAnswer.length);
      await second.screenshot({ path: resolve(artifacts, 'demo-web-second-tab-stopped.png') });
    } finally {
      await second.close();
    }
  });

  it('runs the strategy chosen in the select box: handoff replaces the local draft with the cloud answer', async () => {
    await page.selectOption('#strategy', 'handoff');
    await page.click('#run');
    await page.waitForSelector('body[data-state="done"]', { timeout: 30_000 });
    expect(page.url()).toContain('strategy=handoff');
    await expect(page.locator('.pane[data-track="local"]').getAttribute('class')).resolves.toContain(
      'replaced',
    );
    await expect(page.locator('.pane[data-track="local"] .stats').textContent()).resolves.toMatch(
      /^replaced \(handoff\)/,
    );
    const draft = await paneText(page, 'local');
    expect(draft.length).toBeGreaterThan(0);
    expect(localAnswer.startsWith(draft)).toBe(true);
    expect(draft.length).toBeLessThan(localAnswer.length);
    expect(await paneText(page, 'cloud')).toBe(cloudAnswer);
    await page.screenshot({ path: resolve(artifacts, 'demo-web-handoff.png'), fullPage: true });
  });
});

describe('npm run demo:web with REDIS_URL (the runs in Redis, two demo servers)', () => {
  jest.setTimeout(90_000);
  let redisServer: RedisServer;
  let redis: Redis[];
  let logs: RedisStreamLog[];
  let servers: DemoWebServer[];
  let browser: Browser;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = [0, 1].map(() => new Redis(redisServer.port, '127.0.0.1'));
    logs = redis.map((client) => createRedisStreamLog(client));
    // Two instances behind one address book: the run starts on the first and is read on the second.
    servers = await Promise.all(
      logs.map((log) =>
        startDemoWebServer({
          staticDir: resolve(root, 'demo/web'),
          port: 0,
          speed: 0.5,
          env: {},
          log,
          batchMs: 20,
          hold,
        }),
      ),
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers?.map((server) => server.close()) ?? []);
    logs?.forEach((log) => log.close());
    redis?.forEach((client) => client.disconnect());
    await redisServer?.stop();
  });

  it('a page on the other instance follows the run live, and its Stop stops the producer on the first', async () => {
    const [a, b] = servers as [DemoWebServer, DemoWebServer];
    const first = await browser.newPage();
    const second = await browser.newPage();
    modelGate = gate(); // the second page and its Stop land mid-stream
    try {
      await first.goto(a.url);
      await first.waitForSelector('#strategy option[value="compare"]', { state: 'attached' });
      await first.click('#run');
      await first.waitForFunction(
        () => (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > 0,
      );
      const run = new URL(first.url()).search;
      await second.goto(`${b.url}/${run}`);
      await second.waitForFunction(
        () => (document.querySelector('.pane[data-track="local"] .text')?.textContent ?? '').length > 0,
      );
      // The model calls run on A only.
      expect(a.models.activeStreams).toBe(2);
      expect(b.models.activeStreams).toBe(0);
      await second.click('#cancel');
      await second.waitForSelector('body[data-state="cancelled"]');
      await first.waitForSelector('body[data-state="cancelled"]');
      await until(() => a.models.activeStreams === 0, 'the upstream requests on A to end');
      expect(await paneText(second, 'local')).toBe(await paneText(first, 'local'));
      expect(await paneText(second, 'cloud')).toBe(await paneText(first, 'cloud'));
      expect(localAnswer.startsWith(await paneText(first, 'local'))).toBe(true);
    } finally {
      modelGate.open();
      await first.close();
      await second.close();
    }
  });
});
