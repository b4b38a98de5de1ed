/**
 * Resumable streams on one redis-server: rxllm's Redis stream log against Vercel's
 * `resumable-stream` (ioredis clients for both), on the same workload.
 *
 *   npm run bench:resumable [-- --quick] [--rounds N] [--out bench/RESULTS.md]
 *
 * Figures (see bench/RESULTS.md, "Resumable streams"):
 * - Redis commands per 1,000 tokens: commands the clients sent (counted at ioredis's
 *   `sendCommand`, every connection of the process), and the server's own count from `INFO
 *   commandstats` (which also counts the commands a Lua script runs), for a producer alone and for a
 *   producer with one reader that attaches at the start, as a resumed tab would.
 * - Producer CPU per token: process CPU (user + system) over the producer-alone run.
 * - Catch-up: a late reader attaches to a live 100,000-token stream and reads it to its current
 *   end; against reading the same log raw (`XRANGE` of the whole stream, batches split into lines).
 * - Memory per idle stream: 100 live streams of 1,000 tokens each with no activity: Redis
 *   `used_memory` and the producer process's heap (after GC), per stream.
 *
 * Timings are wall time on a shared machine: medians of rounds, read as ratios.
 */
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Subject } from 'rxjs';
import { createResumableStreamContext } from 'resumable-stream/ioredis';
import { createResumableStreamContext as createAssistantStreamContext } from 'assistant-stream/resumable';
import { createIoredisResumableStreamStore } from 'assistant-stream/resumable/ioredis';
import type { RxllmEvent } from '../src/base/events';
import { createRedisStreamLog } from '../src/log/createRedisStreamLog';
import { fromStreamLogEntries } from '../src/log/fromStreamLog';
import { recordStream } from '../src/log/recordStream';
import { startRedisServer } from '../test/redis/support/redisServer';
import { generateTokens } from './generate';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const out = outIndex === -1 ? undefined : args[outIndex + 1];
const roundsIndex = args.indexOf('--rounds');
const rounds = roundsIndex !== -1 ? Number(args[roundsIndex + 1]) : quick ? 1 : 5;
const pacedTokens = 1_000;
/** A fast model: 200 tokens/s, as 4 tokens every 20 ms (few timers: their CPU is noise here). */
const tokenIntervalMs = 20;
const tokensPerTick = 4;
const catchUpTokens = quick ? 20_000 : 100_000;
/** Late readers per round (each a new reader from the start), raw reads interleaved with them. */
const catchUpReads = quick ? 3 : 7;
const idleStreams = quick ? 20 : 100;
const idleTokens = 1_000;

// ---------------------------------------------------------------------------------------------
// Counting what the clients send: every ioredis connection of this process goes through here.
let sent = 0;
/** `--trace`: print each command the clients send (what the counts are made of). */
const trace = args.includes('--trace');
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...rest: Parameters<typeof sendCommand>) {
  sent++;
  if (trace) process.stderr.write(`  > ${rest[0].name} ${String(rest[0].args[0] ?? '').slice(0, 60)}\n`);
  return sendCommand.apply(this, rest);
} as typeof sendCommand;

const tokens = generateTokens(Math.max(pacedTokens, catchUpTokens, idleTokens), 7);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise((resolve) => setImmediate(resolve));
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
/** A token as a source emits it: every event carries its `seq`. */
const textEvent = (i: number): RxllmEvent => ({ type: 'text', text: tokens[i]!, seq: i });
/** What resumable-stream carries for a token: the SSE frame a server would write for it. */
const frameOf = (i: number): string => `data: ${JSON.stringify(textEvent(i))}\n\n`;

const server = await startRedisServer();
const admin = new Redis(server.port, '127.0.0.1');
const client = () => new Redis(server.port, '127.0.0.1');

async function serverCommands(): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    if (match[1] !== 'info' && match[1] !== 'config') total += Number(match[2]);
  }
  return total;
}

/** Counts the commands (client-sent and server-run) and the CPU of `work`. */
async function counted(work: () => Promise<void>): Promise<{ sent: number; server: number; cpuUs: number }> {
  await admin.config('RESETSTAT');
  const sentBefore = sent;
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  // Let trailing writes (the end, unsubscribes) land before the count.
  await sleep(50);
  return { sent: sent - sentBefore, server: await serverCommands(), cpuUs: used.user + used.system };
}

