/**
 * The longest event-loop block of `aggregateUsage`'s estimate: `node --import tsx bench/usageBlock.ts [tokens]`
 * [random|prose] (default 1,000,000 random). A million text deltas arrive as from a socket (100 per
 * macrotask) through `aggregateUsage` with the default estimator (gpt-tokenizer's o200k_base,
 * loaded up front: loading it is a one-time cost of the process, reported on its own) and no
 * provider usage, so that every token is estimated. Measures each synchronous stretch: every
 * macrotask that delivers deltas (the tally counting a chunk inside it) and the completion, minus
 * nothing. Prints the longest and the 99th percentile, against the same deliveries without
 * aggregateUsage, and the one-pass count the operator did before it counted incrementally
 * (gpt-tokenizer on the whole text at completion). Wall time: run it on an idle machine, or read
 * the `cpu saturation` line.
 */
import { performance } from 'node:perf_hooks';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Observable } from 'rxjs';
import type { RxllmEvent, UsageEvent } from '../src/base/events';
import { aggregateUsage } from '../src/operators/aggregateUsage';
import { loadTokenEstimator } from '../src/pricing/loadTokenEstimator';
import { readFileSync } from 'node:fs';
import { generateTokens, prng } from './generate';

function proseTokens(total: number): string[] {
  const words = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const random = prng(2);
  const out: string[] = [];
  for (let at = 0; out.length < total;) {
    const size = 1 + Math.floor(random() * 6);
    out.push(words.slice(at, at + size));
    at = at + size >= words.length ? 0 : at + size;
  }
  return out;
}

const count = Number(process.argv[2] ?? 1_000_000);
// About what one socket read of an OpenAI stream carries (16 KB at ~150 bytes per chunk).
const perTask = 100;
/**
 * `random`: bench/generate.ts's tokens (random letters, the tokenizer's worst case: its merge cache
 * never hits); `prose`: the README's words, cut into tokens of 1–6 characters.
 */
const workload = (process.argv[3] ?? 'random') as 'random' | 'prose';

const loadStart = performance.now();
await loadTokenEstimator();
const loadMs = performance.now() - loadStart;

const tokens = workload === 'random' ? generateTokens(count, 1) : proseTokens(count);
const text = tokens.join('');

/** Delivers the tokens in macrotasks, timing each one; resolves with the stretches and the last usage. */
function run(
  withUsage: boolean,
): Promise<{ stretches: number[]; usage?: UsageEvent; wallMs: number; cpuMs: number }> {
  const stretches: number[] = [];
  let usage: UsageEvent | undefined;
  const cpu = process.cpuUsage();
  const wall = performance.now();
  return new Promise((resolve, reject) => {
    const source$ = new Observable<RxllmEvent>((subscriber) => {
      let at = 0;
      const push = () => {
        const start = performance.now();
        for (const end = Math.min(at + perTask, tokens.length); at < end; at++)
          subscriber.next({ type: 'text', text: tokens[at]! });
        if (at === tokens.length) subscriber.complete(); // the completion's count is in this stretch
        stretches.push(performance.now() - start);
        if (at < tokens.length) setImmediate(push);
      };
      subscriber.next({ type: 'start', model: 'gpt-4o' });
      setImmediate(push);
    });
    (withUsage ? source$.pipe(aggregateUsage()) : source$).subscribe({
      next: (event) => {
        if (event.type === 'usage') usage = event;
      },
      error: reject,
      complete: () => {
        const used = process.cpuUsage(cpu);
        const wallMs = performance.now() - wall;
        resolve({ stretches, usage, wallMs, cpuMs: (used.user + used.system) / 1000 });
      },
    });
  });
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

await run(true); // warm-up
const plain = await run(false);
const metered = await run(true);
const onePassStart = performance.now();
const onePass = countTokens(text);
const onePassMs = performance.now() - onePassStart;

if (metered.usage?.outputTokens !== onePass) {
  console.error(`wrong count: ${metered.usage?.outputTokens} incrementally, ${onePass} in one pass`);
  process.exit(1);
}
const round = (ms: number) => Math.round(ms * 100) / 100;
const result = {
  workload,
  tokens: count,
  characters: text.length,
  outputTokens: onePass,
  longestBlockMs: round(Math.max(...metered.stretches)),
  p99BlockMs: round(percentile(metered.stretches, 0.99)),
  withoutAggregateUsage: {
    longestBlockMs: round(Math.max(...plain.stretches)),
    p99BlockMs: round(percentile(plain.stretches, 0.99)),
  },
  onePassCountMs: round(onePassMs),
  tokenizerLoadMs: round(loadMs),
  // Above 1 the process waited for the CPU: another process had it.
  cpuSaturation: round(metered.wallMs / metered.cpuMs),
};
console.log(`RESULT ${JSON.stringify(result)}`);
