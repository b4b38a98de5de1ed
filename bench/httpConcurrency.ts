/**
 * Many concurrent streams relayed over real loopback HTTP:
 * `npm run bench:http` (bundled by bench/run.ts, which reports it), or for a look at one relay
 * `node --expose-gc --import tsx bench/httpConcurrency.ts [--streams 5000] [--seconds 30] [--rate 20] [--only rxllm|floor] [--partial full,none]`
 * (through tsx every named closure carries a `name` property of its own: ~13 KB more per rxllm
 * stream than the bundle or the published build).
 *
 * Three parties, two processes. A load process (this file with `--load`) runs the upstream server,
 * which sends every stream one OpenAI chunk every `1000 / rate` ms (one timer for all streams,
 * spread evenly), and the clients, which read the relay's output, parse it as SSE and check each
 * stream's text against what upstream sent. The measured process runs only the relay, an HTTP
 * server on 127.0.0.1 that for each request opens the upstream request with `node:http` and relays:
 *
 * - rxllm: `fromSSE(() => http.get(upstream), { dialect: 'openai-chat', partial })` (the source owns
 *   the request: it reads the response and destroys the request on unsubscribe) →
 *   `toSSE({ dialect: 'openai-chat' })` → `pipeToNodeResponse(res)`, once with `partial: 'full'`
 *   (the default) and once with `'none'` (a relay needs no `partial`: toSSE's error frames do not carry it);
 * - floor: eventsource-parser + `JSON.parse` of each payload, the text delta normalized to a
 *   plain event, `JSON.stringify` of an OpenAI chunk, `res.write` of the frame: plain callbacks.
 *
 * Both get the upstream bytes the same way (a `node:http` response, read as UTF-8 text; rxllm reads
 * it with its Node stream reader, readNodeStream) and both write to the same kind of response. Measured in the relay process: heap per
 * stream above the level before any stream, after a GC, early (a fifth of the way) and late (four
 * fifths), CPU time per token relayed, and the event-loop delay. Saturation: the load process
 * says how late its send schedule ran, and the machine's CPU use (all cores, /proc/stat) is
 * sampled during the run; a run that fell behind its schedule by more than 10% says so and
 * reports no delay percentile, since it would measure the machine, not the relay.
 */
import { fork } from 'node:child_process';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { createParser } from 'eventsource-parser';
import { fromSSE } from '../src/sources/fromSSE';
import { toSSE } from '../src/operators/toSSE';
import { pipeToNodeResponse } from '../src/sinks/pipeToNodeResponse';
import '../src/dialects/openai-chat';
import type { PartialMode } from '../src/wire/types';
import { generateTokens } from './generate';
import { openAIChatFrames } from './openAIChatFrames';
import { machineTimes } from './machineTimes';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1]!;
};
const streams = Number(option('streams', '5000'));
const seconds = Number(option('seconds', '30'));
const rate = Number(option('rate', '20'));
const tokensPerStream = Math.max(1, Math.round(seconds * rate));
const pool = generateTokens(997, 11);
const tokenOf = (stream: number, index: number) => pool[(stream * 7 + index) % pool.length]!;

type Pipeline = 'rxllm' | 'floor';

export interface HttpConcurrencyResult {
  pipeline: Pipeline;
  /** rxllm's `partial` mode: what the source keeps for a failure's `partial`. */
  partial?: PartialMode;
  streams: number;
  tokensPerStream: number;
  /** Tokens per second per stream. */
  rate: number;
  earlyKBPerStream: number;
  lateKBPerStream: number;
  cpuMicrosPerToken: number;
  /** How long the send schedule took over how long it should have (1 = on time). */
  scheduleRatio: number;
  /** The machine's CPU use during the run, all cores (0–1). */
  machineBusy: number;
  keptPace: boolean;
  /** Only when the run kept pace. */
  loopDelayP99Ms?: number;
  elapsedMs: number;
}

