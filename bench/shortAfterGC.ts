/**
 * Short streams after a full GC:
 * `node --expose-gc --import tsx bench/shortAfterGC.ts [wire] [reps] [partial]` (`partial` is
 * fromSSE's, default `full`; add `--trace-deopt` before `--import` to count deoptimizations).
 * Warms up, then for each repetition times one 64-token stream through `fromSSE` and through the floor
 * (eventsource-parser + JSON.parse), each right after a full GC, in wall time (one 64-token stream
 * is below the resolution of process CPU time), in two orders:
 * - after a stream of its own: each contender reads one untimed stream, then the GC, then the
 *   timed one: a server between its requests (the target's figure);
 * - after the other's stream: the GC follows the other contender's timed stream (the order the
 *   bench used first). What a GC leaves cold is then also what the other contender did not touch,
 *   and the contender whose stream touches more code pays more for it.
 * Prints the medians of each and their ratios. V8 deoptimizes code whose feedback names object
 * shapes that the GC collected, and rebuilds the hidden classes no live object had (see
 * src/wire/keepShapes.ts).
 */
import { createParser } from 'eventsource-parser';
import { fromSSE } from '../src/sources/fromSSE';
import '../src/dialects/openai-chat';
import '../src/dialects/anthropic';
import '../src/dialects/openai-responses';
import type { PartialMode } from '../src/wire/types';
import { dialectOf, generateStream, textDeltaOf, type Wire } from './generate';

const wire = (process.argv[2] ?? 'openai') as Wire;
const dialect = dialectOf[wire];
const reps = Number(process.argv[3] ?? 30);
const partial = (process.argv[4] ?? 'full') as PartialMode;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const stream = generateStream(wire, 64, 3);

const body = (): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      for (const slice of stream.slices) controller.enqueue(slice);
      controller.close();
    },
  });

async function rxllm(): Promise<string> {
  let text = '';
  await new Promise<void>((resolve, reject) =>
    fromSSE(body(), { dialect, partial }).subscribe({
      next: (event) => {
        if (event.type === 'text') text += event.text;
      },
      error: reject,
      complete: resolve,
    }),
  );
  return text;
}

async function floor(): Promise<string> {
  let text = '';
  const parser = createParser({
    onEvent(message) {
      if (message.data === '[DONE]') return;
      const delta = textDeltaOf[wire](JSON.parse(message.data));
      if (typeof delta === 'string') text += delta;
    },
  });
  const reader = body().getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  parser.feed(`${decoder.decode()}\n\n`);
  return text;
}

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const hr = () => Number(process.hrtime.bigint()) / 1e6;

async function timed(run: () => Promise<string>, warm: boolean): Promise<number> {
  if (warm) await run();
  gc!();
  const start = hr();
  const text = await run();
  const ms = hr() - start;
  if (text !== stream.text) throw new Error('wrong text');
  return ms;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
for (let i = 0; i < 200; i++) {
  await rxllm();
  await floor();
}
console.log('TIMED-PHASE');
const ours: number[] = [];
const theirs: number[] = [];
const oursAfterOther: number[] = [];
const theirsAfterOther: number[] = [];
const cpuStart = cpuMs();
for (let i = 0; i < reps; i++) {
  ours.push(await timed(rxllm, true));
  theirs.push(await timed(floor, true));
  // Each right after the other's timed stream (the floor's above, then rxllm's).
  oursAfterOther.push(await timed(rxllm, false));
  theirsAfterOther.push(await timed(floor, false));
}
const afterOther = {
  rxllmMs: median(oursAfterOther),
  floorMs: median(theirsAfterOther),
  ratio: median(oursAfterOther) / median(theirsAfterOther),
};
console.log(
  `RESULT ${JSON.stringify({ wire, reps, rxllmMs: median(ours), floorMs: median(theirs), ratio: median(ours) / median(theirs), afterOther, cpuMs: cpuMs() - cpuStart })}`,
);
