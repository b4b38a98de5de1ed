import { VirtualTimeScheduler } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { throttleTokens, type ThrottleTokensConfig } from '../../src/operators/throttleTokens';
import { ev } from '../../src/testing';
import { gatedSource, turns } from '../sinks/gatedSource';

/**
 * throttleTokens holds a gate-aware source back while more than 64 Ki characters wait for its pace,
 * and lets it read again as the pace drains them, in every mode: the backlog accounting (queued
 * minus emitted) must neither leak (a stall for ever) nor undercount. It never holds the source
 * back while the pace waits for input (a line not finished yet): that would wait for ever.
 */

// One word per delta: 1,000 characters ending in a space; no line break anywhere.
const deltas = Array.from({ length: 100 }, (_, i) =>
  ev.text(`${String(i).padStart(4, '0')}${'x'.repeat(995)} `),
);
const text = deltas.map((event) => (event.type === 'text' ? event.text : '')).join('');

function run(config: ThrottleTokensConfig) {
  const scheduler = new VirtualTimeScheduler();
  const { source, stats } = gatedSource<RxllmEvent>([...deltas, ev.finish()], { perChunk: 8 });
  const result = { received: '', completed: false };
  source.pipe(throttleTokens({ ...config, scheduler })).subscribe({
    next: (event) => {
      if (event.type === 'text') result.received += event.text;
    },
    complete: () => (result.completed = true),
  });
  /** The consumer takes what the pace gives until the stream completes. */
  const drain = async () => {
    for (let rounds = 0; !result.completed && rounds < 10_000; rounds++) {
      scheduler.flush();
      await turns(1);
    }
  };
  return { stats, result, drain };
}

describe.each<[string, ThrottleTokensConfig]>([
  ['a steady rate of characters', { charactersPerSecond: 1000 }],
  ['a steady rate of words, paced flush', { wordsPerSecond: 1000, flush: 'paced' }],
  ['an interval', { intervalMs: 10 }],
])('throttleTokens backlog with %s', (_, config) => {
  it('stops the source near 64 Ki queued characters and drains to every character in order', async () => {
    const { stats, result, drain } = run(config);
    // The pace does not move: the source runs until the backlog gate closes, then waits.
    await stats.nextWait();
    await turns();
    expect(stats.produced).toBeGreaterThanOrEqual(64);
    expect(stats.produced).toBeLessThan(64 + 8 + 8); // 64 Ki characters, plus the chunk that crossed it
    expect(result.completed).toBe(false);

    await drain();
    expect(stats.produced).toBe(deltas.length + 1);
    expect(stats.waits).toBeGreaterThanOrEqual(1);
    expect(result.received).toBe(text);
    expect(result.completed).toBe(true);
  });
});

it('throttleTokens by line does not hold the source back while the line is unfinished (no deadlock)', async () => {
  const { stats, result, drain } = run({ charactersPerSecond: 1000, chunking: 'line' });
  await drain();
  expect(stats.produced).toBe(deltas.length + 1);
  expect(result.received).toBe(text);
  expect(result.completed).toBe(true);
});
