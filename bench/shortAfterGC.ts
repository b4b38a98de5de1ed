/**
 * Short streams after a full GC: `node --expose-gc --import tsx bench/shortAfterGC.ts [wire] [reps]`
 * (add `--trace-deopt` before `--import` to count deoptimizations). Warms up, then for each
 * repetition runs a full GC and times one 64-token stream through `fromSSE` and through the floor
 * (eventsource-parser + JSON.parse), alternately, in wall time (one 64-token stream is below the
 * resolution of process CPU time). Prints the median of each and their
 * ratio: V8 deoptimizes code whose feedback names object shapes that the GC collected, and an
 * event that gains a property after creation (`seq`) has such a shape.
 */
import { createParser } from 'eventsource-parser';
import { fromSSE } from '../src/sources/fromSSE';
import '../src/dialects/openai-chat';
import '../src/dialects/anthropic';
import { generateStream } from './generate';

const wire = (process.argv[2] ?? 'openai') as 'openai' | 'anthropic';
const reps = Number(process.argv[3] ?? 30);
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
    fromSSE(body(), { dialect: wire === 'openai' ? 'openai-chat' : 'anthropic' }).subscribe({
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
      const json = JSON.parse(message.data);
      const delta = wire === 'openai' ? json.choices?.[0]?.delta?.content : json.delta?.text;
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

async function timed(run: () => Promise<string>): Promise<number> {
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
const cpuStart = cpuMs();
for (let i = 0; i < reps; i++) {
  ours.push(await timed(rxllm));
  theirs.push(await timed(floor));
}
console.log(
  `RESULT ${JSON.stringify({ wire, reps, rxllmMs: median(ours), floorMs: median(theirs), ratio: median(ours) / median(theirs), cpuMs: cpuMs() - cpuStart })}`,
);
