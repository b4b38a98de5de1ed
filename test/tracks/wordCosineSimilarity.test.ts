import { wordCosineSimilarity } from '../../src/tracks/wordCosineSimilarity';

describe('wordCosineSimilarity', () => {
  it('is 1 for the same words in another order and case', () => {
    expect(wordCosineSimilarity('The cat sat.', 'sat, the CAT')).toBeCloseTo(1, 12);
  });

  it('is the cosine of word counts', () => {
    // a = {a:2, b:1}, b = {a:1, c:1}: dot 2, |a| = √5, |b| = √2.
    expect(wordCosineSimilarity('a a b', 'a c')).toBeCloseTo(2 / (Math.sqrt(5) * Math.sqrt(2)), 12);
  });

  it('counts each CJK character as a word, and ignores emoji and punctuation', () => {
    // {你, 好, 世, 界} vs {你, 好}: dot 2, |a| = 2, |b| = √2.
    expect(wordCosineSimilarity('你好世界 👋', '你好!')).toBeCloseTo(2 / (2 * Math.sqrt(2)), 12);
  });

  it('treats empty texts as agreeing only with each other', () => {
    expect(wordCosineSimilarity('', '')).toBe(1);
    expect(wordCosineSimilarity('word', '...')).toBe(0);
  });
});
