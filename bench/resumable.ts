/**
 * Resumable streams on one redis-server: rxllm's Redis stream log against Vercel's
 * `resumable-stream` (ioredis clients for both), on the same workload.
 *
 *   npm run bench:resumable [-- --quick] [--rounds N] [--cpu-streams N] [--out bench/RESULTS.md]
 *
 * `--only-cpu` or `--only-catchup` runs that figure alone and prints it per round (no table).
 *
 * Figures (see bench/RESULTS.md, "Resumable streams"):
 * - Redis commands per 1,000 tokens: commands the clients sent (counted at ioredis's
 *   `sendCommand`, every connection of the process), and the server's own count from `INFO
 *   commandstats` (which also counts the commands a Lua script runs), for a producer alone and for a
 *   producer with one reader that attaches at the start, as a resumed tab would.
 * - Producer CPU per token: process CPU (user + system) while many producers run at once, paced by
 *   one shared timer, less the CPU of the same timer loop with no stream.
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
import { toSSE } from '../src/operators/toSSE';
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
/**
 * Producers run at once for the CPU figure, all paced by one timer: the per-token work then
 * dominates the process's CPU (one stream's 1,000 tokens cost about as much as the timers and the
 * noise of a shared machine).
 */
const cpuStreamsIndex = args.indexOf('--cpu-streams');
const cpuStreams = cpuStreamsIndex !== -1 ? Number(args[cpuStreamsIndex + 1]) : quick ? 50 : 100;
const onlyCatchUp = args.includes('--only-catchup');
const onlyCpu = args.includes('--only-cpu');
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

/** One stream being produced: tokens pushed by the bench, then ended. */
interface Producer {
  /** Hands token `i` to the producer. */
  push(i: number): void;
  /** Ends the source; `done` resolves once the package's last write has landed. */
  end(): void;
  done: Promise<void>;
  /** Resolves once `count` tokens are where a late reader finds them (each package's own signal). */
  stored(count: number): Promise<void>;
}

interface Contender {
  name: string;
  produce(id: string): Producer;
  /**
   * Reads the stream from its start until `count` tokens arrived. `live`: it may not be open yet
   * (a reader that attaches with the producer waits for it); a late reader knows it is.
   */
  read(id: string, count: number, live: boolean): Promise<void>;
  close(): void;
}

/** Pushes tokens 0 to `count - 1` into every producer: paced (one timer for all) or in bursts of 100. */
async function drive(
  count: number,
  paced: boolean,
  producers: readonly Pick<Producer, 'push'>[],
): Promise<void> {
  for (let i = 0; i < count; i++) {
    for (const producer of producers) producer.push(i);
    if (paced) {
      if (i % tokensPerTick === tokensPerTick - 1) await sleep(tokenIntervalMs);
    } else if (i % 100 === 99) await turn();
  }
}

/**
 * The producer of a package that takes a `ReadableStream` of frames: the bench pushes frames, the
 * package's own response is read back as an HTTP response would be (counting its frames), the
 * stream closes on `end`, and it is done when the package's last write, handed to its `waitUntil`
 * (whose next call `finished` answers), has landed.
 */
function produceFrames<T>(
  frame: (i: number) => T,
  finished: ((promise: Promise<unknown>) => void)[],
  start: (source: ReadableStream<T>) => Promise<ReadableStream<unknown>>,
  stored?: (count: number) => Promise<void>,
): Producer {
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
  let written!: Promise<unknown>;
  finished.push((promise) => (written = promise));
  /** Frames the producer's own response has delivered, and who waits for how many. */
  let delivered = 0;
  const waiting: [number, () => void][] = [];
  const decoder = new TextDecoder();
  const response = start(source);
  const reading = (async () => {
    const reader = (await response).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const text = typeof value === 'string' ? value : decoder.decode(value as Uint8Array, { stream: true });
      delivered += text.split('\n\n').length - 1;
      for (let w = waiting.length - 1; w >= 0; w--) {
        if (delivered >= waiting[w]![0]) waiting.splice(w, 1)[0]![1]();
      }
    }
  })();
  const done = (async () => {
    await ended;
    close();
    await reading;
    await written;
  })();
  return {
    push: (i) => push(frame(i)),
    end: endNow,
    done,
    stored:
      stored ??
      ((count) =>
        delivered >= count
          ? Promise.resolve()
          : new Promise<void>((resolve) => waiting.push([count, resolve]))),
  };
}

