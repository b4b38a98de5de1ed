import { approximateTokens } from './approximateTokens';
import type { TokenEstimator } from './loadTokenEstimator';
import { isWhitespace } from '../base/graphemes';

/**
 * Text held before it is counted: enough for the estimator to see whole words, small enough that
 * counting it (a few milliseconds with gpt-tokenizer at its slowest) never blocks the event loop
 * for long. The tally also keeps whatever follows the last word boundary of the text held.
 */
export const tallyChunkSize = 1024;

/**
 * Text with no word boundary at all (one endless word, a script written without spaces) is counted
 * once this much of it is held, cut wherever it reaches this size: the only case where the count
 * may differ from counting the whole text at once (by a token or so per cut).
 */
export const tallyMaxHeld = 65_536;

/**
 * Counts a growing text's tokens as it arrives, in chunks cut before a space that follows a
 * non-space: o200k_base (and cl100k_base) split text into pieces that never run from a non-space
 * across a space, and count each piece on its own, so the counts of such chunks add up to the
 * count of the whole (`test/pricing/TokenTally.test.ts` holds gpt-tokenizer to that).
 * `approximateTokens` is counted by characters (exact: it is characters / 4 rounded up). Holds no
 * array per delta: at most one chunk's pieces and the count so far.
 *
 * `estimator()` is asked when a chunk is ready; while it answers `undefined` (the default
 * tokenizer still loading) the text waits. An estimator that throws stops the counting; `total`
 * throws its error again.
 */
export class TokenTally {
  private pieces: string[] = [];
  private heldLength = 0;
  /** Hold this much before looking for a cut again: doubles after a search that found none. */
  private threshold = tallyChunkSize;
  private tokens = 0;
  /** Characters counted by `approximateTokens`, whose rounding is applied once at the end. */
  private characters = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly estimator: () => TokenEstimator | undefined) {}

  /** No text has arrived since the last `clear`. */
  get empty(): boolean {
    return this.heldLength === 0 && this.tokens === 0 && this.characters === 0 && this.failure === undefined;
  }

  /** Characters held, not counted yet: fewer than `tallyMaxHeld` plus a chunk plus the last delta. */
  get held(): number {
    return this.heldLength;
  }

  add(text: string): void {
    if (text === '' || this.failure !== undefined) return;
    this.pieces.push(text);
    this.heldLength += text.length;
    if (this.heldLength >= this.threshold) this.countChunk();
  }

  /** Forgets everything: a provider's snapshot now covers the text so far. */
  clear(): void {
    this.pieces = [];
    this.heldLength = 0;
    this.threshold = tallyChunkSize;
    this.tokens = 0;
    this.characters = 0;
    this.failure = undefined;
  }

  /** The count of all the text added since the last `clear`, with `estimator` for what is still held. */
  total(estimator: TokenEstimator): number {
    if (this.failure !== undefined) throw this.failure.error;
    const rest = this.pieces.join('');
    this.pieces = rest === '' ? [] : [rest];
    // Characters were counted only if the estimator is approximateTokens, which it stays.
    if (estimator === approximateTokens || this.characters > 0)
      return this.tokens + Math.ceil((this.characters + rest.length) / 4);
    return this.tokens + (rest === '' ? 0 : estimator(rest));
  }

  /** Counts the held text up to its last word boundary, keeping the rest. */
  private countChunk(): void {
    const estimator = this.estimator();
    if (estimator === undefined) {
      // Still loading: joined (no array per delta), looked at again once the text has doubled.
      // Not after a chunk more: each join copies all the text held, so joining every chunk would
      // copy a long stream's text once per KB (quadratic, the UI pipeline benchmark's slowdown).
      this.pieces = [this.pieces.join('')];
      this.threshold = Math.max(this.heldLength * 2, this.heldLength + tallyChunkSize);
      return;
    }
    if (estimator === approximateTokens) {
      this.characters += this.heldLength;
      this.pieces = [];
      this.heldLength = 0;
      return;
    }
    const text = this.pieces.join('');
    let cut = lastBoundary(text);
    // What would stay held after the boundary (or all of it, with none).
    const rest = cut <= 0 ? text.length : text.length - cut;
    if (rest >= tallyMaxHeld) {
      cut = text.length;
      // Never between the halves of a surrogate pair.
      const before = text.charCodeAt(cut - 1);
      if (before >= 0xd800 && before <= 0xdbff) cut -= 1;
    } else if (cut <= 0) {
      this.pieces = [text];
      // Look again once it has doubled: one endless word costs linear time, not a join per delta.
      this.threshold = Math.min(text.length * 2, tallyMaxHeld);
      return;
    }
    try {
      this.tokens += estimator(text.slice(0, cut));
    } catch (error) {
      this.failure = { error };
      this.pieces = [];
      this.heldLength = 0;
      return;
    }
    const left = text.slice(cut);
    this.pieces = left === '' ? [] : [left];
    this.heldLength = left.length;
    this.threshold = left.length + tallyChunkSize;
  }
}

/** The index of the last space that follows a character other than white space, or -1. */
function lastBoundary(text: string): number {
  for (let at = text.lastIndexOf(' '); at > 0; at = text.lastIndexOf(' ', at - 1)) {
    if (!isWhitespace(text.charCodeAt(at - 1))) return at;
  }
  return -1;
}
