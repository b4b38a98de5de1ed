import { countTokens, encode } from 'gpt-tokenizer/encoding/o200k_base';
import { loadTokenEstimator, tokenizerMergeCacheSize } from '../../src/pricing/loadTokenEstimator';
import { mulberry32 } from '../support/decodeFixture';

/** Words no cache has seen: random letters from a seeded generator. */
function unfamiliarWords(count: number): string[] {
  const random = mulberry32(7);
  const letter = () => String.fromCharCode(97 + Math.floor(random() * 26));
  return Array.from({ length: count }, (_, i) => ' ' + Array.from({ length: 3 + (i % 9) }, letter).join(''));
}

describe('loadTokenEstimator', () => {
  it('counts as gpt-tokenizer o200k_base does, also once its own merge cache has overflowed many times', async () => {
    const estimate = await loadTokenEstimator();
    // Several times more distinct pieces than the cache holds: every piece is evicted and recounted.
    const words = unfamiliarWords(tokenizerMergeCacheSize * 4);
    const text = words.join('');
    expect(estimate(text)).toBe(countTokens(text));
    expect(estimate(text)).toBe(encode(text).length);
    for (const sample of ['Hello, world! 你好 😀', words.slice(0, 50).join(''), '']) {
      expect(estimate(sample)).toBe(countTokens(sample));
    }
  });

  it('resolves with the same estimator on every call', async () => {
    expect(await loadTokenEstimator()).toBe(await loadTokenEstimator());
  });
});