interface Contender {
  name: string;
  /** Produces `count` tokens paced (or in bursts of 100 when `paced` is false); resolves at the end. */
  produce(id: string, count: number, paced: boolean): { done: Promise<void>; end(): void };
  /** Reads the stream from its start until `count` tokens arrived. */
  read(id: string, count: number): Promise<void>;
  /** Resolves once `count` tokens of `id` are stored (when the bench cannot see it otherwise). */
  stored?(id: string, count: number): Promise<void>;
  close(): void;
}

async function drive(count: number, paced: boolean, next: (i: number) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    next(i);
    if (paced) {
      if (i % tokensPerTick === tokensPerTick - 1) await sleep(tokenIntervalMs);
    } else if (i % 100 === 99) await turn();
  }
}

/**
 * The producer of a package that takes a `ReadableStream` of frames: pushes `count` frames,
 * reads the package's own response back as an HTTP response would, closes the stream once `end`
 * is called, and is done when the package's last write, handed to its `waitUntil` (whose next
 * call `finished` answers), has landed.
 */
function produceFrames<T>(
  count: number,
  paced: boolean,
  frame: (i: number) => T,
  finished: ((promise: Promise<unknown>) => void)[],
  start: (source: ReadableStream<T>) => Promise<ReadableStream<unknown>>,
): { done: Promise<void>; end(): void } {
  let push!: (chunk: T) => void;
  let close!: () => void;
  const source = new ReadableStream<T>({
    start(controller) {
      push = (chunk) => controller.enqueue(chunk);
      close = () => controller.close();
    },
  });
  let endNow!: () => void;
  const ended = new Promise<void>((resolve) => (endNow = resolve));
  let stored!: Promise<unknown>;
  finished.push((promise) => (stored = promise));
  const done = (async () => {
    const response = await start(source);
    const reading = (async () => {
      const reader = response.getReader();
      while (!(await reader.read()).done);
    })();
    await drive(count, paced, (i) => push(frame(i)));
    await ended;
    close();
    await reading;
    await stored;
  })();
  return { done, end: endNow };
}

