/**
 * Where text may be cut without splitting a user-perceived character (an extended grapheme
 * cluster: a surrogate pair, an emoji ZWJ sequence, a flag, a letter with its combining marks).
 *
 * Used by the operators that re-chunk text (`bufferTokens`, `throttleTokens`). Intl.Segmenter
 * decides where it exists (every current browser, Node 16+); elsewhere a conservative
 * approximation does. ASCII and Latin-1 text takes a fast path that never reaches either.
 */

/** A window around a cut that the segmenter looks at: longer than any real cluster. */
const window = 64;

let segmenter: Intl.Segmenter | null | undefined;

function graphemeSegmenter(): Intl.Segmenter | null {
  if (segmenter === undefined) {
    segmenter =
      typeof Intl !== 'undefined' && 'Segmenter' in Intl
        ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
        : null;
  }
  return segmenter;
}

/**
 * Code units that extend the character before them: combining marks (variation selectors and the
 * keycap U+20E3 are marks too), skin-tone modifiers, tag characters, joiners. The joiners come last
 * in the class: a ZWJ between two members reads as a joined sequence (no-misleading-character-class).
 */
const extender = /^[\p{M}\p{Emoji_Modifier}\u{E0020}-\u{E007F}\u200C\u200D]/u;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when cutting `text` at `index` (between `index - 1` and `index`) splits no grapheme cluster. */
export function isGraphemeBoundary(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return true;
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  // Fast path: below U+0300 nothing extends or joins, except CR LF, which is one cluster.
  if (before < 0x300 && after < 0x300) return !(before === 13 && after === 10);
  if (isHighSurrogate(before) && isLowSurrogate(after)) return false;
  // After a character that never starts a longer cluster (Latin-1, CJK), only an extender
  // (a mark, joiner, selector, skin tone or tag) can follow within the cluster: no need for ICU.
  if ((before < 0x300 && before !== 13) || isCjk(before)) return !extender.test(text.slice(index, index + 2));
  const seg = graphemeSegmenter();
  if (seg) {
    const start = Math.max(0, index - window);
    const slice = text.slice(start, Math.min(text.length, index + window));
    return seg.segment(slice).containing(index - start)!.index === index - start;
  }
  return approximateBoundary(text, index);
}

/** Without Intl.Segmenter: no cut before an extender, after a joiner, or inside a flag pair. */
function approximateBoundary(text: string, index: number): boolean {
  if (extender.test(text.slice(index, index + 2))) return false;
  if (text.charCodeAt(index - 1) === 0x200d) return false;
  const regional = /\p{Regional_Indicator}/u;
  if (regional.test(text.slice(index, index + 2))) {
    // Count the regional indicators before the cut: an odd run means the cut halves a flag.
    let run = 0;
    for (let i = index; i >= 2 && regional.test(text.slice(i - 2, i)); i -= 2) run++;
    return run % 2 === 0;
  }
  return true;
}

/**
 * Code points after which the next delta may well continue the same cluster: a lone high
 * surrogate, CR (before LF), a joiner, a variation selector, a combining mark or virama, an emoji
 * (which may take a skin tone, a selector or a ZWJ), a regional indicator (half a flag), and the
 * letters of the Brahmic and Southeast Asian scripts, whose clusters are built from several
 * code points that tokenizers routinely split.
 */
const openTail =
  /[\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u0900-\u109F\u1780-\u17FF\u200C\u200D]$/u;

/**
 * True when the cluster that ends `text` may still be extended by text that has not arrived yet,
 * so that emitting all of `text` now could split a cluster between two emissions.
 */
export function hasOpenTail(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  if (last < 0x300) return last === 13;
  if (isHighSurrogate(last)) return true;
  return openTail.test(text.slice(-2));
}

/**
 * The index where the last grapheme cluster of `text` begins: the first boundary before its last
 * character, looked for at most a window back (see `safeCut`).
 */
export function lastGraphemeStart(text: string): number {
  return text.length === 0 ? 0 : safeCut(text, text.length - 1, true);
}

/** The end of the grapheme cluster that begins at `index`. */
export function nextGraphemeEnd(text: string, index: number): number {
  let end = index + 1;
  while (end < text.length && !isGraphemeBoundary(text, end)) end++;
  return end;
}

/**
 * Moves `cut` back until it splits no cluster (at most a window back). When `final` is false and the cut is at the end of
 * `text`, a trailing cluster that may still grow ({@link hasOpenTail}) is held back as well.
 */
export function safeCut(text: string, cut: number, final: boolean): number {
  if (cut >= text.length) {
    if (final || !hasOpenTail(text)) return text.length;
    return lastGraphemeStart(text);
  }
  // At most a window back: a longer "cluster" (hostile text, a letter with thousands of marks) is
  // cut there, as the segmenter's window cuts it, rather than walked through whole, a segmentation
  // per character on every delta (quadratic in the held text), and held back whole.
  const floor = Math.max(0, cut - window);
  while (cut > floor && !isGraphemeBoundary(text, cut)) cut--;
  return cut;
}

/** The number of grapheme clusters in `text` (what a reader counts as characters). */
export function countGraphemes(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x300) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text.length - countCrLf(text);
  const seg = graphemeSegmenter();
  let count = 0;
  if (seg) {
    for (const _ of seg.segment(text)) count++;
    return count;
  }
  for (let i = 0; i < text.length; i = nextGraphemeEnd(text, i)) count++;
  return count;
}

function countCrLf(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) count++;
  return count;
}

/**
 * Characters that end a word: whitespace, and each Chinese or Japanese character (those scripts
 * write words without spaces, and one ideograph or kana is the natural unit to show).
 */
export function endsWord(code: number): boolean {
  return isWhitespace(code) || isCjk(code);
}

export function isWhitespace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Han ideographs, kana, CJK punctuation and full-width forms (Basic Multilingual Plane). */
export function isCjk(code: number): boolean {
  return (
    (code >= 0x3000 && code <= 0x30ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff00 && code <= 0xffef)
  );
}
