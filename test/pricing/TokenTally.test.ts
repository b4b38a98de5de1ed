import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { RxllmEvent, UsageEvent } from '../../src/base/events';
import { aggregateUsage } from '../../src/operators/aggregateUsage';
import { approximateTokens } from '../../src/pricing/approximateTokens';
import { TokenTally, tallyChunkSize, tallyMaxHeld } from '../../src/pricing/TokenTally';

/** A deterministic generator (mulberry32), so that a failure names a reproducible seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What trips a tokenizer's pre-split: runs of spaces, line breaks, contractions, numbers, capitals,
// punctuation runs, tabs, non-Latin scripts, emoji (surrogate pairs), combining marks.
const parts = [
  'the',
  ' the',
  'The',
  ' QUICK',
  'brown',
  ' fox',
  "'s",
  "'LL",
  ' 1234567',
  '42',
  ' ',
  '  ',
  '   ',
  '\n',
  '\n\n',
  ' \n',
  '\r\n',
  '\t',
  '.',
  '...',
  ' —',
  '!?',
  ' (',
  ')',
  '//',
  ' /',
  '{"a": 1}',
  ' 日本語',
  'のテキスト',
  ' Привет',
  ' مرحبا',
  ' 😀',
  '👍🏽',
  ' é',
  'e\u0301',
  '\u00a0',
  ' x',
  'y ',
];

/** A long text, and the deltas it arrives in (1–12 characters, cut anywhere, even inside a pair). */
function stream(seed: number, length: number): { text: string; deltas: string[] } {
  const next = random(seed);
  let text = '';
  while (text.length < length) text += parts[Math.floor(next() * parts.length)];
  const deltas: string[] = [];
  for (let at = 0; at < text.length;) {
    const size = 1 + Math.floor(next() * 12);
    deltas.push(text.slice(at, at + size));
    at += size;
  }
  return { text, deltas };
}

describe('TokenTally', () => {
  it.each([1, 2, 3, 4, 5])(
    'counts streamed text exactly as gpt-tokenizer counts it whole (seed %i)',
    (seed) => {
      const { text, deltas } = stream(seed, 120_000);
      const calls: number[] = [];
      const tally = new TokenTally(() => (chunk) => {
        calls.push(chunk.length);
        return countTokens(chunk);
      });
      for (const delta of deltas) tally.add(delta);
      expect(tally.total(countTokens)).toBe(countTokens(text));
      // It did count as the text arrived, in chunks, not all of it at the end.
      expect(calls.length).toBeGreaterThan(20);
      expect(Math.max(...calls)).toBeLessThan(tallyChunkSize * 2);
    },
  );

  it('holds less than two chunks while text with spaces arrives', () => {
    const { deltas } = stream(7, 200_000);
    const tally = new TokenTally(() => countTokens);
    let most = 0;
    for (const delta of deltas) {
      tally.add(delta);
      most = Math.max(most, tally.held);
    }
    expect(most).toBeLessThan(tallyChunkSize * 2);
  });

  it('holds at most tallyMaxHeld of text without a space, and counts all of it', () => {
    const word = 'abcdefghij'.repeat(30_000); // 300,000 characters, no boundary
    const tally = new TokenTally(() => (text) => text.length);
    let most = 0;
    for (let at = 0; at < word.length; at += 7) {
      tally.add(word.slice(at, at + 7));
      most = Math.max(most, tally.held);
    }
    expect(most).toBeLessThanOrEqual(tallyMaxHeld + 7);
    expect(tally.total((text) => text.length)).toBe(word.length);
  });

  it('counts approximateTokens by characters: the same as counting the whole text', () => {
    const { text, deltas } = stream(9, 50_001);
    const tally = new TokenTally(() => approximateTokens);
    for (const delta of deltas) tally.add(delta);
    expect(tally.held).toBeLessThan(tallyChunkSize + 12);
    expect(tally.total(approximateTokens)).toBe(approximateTokens(text));
  });

  it('holds the text while the estimator is not known yet, joined, and counts it once it is', () => {
    const { text, deltas } = stream(11, 30_000);
    let ready = false;
    const tally = new TokenTally(() => (ready ? countTokens : undefined));
    for (const delta of deltas.slice(0, 1000)) tally.add(delta);
    expect(tally.held).toBe(deltas.slice(0, 1000).join('').length);
    ready = true;
    for (const delta of deltas.slice(1000)) tally.add(delta);
    expect(tally.held).toBeLessThan(text.length / 2);
    expect(tally.total(countTokens)).toBe(countTokens(text));
  });

  it('joins the text it holds while the estimator is not known a logarithmic number of times, not once per chunk', () => {
    // Each join copies all the text held: once per chunk would be quadratic in a long stream.
    const { text, deltas } = stream(12, 200_000);
    let asked = 0;
    const tally = new TokenTally(() => {
      asked += 1;
      return undefined;
    });
    for (const delta of deltas) tally.add(delta);
    expect(text.length).toBeGreaterThan(tallyChunkSize * 64);
    expect(tally.held).toBe(text.length);
    expect(asked).toBeLessThanOrEqual(Math.ceil(Math.log2(text.length / tallyChunkSize)) + 1);
    expect(tally.total(countTokens)).toBe(countTokens(text));
  });

  it('starts afresh on clear, and throws an estimator failure again at the total', () => {
    const tally = new TokenTally(() => countTokens);
    tally.add('some words');
    tally.clear();
    expect(tally.empty).toBe(true);
    tally.add('two words');
    expect(tally.total(countTokens)).toBe(countTokens('two words'));

    const boom = new Error('estimator failed');
    const failing = new TokenTally(() => () => {
      throw boom;
    });
    for (let i = 0; i < 2000; i++) failing.add('word ');
    expect(() => failing.total(countTokens)).toThrow(boom);
  });

  it('lets aggregateUsage count a long answer as it arrives: the one-pass estimate, no chunk over two', async () => {
    const { text, deltas } = stream(13, 300_000);
    const calls: number[] = [];
    const estimate = (chunk: string) => {
      calls.push(chunk.length);
      return countTokens(chunk);
    };
    // Deltas arrive over several macrotasks, as from a socket.
    const source$ = new Observable<RxllmEvent>((subscriber) => {
      let at = 0;
      const push = () => {
        for (const end = Math.min(at + 5000, deltas.length); at < end; at++)
          subscriber.next({ type: 'text', text: deltas[at]! });
        if (at < deltas.length) setImmediate(push);
        else subscriber.complete();
      };
      subscriber.next({ type: 'start', model: 'gpt-4o' });
      push();
    });
    const events = await lastValueFrom(source$.pipe(aggregateUsage({ estimate }), toArray()));
    const usage = events.filter((event): event is UsageEvent => event.type === 'usage').at(-1);
    expect(usage).toMatchObject({ outputTokens: countTokens(text), estimated: true });
    expect(Math.max(...calls)).toBeLessThan(tallyChunkSize * 2);
  });
});