function rxllmContender(batchMs: number): Contender {
  const connection = client();
  const log = createRedisStreamLog(connection);
  return {
    name: `rxllm (batchMs ${batchMs})`,
    produce(id, count, paced) {
      const source = new Subject<RxllmEvent>();
      // Done once the log is terminalized: the end's write resolved (no poll of Redis).
      let stored!: Promise<void>;
      const recorded = new Promise<void>((resolve, reject) =>
        source
          .pipe(recordStream(log, id, { batchMs, waitUntil: (written) => (stored = written) }))
          .subscribe({ complete: resolve, error: reject }),
      );
      let endNow!: () => void;
      const ended = new Promise<void>((resolve) => (endNow = resolve));
      const done = (async () => {
        await drive(count, paced, (i) => source.next(textEvent(i)));
        await ended;
        source.complete();
        await recorded;
        await stored;
      })();
      return { done, end: endNow };
    },
    async read(id, count) {
      // Attach once the producer has opened the stream (resumable-stream's reader waits the same way).
      while ((await log.state(id)) === 'unknown') await sleep(2);
      // Every event decoded and delivered with its seq, counted as it arrives (as an SSE response
      // writes and drops it; resumable-stream's reader below counts its frames the same way).
      await new Promise<void>((resolve, reject) => {
        let read = 0;
        const subscription = fromStreamLogEntries(log, id).subscribe({
          next() {
            if (++read === count) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: reject,
          complete: () => reject(new Error(`rxllm read ${read} of ${count}`)),
        });
      });
    },
    close() {
      log.close();
      connection.disconnect();
    },
  };
}

function resumableStreamContender(): Contender {
  const publisher = client();
  const subscriber = client();
  // Its own hook for the end of the producer's writes (sentinel DONE, unsubscribe), handed to each
  // producer in the order they started: the bench waits on it instead of polling Redis.
  const finished: ((promise: Promise<unknown>) => void)[] = [];
  const context = createResumableStreamContext({
    waitUntil: (promise) => finished.shift()?.(promise),
    publisher,
    subscriber,
  });
  // Readers are on another instance: their own context and connections.
  const readerPublisher = client();
  const readerSubscriber = client();
  const readerContext = createResumableStreamContext({
    waitUntil: null,
    publisher: readerPublisher,
    subscriber: readerSubscriber,
  });
  return {
    name: 'resumable-stream 2.2.13',
    produce(id, count, paced) {
      // The producer's own response reads what it makes, as an HTTP response would.
      return produceFrames(
        count,
        paced,
        frameOf,
        finished,
        async (source) => (await context.createNewResumableStream(id, () => source))!,
      );
    },
    async read(id, count) {
      // Resolved once the producer's stream exists (createNewResumableStream has set its sentinel).
      let stream: ReadableStream<string> | null | undefined;
      while (!(stream = await readerContext.resumeExistingStream(id))) await sleep(2);
      const reader = stream.getReader();
      let frames = 0;
      while (frames < count) {
        const { done, value } = await reader.read();
        if (done) break;
        // Chunks arrive joined (the catch-up is one message): count frames, as rxllm counts events.
        frames += value.split('\n\n').length - 1;
      }
      await reader.cancel();
      if (frames < count) throw new Error(`resumable-stream read ${frames} of ${count}`);
    },
    close() {
      for (const connection of [publisher, subscriber, readerPublisher, readerSubscriber])
        connection.disconnect();
    },
  };
}

const version = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

/**
 * assistant-ui's `assistant-stream/resumable` on its ioredis store: the producer appends every chunk
 * to a Redis Stream (a `GET` of the stream's meta and one script per chunk) and finalizes it; every
 * response, the producer's own included, reads the stream back from Redis (`XRANGE`, polled every
 * 100 ms at the live end).
 */
function assistantStreamContender(): Contender {
  const connection = client();
  const finished: ((promise: Promise<unknown>) => void)[] = [];
  /** Chunks appended per stream (its `onAppend` hook runs after each append resolved). */
  const appended = new Map<string, number>();
  const context = createAssistantStreamContext({
    store: createIoredisResumableStreamStore(connection),
    waitUntil: (promise) => finished.shift()?.(promise),
    onAppend: (id) => appended.set(id, (appended.get(id) ?? 0) + 1),
  });
  // Readers are on another instance: their own store and connection.
  const readerConnection = client();
  const readerContext = createAssistantStreamContext({
    store: createIoredisResumableStreamStore(readerConnection),
  });
  const encoder = new TextEncoder();
  return {
    name: `assistant-stream ${version('assistant-stream')}`,
    produce(id, count, paced) {
      // run() elects this call the producer, starts the task that appends each chunk, and returns
      // the producer's own response, which reads the stream back from the store.
      return produceFrames(
        count,
        paced,
        (i) => encoder.encode(frameOf(i)),
        finished,
        (source) => context.run(id, () => source),
      );
    },
    async read(id, count) {
      let stream: ReadableStream<Uint8Array> | null;
      while (!(stream = await readerContext.resume(id))) await sleep(2);
      const reader = stream.getReader();
      const decoder = new TextDecoder();
      let frames = 0;
      while (frames < count) {
        const { done, value } = await reader.read();
        if (done) break;
        frames += decoder.decode(value, { stream: true }).split('\n\n').length - 1;
      }
      await reader.cancel();
      if (frames < count) throw new Error(`assistant-stream read ${frames} of ${count}`);
    },
    async stored(id, count) {
      while ((appended.get(id) ?? 0) < count) await sleep(20);
      appended.delete(id);
    },
    close() {
      connection.disconnect();
      readerConnection.disconnect();
    },
  };
}

let streamNumber = 0;
const nextId = (name: string) => `${name.replace(/\W+/g, '-')}-${process.pid}-${streamNumber++}`;

interface Result {
  name: string;
  aloneSent: number[];
  aloneServer: number[];
  readerSent: number[];
  readerServer: number[];
  cpuUsPerToken: number[];
  catchUpMs: number[];
  rawMs: number[];
  rawParseMs: number[];
  overRaw: number[];
  overRawParse: number[];
  cpuWithReaderUsPerToken: number[];
  redisBytesPerIdle: number;
  heapBytesPerIdle: number;
}

/** CPU of the pacing loop alone (timers, no stream), taken off each producer's CPU. */
async function pacingCpuUs(): Promise<number> {
  const cpu = process.cpuUsage();
  await drive(pacedTokens, true, () => {});
  const used = process.cpuUsage(cpu);
  return used.user + used.system;
}

async function producerAlone(contender: Contender, result: Result): Promise<void> {
  const id = nextId(contender.name);
  const before = await pacingCpuUs();
  if (trace) process.stderr.write(`${contender.name}, producer alone:\n`);
  const run = await counted(async () => {
    const producer = contender.produce(id, pacedTokens, true);
    producer.end();
    await producer.done;
  });
  const baseline = (before + (await pacingCpuUs())) / 2;
  if (trace) process.stderr.write(`${contender.name}, producer alone: done\n`);
  result.aloneSent.push((run.sent * 1000) / pacedTokens);
  result.aloneServer.push((run.server * 1000) / pacedTokens);
  result.cpuUsPerToken.push(Math.max(0, run.cpuUs - baseline) / pacedTokens);
}

async function producerWithReader(contender: Contender, result: Result): Promise<void> {
  const id = nextId(contender.name);
  const before = await pacingCpuUs();
  const run = await counted(async () => {
    const producer = contender.produce(id, pacedTokens, true);
    const reading = contender.read(id, pacedTokens);
    producer.end();
    await Promise.all([producer.done, reading]);
  });
  const baseline = (before + (await pacingCpuUs())) / 2;
  result.readerSent.push((run.sent * 1000) / pacedTokens);
  result.readerServer.push((run.server * 1000) / pacedTokens);
  result.cpuWithReaderUsPerToken.push(Math.max(0, run.cpuUs - baseline) / pacedTokens);
}

/** A live stream of `catchUpTokens` (written in bursts), then a late reader reads it all. */
async function catchUp(contender: Contender, result: Result, rxllmRaw: boolean): Promise<void> {
  const id = nextId(contender.name);
  const producer = contender.produce(id, catchUpTokens, false);
  // Wait until the whole stream is stored (rxllm) or produced (resumable-stream keeps it in memory).
  await sleep(200);
  if (rxllmRaw) {
    const key = `rxllm:{${id}}:log`;
    let stored = 0;
    while (stored < catchUpTokens) {
      const batches = (await admin.xrange(key, '-', '+')) as [string, string[]][];
      stored = batches.reduce((sum, [, fields]) => sum + fields[1]!.split('\n').length, 0);
      if (stored < catchUpTokens) await sleep(20);
    }
    const rawRead = async (parse: boolean): Promise<number> => {
      const rawStart = performance.now();
      let lines = 0;
      for (const [, fields] of (await admin.xrange(key, '-', '+')) as [string, string[]][]) {
        const batch = fields[1]!.split('\n');
        if (parse) for (const line of batch) lines += JSON.parse(line) === null ? 0 : 1;
        else lines += batch.length;
      }
      const ms = performance.now() - rawStart;
      if (lines !== catchUpTokens) throw new Error(`raw read ${lines} of ${catchUpTokens}`);
      return ms;
    };
    // Late readers and raw reads interleaved, several of each, so that a ratio compares like
    // moments of a shared machine: the medians of each, per round.
    const raws: number[] = [];
    const parses: number[] = [];
    const reads: number[] = [];
    for (let k = 0; k < catchUpReads; k++) {
      raws.push(await rawRead(false));
      parses.push(await rawRead(true));
      const start = performance.now();
      await contender.read(id, catchUpTokens);
      reads.push(performance.now() - start);
    }
    const catchUpMs = median(reads);
    result.catchUpMs.push(catchUpMs);
    result.rawMs.push(median(raws));
    result.rawParseMs.push(median(parses));
    result.overRaw.push(catchUpMs / median(raws));
    result.overRawParse.push(catchUpMs / median(parses));
  } else {
    await (contender.stored?.(id, catchUpTokens) ?? sleep(500));
    const reads: number[] = [];
    for (let k = 0; k < catchUpReads; k++) {
      const start = performance.now();
      await contender.read(id, catchUpTokens);
      reads.push(performance.now() - start);
    }
    result.catchUpMs.push(median(reads));
  }
  producer.end();
  await producer.done;
}

async function memoryPerIdle(contender: Contender, result: Result): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(100);
  const redisBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  const heapBefore = process.memoryUsage().heapUsed;
  const producers = Array.from({ length: idleStreams }, () =>
    contender.produce(nextId(contender.name), idleTokens, false),
  );
  // Idle: everything written (an rxllm stream nobody reads is written with its heartbeats, every
  // leaseMs / 3 = 3.3 s by default), no activity, the streams not ended.
  await sleep(4000);
  gc?.();
  await sleep(100);
  gc?.();
  const redisAfter = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  const heapAfter = process.memoryUsage().heapUsed;
  result.redisBytesPerIdle = (redisAfter - redisBefore) / idleStreams;
  result.heapBytesPerIdle = (heapAfter - heapBefore) / idleStreams;
  for (const producer of producers) producer.end();
  await Promise.all(producers.map((producer) => producer.done));
}

