/**
 * Many slow streams at once, as a server relaying or a dashboard watching them sees them: each
 * stream gets one OpenAI chunk every `1000 / rate` ms from a timer, through a pull-free
 * `ReadableStream` (the socket stand-in), into a pipeline. Measures heap per stream (after a GC,
 * early, while buffers are still small, and again late) and the event-loop delay (p50, p99).
 * Every stream's text is compared with what was sent.
 */
import { createHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createParser } from 'eventsource-parser';
import { aggregateUsage } from '../src/operators/aggregateUsage';
import { fromSSE } from '../src/sources/fromSSE';
import { generateTokens } from './generate';
import { openAIChatFrames } from './openAIChatFrames';

export type ConcurrencyPipeline = 'floor' | 'rxllm';

export interface ConcurrencyOptions {
  pipeline: ConcurrencyPipeline;
  streams: number;
  seconds: number;
  /** Tokens per second per stream. */
  rate: number;
}

export interface ConcurrencyResult {
  pipeline: ConcurrencyPipeline;
  streams: number;
  tokensPerStream: number;
  /** Wall time from the first stream opened to the last one completed (ms). */
  elapsedMs: number;
  /**
   * Heap per stream above the level before any stream, after a GC, one second in (a fifth of the
   * way, if sooner), while buffers are still small (KB).
   */
  earlyKBPerStream: number;
  /** The same at four fifths of the way (KB): early plus what the streams accumulated. */
  lateKBPerStream: number;
  /** CPU time of the process (user + system) per token delivered, from first stream to last (µs). */
  cpuMicrosPerToken: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => getHeapStatistics().used_heap_size;

/** A stream's consumer: the floor (parser + JSON.parse) or rxllm (fromSSE → aggregateUsage). */
function consume(
  pipeline: ConcurrencyPipeline,
  body: ReadableStream<Uint8Array>,
  done: (text: string) => void,
  fail: (error: unknown) => void,
): void {
  if (pipeline === 'rxllm') {
    let text = '';
    fromSSE(body, { dialect: 'openai-chat' })
      .pipe(aggregateUsage())
      .subscribe({
        next(event) {
          if (event.type === 'text') text += event.text;
        },
        error: fail,
        complete: () => done(text),
      });
    return;
  }
  let text = '';
  const parser = createParser({
    onEvent(message) {
      if (message.data === '[DONE]') return;
      const delta = JSON.parse(message.data).choices?.[0]?.delta?.content;
      if (typeof delta === 'string') text += delta;
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const loop = async () => {
    for (;;) {
      const { done: ended, value } = await reader.read();
      if (ended) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    done(text);
  };
  loop().catch(fail);
}

export async function runConcurrency(options: ConcurrencyOptions): Promise<ConcurrencyResult> {
  const { pipeline, streams, seconds, rate } = options;
  const total = Math.max(1, Math.round(seconds * rate));
  const pool = generateTokens(997, 11);
  const { first, frames, tail } = openAIChatFrames(pool, total);
  // Worked out before the streams start, so that checking them at the end costs nothing then.
  const expected: string[] = [];
  for (let stream = 0; stream < streams; stream++) {
    let text = '';
    for (let j = 0; j < total; j++) text += pool[(stream * 7 + j) % pool.length];
    expected.push(text);
  }

  gc?.();
  gc?.();
  const base = heap();
  const controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  const sent = new Int32Array(streams);
  let finished = 0;
  let failure: unknown;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const end = () => {
    if (++finished === streams) resolveAll();
  };

  for (let i = 0; i < streams; i++) {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controllers[i] = controller;
        controller.enqueue(first);
      },
    });
    consume(
      pipeline,
      body,
      (text) => {
        const want = expected[i]!;
        if (text !== want && failure === undefined)
          failure = new Error(
            `${pipeline}: stream ${i} produced ${text.length} characters, expected ${want.length}`,
          );
        end();
      },
      (error) => {
        failure ??= error;
        end();
      },
    );
  }

  // One timer for all streams: every `tick` ms a fifth of them (say) get their next chunk, so each
  // stream gets `rate` chunks a second, and the load is spread evenly over time.
  const tick = 10;
  const groups = Math.max(1, Math.round(1000 / rate / tick));
  // Event-loop delay: how late a 5 ms interval timer fires, in µs. Measured here rather than with
  // `monitorEventLoopDelay`, whose disable/enable still records the gap, so that the forced GCs
  // (pauses of our own making) can be left out.
  const resolution = 5;
  const delay = createHistogram();
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    delay.record(Math.max(1, Math.round((now - last - resolution) * 1000)));
    last = now;
  }, resolution);
  const ticksTotal = total * groups;
  // Early: one second in (or a fifth of the run, if shorter), while each stream holds little text.
  const early = Math.max(1, Math.min(Math.round(1000 / tick), Math.round(ticksTotal / 5)));
  const late = Math.round((ticksTotal * 4) / 5);
  let earlyBytes = 0;
  let lateBytes = 0;
  const measureHeap = () => {
    // A forced GC is a pause of our own making: keep it out of the delay histogram.
    gc?.();
    const used = heap() - base;
    last = performance.now();
    return used;
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const group = ticks % groups;
      for (let i = group; i < streams; i += groups) {
        if (sent[i]! >= total) continue;
        const controller = controllers[i]!;
        controller.enqueue(frames[(i * 7 + sent[i]!) % frames.length]!);
        if (++sent[i]! === total) {
          controller.enqueue(tail);
          controller.close();
        }
      }
      ticks++;
      if (ticks === early) earlyBytes = measureHeap();
      if (ticks === late) lateBytes = measureHeap();
      if (ticks >= ticksTotal) {
        clearInterval(timer);
        resolve();
      }
    }, tick);
  });
  await all;
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  if (failure !== undefined) throw failure;
  const kb = (bytes: number) => bytes / 1024 / streams;
  return {
    pipeline,
    streams,
    tokensPerStream: total,
    elapsedMs,
    earlyKBPerStream: kb(earlyBytes),
    lateKBPerStream: kb(lateBytes),
    cpuMicrosPerToken: (used.user + used.system) / (streams * total),
    loopDelayP50Ms: delay.percentile(50) / 1000,
    loopDelayP99Ms: delay.percentile(99) / 1000,
    loopDelayMaxMs: delay.max / 1000,
  };
}