/** Frames rxllm's producers served to their first client (read, so that the work is not dropped). */
let framesServed = 0;

function rxllmContender(batchMs: number): Contender {
  const connection = client();
  const log = createRedisStreamLog(connection);
  // Readers are on another instance: their own store and connection.
  const readerConnection = client();
  const readerLog = createRedisStreamLog(readerConnection);
  return {
    name: `rxllm (batchMs ${batchMs})`,
    produce(id) {
      const source = new Subject<RxllmEvent>();
      // Done once the log is terminalized: the end's write resolved (no poll of Redis).
      let written!: Promise<void>;
      // The producer serves its first client, as resumable-stream's and assistant-stream's
      // producers do (their own response, read back by produceFrames): the recorded events as SSE
      // frames, counted the same way. The counter is kept where the optimizer cannot drop it.
      const recorded = new Promise<void>((resolve, reject) =>
        source
          .pipe(recordStream(log, id, { batchMs, waitUntil: (last) => (written = last) }), toSSE())
          .subscribe({
            next: (frames) => void (framesServed += frames.split('\n\n').length - 1),
            complete: resolve,
            error: reject,
          }),
      );
      let endNow!: () => void;
      const ended = new Promise<void>((resolve) => (endNow = resolve));
      const done = (async () => {
        await ended;
        source.complete();
        await recorded;
        await written;
      })();
      return {
        push: (i) => source.next(textEvent(i)),
        end: endNow,
        done,
        // Polls the log (on the bench's own connection, outside any counted run): a stream nobody
        // reads is written with the lease's heartbeats, so there is no write to await.
        async stored(count) {
          const key = `rxllm:{${id}}:log`;
          for (;;) {
            const batches = (await admin.xrange(key, '-', '+')) as [string, string[]][];
            let lines = 0;
            for (const [, fields] of batches) if (fields[0] === 'e') lines += fields[1]!.split('\n').length;
            if (lines >= count) return;
            await sleep(20);
          }
        },
      };
    },
    async read(id, count, live) {
      // Attach once the producer has opened the stream (resumable-stream's reader waits the same way).
      if (live) while ((await readerLog.state(id)) === 'unknown') await sleep(2);
      // Every event decoded and delivered with its seq, counted as it arrives (as an SSE response
      // writes and drops it; resumable-stream's reader below counts its frames the same way).
      await new Promise<void>((resolve, reject) => {
        let read = 0;
        const subscription = fromStreamLogEntries(readerLog, id).subscribe({
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
      readerLog.close();
      connection.disconnect();
      readerConnection.disconnect();
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
    produce(id) {
      // The producer's own response reads what it makes, as an HTTP response would; a token is
      // stored (in the producer's memory, where a reader's request finds it) once it went through.
      return produceFrames(
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
    produce(id) {
      // run() elects this call the producer, starts the task that appends each chunk, and returns
      // the producer's own response, which reads the stream back from the store. A token is stored
      // once its append resolved (its `onAppend` hook).
      return produceFrames(
        (i) => encoder.encode(frameOf(i)),
        finished,
        (source) => context.run(id, () => source),
        async (count) => {
          while ((appended.get(id) ?? 0) < count) await sleep(20);
        },
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
  pacingUsPerToken: number[];
  catchUpMs: number[];
  rawMs: number[];
  rawParseMs: number[];
  overRaw: number[];
  overRawParse: number[];
  cpuWithReaderUsPerToken: number[];
  redisBytesPerIdle: number;
  heapBytesPerIdle: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** CPU (user + system, µs) of `work`. */
async function cpuOf(work: () => Promise<void>): Promise<number> {
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  return used.user + used.system;
}

/** A paced run of one producer (or none: the pacing loop alone), to its last write. */
async function pacedRun(producers: Producer[]): Promise<void> {
  await drive(pacedTokens, true, producers);
  for (const producer of producers) producer.end();
  await Promise.all(producers.map((producer) => producer.done));
}

async function producerAlone(contender: Contender, result: Result): Promise<void> {
  const id = nextId(contender.name);
  if (trace) process.stderr.write(`${contender.name}, producer alone:\n`);
  const run = await counted(() => pacedRun([contender.produce(id)]));
  if (trace) process.stderr.write(`${contender.name}, producer alone: done\n`);
  result.aloneSent.push((run.sent * 1000) / pacedTokens);
  result.aloneServer.push((run.server * 1000) / pacedTokens);
}

/**
 * Producer CPU per token: `cpuStreams` producers at once, paced by one timer (4 tokens to each every
 * 20 ms), from their start to their last write, less the CPU of the same loop with no stream
 * (measured before and after, the mean taken off).
 */
async function producersCpu(contender: Contender, result: Result): Promise<void> {
  const pacing = () => cpuOf(() => pacedRun(Array.from({ length: cpuStreams }, () => idleProducer)));
  gc();
  const before = await pacing();
  gc();
  const cpuUs = await cpuOf(() =>
    pacedRun(Array.from({ length: cpuStreams }, () => contender.produce(nextId(contender.name)))),
  );
  gc();
  const after = await pacing();
  result.pacingUsPerToken.push((before + after) / 2 / (cpuStreams * pacedTokens));
  result.cpuUsPerToken.push((cpuUs - (before + after) / 2) / (cpuStreams * pacedTokens));
}
const idleProducer: Producer = {
  push() {},
  end() {},
  done: Promise.resolve(),
  stored: () => Promise.resolve(),
};

async function producerWithReader(contender: Contender, result: Result): Promise<void> {
  const id = nextId(contender.name);
  const before = await cpuOf(() => pacedRun([idleProducer]));
  const run = await counted(async () => {
    const producer = contender.produce(id);
    const reading = contender.read(id, pacedTokens, true);
    await pacedRun([producer]);
    await reading;
  });
  const baseline = (before + (await cpuOf(() => pacedRun([idleProducer])))) / 2;
  result.readerSent.push((run.sent * 1000) / pacedTokens);
  result.readerServer.push((run.server * 1000) / pacedTokens);
  result.cpuWithReaderUsPerToken.push(Math.max(0, run.cpuUs - baseline) / pacedTokens);
}

/** `work`'s wall time, started after a full GC (no timed read pays for the garbage of the one before). */
async function timed(work: () => Promise<unknown>): Promise<number> {
  gc();
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** A live stream of `catchUpTokens` (written in bursts), then late readers read it all. */
async function catchUp(contender: Contender, result: Result, rxllmRaw: boolean): Promise<void> {
  const id = nextId(contender.name);
  const producer = contender.produce(id);
  await drive(catchUpTokens, false, [producer]);
  // Every token where a late reader finds it: each package's own signal (see Producer.stored).
  await producer.stored(catchUpTokens);
  const reads: number[] = [];
  /**
   * One timed late read. A read that fails is read again, its time not counted (and said on stderr):
   * resumable-stream's reader gives up when the producer's answer to its request takes over a
   * second, which a loaded machine can make happen.
   */
  const read = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        reads.push(await timed(() => contender.read(id, catchUpTokens, false)));
        return;
      } catch (error) {
        if (attempt === 3) throw error;
        process.stderr.write(`${contender.name}: a late read failed (${String(error)}), read again\n`);
      }
    }
  };
  if (rxllmRaw) {
    const key = `rxllm:{${id}}:log`;
    /** The raw read, on a connection of its own as the reader has (a fresh one, warmed up once). */
    const raw = client();
    const rawRead = async (parse: boolean): Promise<number> => {
      let lines = 0;
      const ms = await timed(async () => {
        for (const [, fields] of (await raw.xrange(key, '-', '+')) as [string, string[]][]) {
          if (fields[0] !== 'e') continue;
          const batch = fields[1]!.split('\n');
          if (parse) for (const line of batch) lines += JSON.parse(line) === null ? 0 : 1;
          else lines += batch.length;
        }
      });
      if (lines !== catchUpTokens) throw new Error(`raw read ${lines} of ${catchUpTokens}`);
      return ms;
    };
    // Late readers and raw reads interleaved, several of each, in alternating order (neither
    // always runs first), so that a ratio compares like moments of a shared machine: the medians
    // of each, per round. One of each first, untimed, to warm up both paths alike.
    await rawRead(true);
    await contender.read(id, catchUpTokens, false);
    const raws: number[] = [];
    const parses: number[] = [];
    for (let k = 0; k < catchUpReads; k++) {
      if (k % 2 === 0) await read();
      raws.push(await rawRead(false));
      parses.push(await rawRead(true));
      if (k % 2 === 1) await read();
    }
    raw.disconnect();
    const catchUpMs = median(reads);
    result.catchUpMs.push(catchUpMs);
    result.rawMs.push(median(raws));
    result.rawParseMs.push(median(parses));
    result.overRaw.push(catchUpMs / median(raws));
    result.overRawParse.push(catchUpMs / median(parses));
  } else {
    await read();
    reads.length = 0;
    for (let k = 0; k < catchUpReads; k++) await read();
    result.catchUpMs.push(median(reads));
  }
  producer.end();
  await producer.done;
}

async function memoryPerIdle(contender: Contender, result: Result): Promise<void> {
  gc();
  await sleep(100);
  const redisBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  const heapBefore = process.memoryUsage().heapUsed;
  const producers = Array.from({ length: idleStreams }, () => contender.produce(nextId(contender.name)));
  await drive(idleTokens, false, producers);
  // Idle: every token stored (each package's own signal; an rxllm stream nobody reads is written
  // with its heartbeats, every leaseMs / 3 = 3.3 s by default), no activity, the streams not ended.
  await Promise.all(producers.map((producer) => producer.stored(idleTokens)));
  await sleep(100);
  gc();
  await sleep(100);
  gc();
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
    pacingUsPerToken: [],
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
  const warm = contender.produce(nextId(contender.name));
  await drive(2_000, false, [warm]);
  await sleep(3_500);
  warm.end();
  await warm.done;
  for (let round = 0; round < rounds; round++) {
    if (onlyCpu) {
      await producersCpu(contender, result);
      process.stderr.write(
        `${contender.name}: cpu ${result.cpuUsPerToken.at(-1)!.toFixed(2)} pacing ${result.pacingUsPerToken.at(-1)!.toFixed(2)}\n`,
      );
      continue;
    }
    if (onlyCatchUp) {
      if (!isRxllm) continue;
      await catchUp(contender, result, isRxllm);
      process.stderr.write(
        `${contender.name}: catch-up ${result.catchUpMs.at(-1)!.toFixed(1)} raw ${result.rawMs.at(-1)!.toFixed(1)} ratio ${result.overRaw.at(-1)!.toFixed(2)}\n`,
      );
      continue;
    }
    await producerAlone(contender, result);
    await producersCpu(contender, result);
    await producerWithReader(contender, result);
    await catchUp(contender, result, isRxllm);
    process.stderr.write(`${contender.name}: round ${round + 1} of ${rounds} done\n`);
  }
  if (onlyCpu || onlyCatchUp) {
    contender.close();
    continue;
  }
  await memoryPerIdle(contender, result);
  contender.close();
  results.push(result);
}
admin.disconnect();
await server.stop();
if (onlyCpu || onlyCatchUp) process.exit(0);

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
  `- Commands: "sent" is what the clients sent (counted at ioredis \`sendCommand\`); "server" is \`INFO commandstats\`, which also counts what a Lua script runs inside one command (an rxllm write is one \`EVALSHA\` running \`XREVRANGE\`, \`XADD\` and the lease's \`SET\` and \`PEXPIRE\`s). Producer CPU is this process's (user + system, the Redis clients included) while ${cpuStreams} producers run at once, all paced by one timer (${tokensPerTick} tokens to each every ${tokenIntervalMs} ms), from their start to their last write, less the CPU of the same loop with no stream (run before and after), per token of all of them.`,
  `- Catch-up: a reader attaches to a live stream of ${fmt(catchUpTokens, 0)} tokens (written in bursts of 100) and reads it to its current end, counting what arrives (${catchUpReads} late readers per round, one after another, each interleaved with the raw reads; per round the median of each and their ratio) (rxllm: every event decoded and delivered with its seq; the others: the frames as text). Each reader is on connections of its own (another instance) and waits for nothing: the stream is stored by then (each package's own signal: rxllm's log holds every token, resumable-stream's producer has passed every frame on, assistant-stream's appends have resolved). Raw is one \`XRANGE - +\` of the same rxllm log on a connection of its own, with the batches split into lines (no decoding). Every timed read starts after a full GC; a round begins with one untimed read of each kind, and the rxllm reader runs before and after the raw reads in turn. Memory: ${idleStreams} live streams of ${fmt(idleTokens, 0)} tokens, idle (no writes, not ended), Redis \`used_memory\` and this process's heap after GC, per stream.`,
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
    `producer CPU per token, ${cpuStreams} streams at once (µs)`,
    (r) => range(r.cpuUsPerToken, 2),
    'less than resumable-stream',
    met(median(rx.cpuUsPerToken) < median(rs.cpuUsPerToken)),
  ),
  row('pacing loop alone, CPU per token (taken off the row above) (µs)', (r) => range(r.pacingUsPerToken, 2)),
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