const started = Date.now();
const results: Result[] = [];
const makers: [() => Contender, boolean][] = [
  [() => rxllmContender(20), true],
  [() => rxllmContender(100), true],
  [resumableStreamContender, false],
  [assistantStreamContender, false],
];
for (const [make, isRxllm] of makers) {
  const contender = make();
  const result: Result = {
    name: contender.name,
    aloneSent: [],
    aloneServer: [],
    readerSent: [],
    readerServer: [],
    cpuUsPerToken: [],
    catchUpMs: [],
    rawMs: [],
    rawParseMs: [],
    overRaw: [],
    overRawParse: [],
    cpuWithReaderUsPerToken: [],
    redisBytesPerIdle: 0,
    heapBytesPerIdle: 0,
  };
  // Warm-up: JIT, connections and Redis's script cache (a stream that outlives one rxllm heartbeat,
  // leaseMs / 3, so that the heartbeat's script is loaded too: a one-off per process).
  const warm = contender.produce(nextId(contender.name), 2_000, false);
  await sleep(3_500);
  warm.end();
  await warm.done;
  for (let round = 0; round < rounds; round++) {
    await producerAlone(contender, result);
    await producerWithReader(contender, result);
    await catchUp(contender, result, isRxllm);
    process.stderr.write(`${contender.name}: round ${round + 1} of ${rounds} done\n`);
  }
  await memoryPerIdle(contender, result);
  contender.close();
  results.push(result);
}
admin.disconnect();
await server.stop();