// ---------------------------------------------------------------- load process: upstream + clients
async function runLoad(relayPort: number): Promise<void> {
  const send = (message: unknown) => process.send!(message);
  const { first, frames, tail } = openAIChatFrames(pool, tokensPerStream);
  const responses: ServerResponse[] = new Array(streams);
  let opened = 0;
  let allOpen!: () => void;
  const open = new Promise<void>((resolve) => (allOpen = resolve));
  const upstream: Server = createServer((req, res) => {
    const stream = Number(new URL(req.url!, 'http://x').searchParams.get('stream'));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(first);
    responses[stream] = res;
    if (++opened === streams) allOpen();
  });
  upstream.maxConnections = streams + 10;
  // A backlog for every stream (up to the kernel's somaxconn): thousands connect at once.
  await new Promise<void>((resolve) =>
    upstream.listen({ port: 0, host: '127.0.0.1', backlog: streams }, resolve),
  );
  const upstreamPort = (upstream.address() as AddressInfo).port;

  let done = 0;
  let failure: string | undefined;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  for (let i = 0; i < streams; i++) {
    let text = '';
    const parser = createParser({
      onEvent(message) {
        if (message.data === '[DONE]') return;
        const delta = JSON.parse(message.data).choices?.[0]?.delta?.content;
        if (typeof delta === 'string') text += delta;
      },
    });
    const request = get(
      { host: '127.0.0.1', port: relayPort, path: `/?stream=${i}&upstream=${upstreamPort}`, agent: false },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('end', () => {
          let want = '';
          for (let j = 0; j < tokensPerStream; j++) want += tokenOf(i, j);
          if (text !== want) failure ??= `stream ${i}: ${text.length} characters, expected ${want.length}`;
          if (++done === streams) allDone();
        });
      },
    );
    request.on('error', (error) => {
      failure ??= `stream ${i}: ${error.message}`;
      // Before every stream is open the run cannot start (it waits for all of them): fail now.
      if (opened < streams) {
        console.error(`load: ${failure} before all ${streams} streams were open`);
        process.exit(1);
      }
      if (++done === streams) allDone();
    });
  }
  await open;
  send({ type: 'open' });

  const tick = 10;
  const groups = Math.max(1, Math.round(1000 / rate / tick));
  const ticksTotal = tokensPerStream * groups;
  const early = Math.max(1, Math.round(ticksTotal / 5));
  const late = Math.round((ticksTotal * 4) / 5);
  const sent = new Int32Array(streams);
  const start = performance.now();
  let ticks = 0;
  // Waits for the relay to measure its heap: the schedule stops meanwhile, and its time is not counted.
  let paused = 0;
  const measure = (at: 'early' | 'late') =>
    new Promise<void>((resolve) => {
      const since = performance.now();
      process.once('message', () => {
        paused += performance.now() - since;
        resolve();
      });
      send({ type: 'measure', at });
    });
  while (ticks < ticksTotal) {
    const group = ticks % groups;
    for (let i = group; i < streams; i += groups) {
      if (sent[i]! >= tokensPerStream) continue;
      const res = responses[i]!;
      res.write(frames[(i * 7 + sent[i]!) % frames.length]!);
      if (++sent[i]! === tokensPerStream) res.end(tail);
    }
    ticks++;
    if (ticks === early) await measure('early');
    if (ticks === late) await measure('late');
    // The next tick on schedule, whatever this one cost: a run that cannot keep up falls behind.
    const due = start + paused + ticks * tick;
    const wait = due - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  const scheduleMs = performance.now() - start - paused;
  await finished;
  send({ type: 'done', scheduleRatio: scheduleMs / (ticksTotal * tick), failure });
  upstream.close();
}

// ---------------------------------------------------------------- relay (the measured process)
function relay(pipeline: Pipeline, partial: PartialMode) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    const upstreamPath = `/?stream=${url.searchParams.get('stream')}`;
    const port = Number(url.searchParams.get('upstream'));
    const open = () =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const request = get({ host: '127.0.0.1', port, path: upstreamPath, agent: false }, resolve);
        request.on('error', reject);
      });
    if (pipeline === 'rxllm') {
      // The request itself is the input: the source owns it and destroys it on unsubscribe, so no
      // AbortSignal reaches node:http (whose `signal` option keeps a listener and a `finished()`
      // on the request for the whole stream). pipeToNodeResponse's promise never rejects.
      const upstream = () => get({ host: '127.0.0.1', port, path: upstreamPath, agent: false });
      const frames$ = fromSSE(upstream, { dialect: 'openai-chat', partial }).pipe(
        toSSE({ dialect: 'openai-chat' }),
      );
      void pipeToNodeResponse(frames$, res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    open().then(
      (upstream) => {
        let created = 0;
        let model = '';
        let id = '';
        const parser = createParser({
          onEvent(message) {
            if (message.data === '[DONE]') {
              res.end('data: [DONE]\n\n');
              return;
            }
            const chunk = JSON.parse(message.data);
            if (id === '') ({ id, model, created } = chunk);
            const content = chunk.choices?.[0]?.delta?.content;
            if (typeof content !== 'string' || content === '') return;
            const event = { type: 'text', text: content };
            res.write(
              `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: event.text }, finish_reason: null }] })}\n\n`,
            );
          },
        });
        upstream.setEncoding('utf8');
        upstream.on('data', (text: string) => parser.feed(text));
      },
      () => res.destroy(),
    );
  };
}

