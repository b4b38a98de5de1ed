// Built by a pure call: a `new RegExp` of a template literal is kept by a bundle of the built
// chunks (esbuild cannot tell that the template has no side effect) even where nothing compares.
const wordPattern = /* @__PURE__ */ wordRegExp();

/** A word is a run of letters and digits; in scripts written without spaces each character is a word. */
function wordRegExp(): RegExp {
  const cjk = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
  return new RegExp(`[${cjk}]|(?:(?![${cjk}])[\\p{L}\\p{N}])+`, 'gu');
}

/**
 * How far two texts agree, in [0, 1]: the cosine of their word-count vectors ("bag of words").
 * Words are lower-cased runs of letters and digits; Chinese, Japanese and Korean characters
 * count one each. 1 means the same words in the same proportions (order is ignored), 0 means no
 * word in common. Two empty texts agree fully; an empty and a non-empty one not at all.
 *
 * Chosen for `compare` because it is cheap, order-insensitive (two models that say the same
 * thing in another order still agree) and easy to explain; it does not see synonyms.
 */
export function wordCosineSimilarity(a: string, b: string): number {
  const countsA = wordCounts(a);
  const countsB = wordCounts(b);
  if (countsA.size === 0 || countsB.size === 0) return countsA.size === countsB.size ? 1 : 0;
  let dot = 0;
  for (const [word, count] of countsA) dot += count * (countsB.get(word) ?? 0);
  return dot / (norm(countsA) * norm(countsB));
}

function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [word] of text.toLowerCase().matchAll(wordPattern))
    counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

function norm(counts: Map<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count * count;
  return Math.sqrt(sum);
}
