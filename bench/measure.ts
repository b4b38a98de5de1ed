/**
 * One contender measured in the current process: a warm-up, one large stream (throughput, peak
 * memory growth) and a series of small requests (whole cost per request, time to first text).
 * Every run's text is compared with the generator's; a wrong text throws.
 */
import { getHeapStatistics } from 'node:v8';
import { Network, newProbe, textOf, type Contender } from './contenders';
import { generateStream, type GeneratedStream } from './generate';

export interface MeasureOptions {
  /** Tokens of the large stream. */
  tokens: number;
  /** Tokens of each small request. */
  smallTokens: number;
  /**
   * How many times the large stream is read in this process (after a GC each time); its figures
   * are the median time and the highest peak. Default 1.
   */
  repeats?: number;
  /** How many small requests are timed (after as many untimed ones, at most 10). */
  smallIterations: number;
  seed: number;
}

export interface Measurement {
  name: string;
  tokens: number;
  bytes: number;
  /**
   * CPU milliseconds of the process (user + system, every thread: GC included) for the large
   * stream, from the request to the last text. CPU time rather than wall time: on a shared
   * machine another process's load stretches wall time far more than it does this.
   */
  ms: number;
  /** Wall-clock milliseconds of the same. */
  wallMs: number;
  tokensPerSecond: number;
  /** Median, over the small requests, of first text event minus first byte handed over (ms). */
  firstTextMs: number;
  /** Median whole cost of one small request (ms). */
  smallMs: number;
  /** Peak heap + external memory above the level before the large stream (MB). */
  peakGrowthMB: number;
  textLength: number;
  /**
   * The floor's figures on the same bytes, measured in the same process alternately with this
   * contender (absent for the floor itself, and when measured without a reference).
   */
  floor?: { ms: number; smallMs: number; firstTextMs: number };
}

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): number {
  const stats = getHeapStatistics();
  return stats.used_heap_size + (stats as { external_memory?: number }).external_memory!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Throws when a contender's text differs from the generator's, saying where. */
export function checkText(name: string, actual: string, expected: GeneratedStream): void {
  if (actual === expected.text) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected.text[at]) at++;
  throw new Error(
    `${name}: wrong text for ${expected.tokens} ${expected.wire} tokens: ${actual.length} characters, expected ${expected.text.length}; first difference at ${at}: ${JSON.stringify(actual.slice(at, at + 20))} vs ${JSON.stringify(expected.text.slice(at, at + 20))}`,
  );
}

/** Serves one contender in this process: `once(stream)` reads a stream and checks its text. */
function runner(contender: Contender) {
  const network = new Network();
  const serve = contender.setup(network);
  return async (stream: GeneratedStream, onSlice?: (index: number) => void) => {
    const probe = newProbe(onSlice);
    network.set(stream, probe);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const output = await serve(stream, probe);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const text = textOf(output);
    checkText(contender.name, text, stream);
    return {
      ms,
      cpuMs: (used.user + used.system) / 1000,
      firstTextMs: probe.firstText - probe.firstByte,
      text,
    };
  };
}

/**
 * Measures `contender`; with a `reference` (the floor on the same bytes), runs it in the same
 * process alternately with the contender, read for read, so that the ratio compares work done
 * at the same moment on the same machine state rather than seconds apart in another process.
 */
export async function measure(
  contender: Contender,
  options: MeasureOptions,
  reference?: Contender,
): Promise<Measurement> {
  const once = runner(contender);
  const floorOnce = reference === undefined || reference === contender ? undefined : runner(reference);
  const large = generateStream(contender.wire, options.tokens, options.seed);
  const small = generateStream(contender.wire, options.smallTokens, options.seed + 1);
  const warm = generateStream(contender.wire, Math.min(2_000, options.tokens), options.seed + 2);

  // Warm-up: the JIT sees the code before anything is timed.
  for (let i = 0; i < 2; i++) {
    await once(warm);
    await floorOnce?.(warm);
  }
  const untimed = Math.min(10, options.smallIterations);
  for (let i = 0; i < untimed; i++) {
    await once(small);
    await floorOnce?.(small);
  }

  const times: number[] = [];
  const floorTimes: number[] = [];
  const wallTimes: number[] = [];
  let growth = 0;
  let textLength = 0;
  for (let repeat = 0; repeat < (options.repeats ?? 1); repeat++) {
    // The floor samples memory as the contender does (the sampling has a cost), and the two take
    // turns going first.
    const floorRun = async () => {
      if (!floorOnce) return;
      gc?.();
      gc?.();
      let ignored = 0;
      const floorSample = (index: number) => {
        if ((index & 3) === 0) ignored = Math.max(ignored, memory());
      };
      floorTimes.push((await floorOnce(large, floorSample)).cpuMs);
    };
    if (repeat % 2 === 0) await floorRun();
    gc?.();
    gc?.();
    const base = memory();
    let peak = base;
    const sample = (index: number) => {
      if ((index & 3) === 0) {
        const now = memory();
        if (now > peak) peak = now;
      }
    };
    const run = await once(large, sample);
    peak = Math.max(peak, memory());
    growth = Math.max(growth, peak - base);
    times.push(run.cpuMs);
    wallTimes.push(run.ms);
    textLength = run.text.length;
    if (repeat % 2 === 1) await floorRun();
  }
  const cpuMs = median(times);

  const smallMs: number[] = [];
  const firstText: number[] = [];
  const floorSmallMs: number[] = [];
  const floorFirstText: number[] = [];
  for (let i = 0; i < options.smallIterations; i++) {
    const result = await once(small);
    smallMs.push(result.ms);
    firstText.push(result.firstTextMs);
    if (floorOnce) {
      const floor = await floorOnce(small);
      floorSmallMs.push(floor.ms);
      floorFirstText.push(floor.firstTextMs);
    }
  }

  const paired = floorOnce
    ? {
        floor: {
          ms: median(floorTimes),
          smallMs: median(floorSmallMs),
          firstTextMs: median(floorFirstText),
        },
      }
    : {};
  return {
    name: contender.name,
    tokens: large.tokens,
    bytes: large.bytes,
    ms: cpuMs,
    wallMs: median(wallTimes),
    tokensPerSecond: (large.tokens * 1000) / cpuMs,
    firstTextMs: median(firstText),
    smallMs: median(smallMs),
    peakGrowthMB: growth / 2 ** 20,
    textLength,
    ...paired,
  };
}

export { median };
