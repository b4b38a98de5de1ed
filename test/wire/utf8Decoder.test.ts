import fc from 'fast-check';
import { Utf8Decoder } from '../../src/wire/Utf8Decoder';

// Utf8Decoder against the reference it replaces, a streaming TextDecoder: chunk for chunk the
// same text (so text leaves at the same point of the input), and the same at the end.

const encode = (text: string) => new TextEncoder().encode(text);

/** What a streaming TextDecoder returns for each chunk, then at the end. */
function reference(chunks: Uint8Array[]): string[] {
  const decoder = new TextDecoder();
  return [...chunks.map((chunk) => decoder.decode(chunk, { stream: true })), decoder.decode()];
}

function ours(chunks: Uint8Array[], decoder = new Utf8Decoder()): string[] {
  return [...chunks.map((chunk) => decoder.decode(chunk)), decoder.end()];
}

/** `bytes` cut at `cuts` (offsets, any order, repeats make empty chunks). */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  return at.slice(1).map((end, i) => bytes.subarray(at[i]!, end));
}

// Pieces that a stream is made of: text of every UTF-8 length, a BOM, and bytes that are not
// UTF-8 (lone continuations, overlong and surrogate forms, leads cut short, bytes never valid).
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encode),
  fc.constantFrom('a', 'é', '中', '😀', '\uFEFF').map(encode),
  fc
    .constantFrom(
      [0x80],
      [0xbf],
      [0xc0, 0x80],
      [0xc2],
      [0xe0, 0x80],
      [0xe0, 0xa0],
      [0xed, 0xa0, 0x80],
      [0xf0, 0x8f],
      [0xf4, 0x90],
      [0xf0, 0x9f, 0x98],
      [0xf5],
      [0xff],
    )
    .map((bytes) => Uint8Array.from(bytes)),
);

const stream = fc.array(piece, { maxLength: 12 }).map((pieces) => {
  const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
});

describe('Utf8Decoder', () => {
  it('gives what a streaming TextDecoder gives, chunk for chunk, however the bytes are cut', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const chunks = cut(bytes, cuts);
        expect(ours(chunks)).toEqual(reference(chunks));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2000), seed: 20_261_204 },
    );
  });

  it('holds back a sequence cut in half, and only that', () => {
    const decoder = new Utf8Decoder();
    const smile = encode('😀'); // F0 9F 98 80
    expect(decoder.decode(Uint8Array.of(0x61, smile[0]!, smile[1]!))).toBe('a');
    expect(decoder.decode(smile.subarray(2, 3))).toBe('');
    expect(decoder.decode(Uint8Array.of(smile[3]!, 0x62))).toBe('😀b');
    // A lead followed by a byte that cannot continue it is an error at once, not held.
    expect(decoder.decode(Uint8Array.of(0x63, 0xe0, 0x80))).toBe('c\uFFFD\uFFFD');
    // Cut off at the end of the input: one replacement character.
    expect(decoder.decode(Uint8Array.of(0xe4, 0xb8))).toBe('');
    expect(decoder.end()).toBe('\uFFFD');
  });

  it('drops a BOM only as the first character of a stream, and again after end()', () => {
    const decoder = new Utf8Decoder();
    const bom = encode('\uFEFF');
    expect(ours([bom.subarray(0, 1), Uint8Array.of(...bom.subarray(1), 0x61, ...bom)], decoder)).toEqual([
      '',
      'a\uFEFF',
      '',
    ]);
    // end() resets, as TextDecoder's flush does: a reconnected stream may start with a BOM.
    expect(ours([Uint8Array.of(...bom, 0x62)], decoder)).toEqual(['b', '']);
  });

  it('keeps the bytes it holds even when the caller reuses its buffer', () => {
    const decoder = new Utf8Decoder();
    const buffer = Uint8Array.of(0x61, 0xe4, 0xb8);
    expect(decoder.decode(buffer)).toBe('a');
    buffer.fill(0);
    expect(decoder.decode(Uint8Array.of(0xad))).toBe('中');
  });
});