export async function runHttpConcurrency(
  pipeline: Pipeline,
  partial: PartialMode,
): Promise<HttpConcurrencyResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const heap = () => getHeapStatistics().used_heap_size;
  const server = createServer(relay(pipeline, partial));
  server.maxConnections = streams + 10;
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: streams }, resolve),
  );
  const port = (server.address() as AddressInfo).port;
  gc();
  gc();
  const base = heap();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const here = fileURLToPath(import.meta.url);
  const child = fork(here, ['--load', String(port), ...args], {
    // The bundle (npm run bench) runs as it is; this file itself needs tsx.
    execArgv: here.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let early = 0;
  let late = 0;
  let cpuStart = process.cpuUsage();
  let machineStart = machineTimes();
  let started = performance.now();
  const outcome = await new Promise<{ scheduleRatio: number; failure?: string }>((resolve, reject) => {
    child.on(
      'message',
      (message: { type: string; at?: string; scheduleRatio?: number; failure?: string }) => {
        if (message.type === 'open') {
          cpuStart = process.cpuUsage();
          machineStart = machineTimes();
          started = performance.now();
          loop.enable();
        } else if (message.type === 'measure') {
          loop.disable(); // a forced GC is a pause of our own making
          gc();
          const used = heap() - base;
          if (message.at === 'early') early = used;
          else late = used;
          // For finding what a stream holds: `HEAPSNAP=/tmp/relay` writes /tmp/relay.floor.heapsnapshot,
          // /tmp/relay.rxllm-full.heapsnapshot, ... (late); bench/heapDiff.ts compares two.
          if (process.env.HEAPSNAP && message.at === 'late')
            writeHeapSnapshot(
              `${process.env.HEAPSNAP}.${pipeline === 'rxllm' ? `rxllm-${partial}` : pipeline}.heapsnapshot`,
            );
          loop.enable();
          child.send('go');
        } else if (message.type === 'done') {
          resolve({ scheduleRatio: message.scheduleRatio!, failure: message.failure });
        }
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load process exited with ${code}`));
    });
  });
  loop.disable();
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const machineEnd = machineTimes();
  server.close();
  if (outcome.failure !== undefined) throw new Error(`${pipeline}: ${outcome.failure}`);
  const machineBusy =
    machineStart && machineEnd
      ? (machineEnd.busy - machineStart.busy) / Math.max(1, machineEnd.total - machineStart.total)
      : NaN;
  const keptPace = outcome.scheduleRatio <= 1.1;
  const result: HttpConcurrencyResult = {
    pipeline,
    ...(pipeline === 'rxllm' && { partial }),
    streams,
    tokensPerStream,
    rate,
    earlyKBPerStream: round(early / streams / 1024),
    lateKBPerStream: round(late / streams / 1024),
    cpuMicrosPerToken: round((cpu.user + cpu.system) / (streams * tokensPerStream)),
    scheduleRatio: round(outcome.scheduleRatio),
    machineBusy: round(machineBusy),
    keptPace,
    elapsedMs: Math.round(elapsedMs),
  };
  if (keptPace) result.loopDelayP99Ms = round(loop.percentile(99) / 1e6);
  return result;
}

const round = (value: number) => Math.round(value * 100) / 100;

if (args[0] === '--load') {
  await runLoad(Number(args[1]));
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = option('only', '');
  // rxllm once per mode: 'full' (the default) and 'none', all a relay needs (its frames carry no partial).
  const partials = option('partial', 'full,none').split(',') as PartialMode[];
  const results: HttpConcurrencyResult[] = [];
  if (only === '' || only === 'floor') results.push(await runHttpConcurrency('floor', 'full'));
  if (only === '' || only === 'rxllm')
    for (const partial of partials) results.push(await runHttpConcurrency('rxllm', partial));
  console.log(`cores: ${cpus().length}`);
  for (const result of results) console.log(`RESULT ${JSON.stringify(result)}`);
}
