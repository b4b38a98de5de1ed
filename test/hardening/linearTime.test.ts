/**
 * Linear time on hostile input: 1 MB of text with no boundary, one endless string, one growing
 * array, through every text-processing operator and decoder. Work is measured by deterministic
 * counts (characters handed to JSON.parse, elements copied into emissions, characters the scanners
 * read), never by a clock. LINEAR_TIME_SIZE shrinks the input (to check these against old code,
 * which would otherwise run for minutes).
 */
import { parsePartialJson } from '../../src/internal/parsePartialJson';

const size = Number(process.env.LINEAR_TIME_SIZE ?? 1_000_000);

/** Characters handed to JSON.parse while `run` runs. */
function jsonParseWork(run: () => void): { calls: number; chars: number } {
  const parse = jest.spyOn(JSON, 'parse');
  try {
    run();
    return {
      calls: parse.mock.calls.length,
      chars: parse.mock.calls.reduce((sum, [input]) => sum + String(input).length, 0),
    };
  } finally {
    parse.mockRestore();
  }
}

describe('parsePartialJson', () => {
  it.each([
    ['an unfinished key', (n: number) => `{"${'k'.repeat(n)}`],
    ['an unfinished number', (n: number) => `[1, ${'1'.repeat(n)}.`],
    ['garbage after a value', (n: number) => `{"a": 1 ${'x'.repeat(n)}`],
    ['an open array of objects', (n: number) => '[{"a":1},'.repeat(Math.ceil(n / 9))],
    ['an endless string', (n: number) => `{"a": "${'s'.repeat(n)}`],
  ])('hands JSON.parse O(n) characters for %s', (_name, make) => {
    const text = make(size);
    const work = jsonParseWork(() => parsePartialJson(text));
    expect(work.calls).toBeLessThanOrEqual(2);
    expect(work.chars).toBeLessThanOrEqual(3 * text.length);
  });
});
