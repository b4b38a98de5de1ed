/**
 * What a source's `partial` costs: `node --expose-gc --import tsx bench/partialCost.ts [tokens] [rounds]`
 * (default 200,000 tokens, 5 rounds). Reads the generated OpenAI stream through `fromSSE` with
 * `partial: 'full' | 'text' | 'none'`, alternately, in one process. Per mode: the median CPU time
 * of a read (process CPU time: user + system) over rounds, with its range, and the heap the source
 * still holds at the stream's last event (after a full GC there, minus the heap before the read):
 * what a failure's `partial` would keep.
 */
import { fromSSE } from '../src/sources/fromSSE';
import '../src/dialects/openai-chat';
import type { PartialMode } from '../src/wire/types';
import { generateStream } from './generate';

const tokens = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const stream = generateStream('openai', tokens, 1);

const body = (): ReadableStream<Uint8Array> => {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at < stream.slices.length) controller.enqueue(stream.slices[at++]!);
      else controller.close();
    },
  });
};

const cpu = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

async function read(partial: PartialMode, measureHeap: boolean): Promise<{ ms: number; heldMB: number }> {
  // A turn of the event loop first: the last read's source lets go of its state on teardown.
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc!();
  const before = process.memoryUsage().heapUsed;
  let held = 0;
  let characters = 0;
  const start = cpu();
  await new Promise<void>((resolve, reject) =>
    fromSSE(body(), { dialect: 'openai-chat', partial }).subscribe({
      next: (event) => {
        if (event.type === 'text') characters += event.text.length;
        else if (event.type === 'finish' && measureHeap) {
          gc!();
          held = process.memoryUsage().heapUsed - before;
        }
      },
      error: reject,
      complete: resolve,
    }),
  );
  const ms = cpu() - start;
  if (characters !== stream.text.length) throw new Error('wrong text');
  return { ms, heldMB: held / 1e6 };
}

const modes: PartialMode[] = ['full', 'text', 'none'];
for (const mode of modes) await read(mode, false); // warm-up
const times = new Map<PartialMode, number[]>(modes.map((mode) => [mode, []]));
const held = new Map<PartialMode, number[]>(modes.map((mode) => [mode, []]));
for (let round = 0; round < rounds; round++) {
  for (const mode of [...modes.slice(round % 3), ...modes.slice(0, round % 3)]) {
    times.get(mode)!.push((await read(mode, false)).ms);
    held.get(mode)!.push((await read(mode, true)).heldMB);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const fixed = (value: number, digits = 1) => Number(value.toFixed(digits));
const result = Object.fromEntries(
  modes.map((mode) => {
    const ms = times.get(mode)!;
    const none = median(times.get('none')!);
    return [
      mode,
      {
        cpuMs: fixed(median(ms)),
        cpuRange: [fixed(Math.min(...ms)), fixed(Math.max(...ms))],
        overNone: fixed(median(ms) / none, 3),
        heldMB: fixed(median(held.get(mode)!), 2),
      },
    ];
  }),
);
console.log(
  `RESULT ${JSON.stringify({ tokens, rounds, textMB: fixed(stream.text.length / 1e6, 2), ...result })}`,
);