// ---------------------------------------------------------------------------------------------
const [rx, rx100, rs, as] = results as [Result, Result, Result, Result];
const fmt = (value: number, digits = 1) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const range = (values: number[], digits = 1) =>
  values.length > 1
    ? `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`
    : fmt(values[0]!, digits);
const met = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
const command = `npm run bench:resumable${args.length > 0 ? ` -- ${args.filter((_, i) => (i !== outIndex && i !== outIndex + 1) || outIndex === -1).join(' ')}` : ''}`;
const row = (figure: string, pick: (r: Result) => string, target = '', verdict = '') =>
  `| ${figure} | ${pick(rx)} | ${pick(rx100)} | ${pick(rs)} | ${pick(as)} | ${target} | ${verdict} |`;

const lines = [
  '',
  '## Resumable streams: rxllm Redis log vs resumable-stream and assistant-stream',
  '',
  `\`${command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((Date.now() - started) / 1000)} s.`,
  '',
  `- Versions: node ${process.version}, redis-server ${/v=([\d.]+)/.exec(execFileSync('/usr/bin/redis-server', ['--version']).toString())?.[1]}, ioredis ${version('ioredis')}, resumable-stream ${version('resumable-stream')}, assistant-stream ${version('assistant-stream')} (\`assistant-stream/resumable\` on its ioredis store). One local redis-server, no persistence; every contender uses ioredis clients.`,
  `- Workload: ${fmt(pacedTokens, 0)} text tokens at 200 tokens/s (${tokensPerTick} every ${tokenIntervalMs} ms); rxllm records events (\`batchMs\` 20, the default, and 100), resumable-stream and assistant-stream carry each token's SSE frame (\`data: <event JSON>\`) as one chunk. A run ends when the producer's last write has landed, awaited through each package's own hook (rxllm's \`waitUntil\` option, the others' \`waitUntil\`), so no poll of Redis by the bench is counted. "With a reader": a reader on its own connections (another instance) attaches at the start and reads to the end. ${rounds} round(s), medians with the range over rounds.`,
  `- Commands: "sent" is what the clients sent (counted at ioredis \`sendCommand\`); "server" is \`INFO commandstats\`, which also counts what a Lua script runs inside one command (an rxllm write is one \`EVALSHA\` running \`XREVRANGE\`, \`XADD\` and the lease's \`SET\` and \`PEXPIRE\`s). CPU is the producer process's (user + system, the Redis client included) over the producer-alone run, less the CPU of the same pacing loop without a stream.`,
  `- Catch-up: a reader attaches to a live stream of ${fmt(catchUpTokens, 0)} tokens (written in bursts of 100) and reads it to its current end, counting what arrives (${catchUpReads} late readers per round, one after another, each interleaved with the raw reads; per round the median of each and their ratio) (rxllm: every event decoded and delivered with its seq; the others: the frames as text); raw is one \`XRANGE - +\` of the same rxllm log with the batches split into lines (no decoding). Memory: ${idleStreams} live streams of ${fmt(idleTokens, 0)} tokens, idle (no writes, not ended), Redis \`used_memory\` and this process's heap after GC, per stream.`,
  '',
  '| figure | rxllm (batchMs 20) | rxllm (batchMs 100) | resumable-stream | assistant-stream | target | |',
  '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  row(
    'Redis commands sent per 1,000 tokens, producer alone',
    (r) => range(r.aloneSent),
    'fewer than resumable-stream',
    met(median(rx.aloneSent) < median(rs.aloneSent)),
  ),
  row(
    'Redis commands sent per 1,000 tokens, with one reader',
    (r) => range(r.readerSent),
    'fewer than resumable-stream',
    met(median(rx.readerSent) < median(rs.readerSent)),
  ),
  row('commands run by Redis (commandstats) per 1,000 tokens, producer alone', (r) => range(r.aloneServer)),
  row('commands run by Redis (commandstats) per 1,000 tokens, with one reader', (r) => range(r.readerServer)),
  row(
    'producer CPU per token (µs)',
    (r) => range(r.cpuUsPerToken, 2),
    'less than resumable-stream',
    met(median(rx.cpuUsPerToken) < median(rs.cpuUsPerToken)),
  ),
  row('CPU per token, producer and one reader in one process (µs)', (r) =>
    range(r.cpuWithReaderUsPerToken, 2),
  ),
  row(`late reader catch-up, ${fmt(catchUpTokens, 0)} tokens (ms)`, (r) => range(r.catchUpMs)),
  row('raw `XRANGE` of the same log (ms)', (r) => (r.rawMs.length > 0 ? range(r.rawMs) : '')),
  row(
    'catch-up over raw (per round: median of its late readers over median of its raw reads)',
    (r) => (r.overRaw.length > 0 ? `${range(r.overRaw, 2)}×` : ''),
    '≤ 2×',
    met(median(rx.overRaw) <= 2),
  ),
  row('raw `XRANGE` and `JSON.parse` of each event (ms)', (r) =>
    r.rawParseMs.length > 0 ? range(r.rawParseMs) : '',
  ),
  row('catch-up over raw with `JSON.parse`', (r) =>
    r.overRawParse.length > 0 ? `${range(r.overRawParse, 2)}×` : '',
  ),
  row('Redis memory per idle stream (bytes)', (r) => fmt(r.redisBytesPerIdle, 0)),
  row('producer heap per idle stream (bytes)', (r) => fmt(r.heapBytesPerIdle, 0)),
  '',
];
const report = lines.join('\n');
process.stdout.write(report);
if (out !== undefined) appendFileSync(out, report);
