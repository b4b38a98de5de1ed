/**
 * One decoder for every stream: `decode` without `stream: true` keeps no state between calls.
 * `ignoreBOM`, because a BOM is dropped only at the start of a stream (see {@link Utf8Decoder}).
 */
const stateless = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * UTF-8 bytes to text, chunk by chunk, a sequence cut anywhere: exactly what
 * `new TextDecoder().decode(chunk, { stream: true })` returns for each chunk, and what `decode()`
 * returns at the end (test/wire/utf8Decoder.test.ts holds it to that on fuzzed bytes).
 *
 * Why not that TextDecoder: a streaming decode makes each stream build its own ICU converter on
 * its first chunk (tens of µs, in the way of the first text) and decodes through it, where a
 * stateless decode takes the runtime's fast UTF-8 path (simdutf in Node). So this holds back only
 * the bytes of a sequence that the chunk cuts in half (at most 3), and decodes everything else
 * statelessly: a chunk ending inside a sequence that is still valid so far keeps those bytes for
 * the next chunk, as the streaming decoder does; any other byte is decoded at once (an invalid one
 * as U+FFFD, as the streaming decoder would, at the same point).
 *
 * A class rather than a closure: its methods outlive every stream, and with them their optimized
 * code, which a full GC otherwise collects along with the closures of finished streams.
 */
export class Utf8Decoder {
  /** The start of a sequence that the last chunk cut off, valid so far. */
  private held: Uint8Array | undefined = undefined;
  /** Text came out since the start (or the last `end`): a BOM is no longer the first character. */
  private started = false;

  /** The text of `chunk`, without a sequence cut off at its end (kept for the next chunk). */
  decode(chunk: Uint8Array): string {
    let from = 0;
    let head = '';
    const held = this.held;
    if (held !== undefined) {
      // The continuation bytes this chunk starts with, as many as the held sequence lacks.
      const lacking = sequenceLength(held[0]!) - held.length;
      while (from < lacking && from < chunk.length && continues(held[0]!, held.length + from, chunk[from]!))
        from++;
      if (from < lacking && from === chunk.length) {
        this.held = joined(held, chunk); // still cut off: a chunk of one or two bytes
        return '';
      }
      // Complete, or broken by a byte that does not continue it (then one U+FFFD, as streaming).
      head = stateless.decode(joined(held, chunk.subarray(0, from)));
      this.held = undefined;
    }
    const end = completeEnd(chunk, from);
    // Copied: the caller may reuse the chunk's buffer for the next read.
    if (end < chunk.length) this.held = chunk.slice(end);
    const text = end > from ? head + stateless.decode(chunk.subarray(from, end)) : head;
    return this.started ? text : this.first(text);
  }

  /** The end of the input: a sequence still cut off is one U+FFFD. The next chunk starts a new stream. */
  end(): string {
    const held = this.held;
    this.held = undefined;
    const text = held === undefined ? '' : this.first(stateless.decode(held));
    this.started = false;
    return text;
  }

  /** Drops a BOM that is the first character of the stream, as a TextDecoder does. */
  private first(text: string): string {
    if (text === '') return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/** How many bytes the sequence that `lead` starts has; 1 for ASCII and for a byte that starts none. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/**
 * Whether `byte` can be byte `at` (1, 2 or 3) of a sequence led by `lead`: the second byte's range
 * depends on the lead (the Encoding Standard's UTF-8 decoder excludes overlong forms, surrogates
 * and code points above U+10FFFF there); the others are 0x80–0xBF.
 */
function continues(lead: number, at: number, byte: number): boolean {
  if (at === 1) {
    if (lead === 0xe0) return byte >= 0xa0 && byte <= 0xbf;
    if (lead === 0xed) return byte >= 0x80 && byte <= 0x9f;
    if (lead === 0xf0) return byte >= 0x90 && byte <= 0xbf;
    if (lead === 0xf4) return byte >= 0x80 && byte <= 0x8f;
  }
  return byte >= 0x80 && byte <= 0xbf;
}

/**
 * Where the sequence that `chunk` ends inside of starts, if it is valid so far (those bytes wait
 * for the next chunk), else `chunk.length`. Looks at the last 3 bytes only (from `from` on).
 */
function completeEnd(chunk: Uint8Array, from: number): number {
  const length = chunk.length;
  let lead = length - 1;
  const stop = Math.max(from, length - 3);
  while (lead >= stop && chunk[lead]! >= 0x80 && chunk[lead]! <= 0xbf) lead--;
  if (lead < stop) return length;
  const first = chunk[lead]!;
  if (length - lead >= sequenceLength(first)) return length;
  for (let at = lead + 1; at < length; at++) if (!continues(first, at - lead, chunk[at]!)) return length;
  return lead;
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
