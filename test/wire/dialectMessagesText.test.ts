import fc from 'fast-check';
import { dialectMessages } from '../../src/wire/dialectMessages';
import type { Dialect } from '../../src/wire/types';

// The text of a stream's bytes (dialectMessages' toText/flushText): decoded by a shared decoder
// while each chunk ends on a whole UTF-8 sequence, by the stream's own streaming decoder once one
// ends inside a sequence. Either way it must be exactly what one streaming TextDecoder gives for
// the same bytes, however they are cut: sequences split anywhere, byte order marks at the start
// (dropped) and later (kept), invalid bytes (replacement characters), a reconnect in between.

// The module as a browser bundle has it: package.json's `imports` give it decodeWholeStub.
let browserDialectMessages: typeof dialectMessages;
jest.isolateModules(() => {
  jest.doMock('../../src/wire/decodeWhole', () => jest.requireActual('../../src/wire/decodeWholeStub'));
  ({ dialectMessages: browserDialectMessages } = jest.requireActual('../../src/wire/dialectMessages'));
});

const dialect: Dialect = {
  name: 'text-test',
  framing: 'sse',
  createDecoder: () => ({ message() {}, end() {} }),
};

/** Pieces of UTF-8: ASCII, two-, three- and four-byte characters, a BOM, invalid bytes. */
const piece = fc.oneof(
  fc.constantFrom('a', 'data: x\n', 'é', '€', '😀', '\uFEFF', '中文'),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constant(null), // an invalid byte run, below
);
const toBytes = (parts: (string | null)[]): Uint8Array => {
  const chunks = parts.map((part) =>
    part === null ? Uint8Array.of(0xff, 0x80, 0xe2, 0x82) : new TextEncoder().encode(part),
  );
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) all.set(chunk, (at += chunk.length) - chunk.length);
  return all;
};

const cutAt = (bytes: Uint8Array, cuts: number[]): Uint8Array[] => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  return out;
};

const reference = (bytes: Uint8Array[]): string => {
  const decoder = new TextDecoder();
  return bytes.map((chunk) => decoder.decode(chunk, { stream: true })).join('') + decoder.decode();
};

describe('dialectMessages: the text of bytes', () => {
  it.each([
    ['in Node (a shared decoder for whole chunks)', () => dialectMessages],
    ['in a browser (decodeWhole is the stub: each stream its own decoder)', () => browserDialectMessages],
  ])('is what one streaming TextDecoder gives, however the bytes are cut, %s', (_, messagesOf) => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (parts, cuts) => {
          const chunks = cutAt(toBytes(parts), cuts);
          const messages = messagesOf()(dialect, () => {});
          const text = chunks.map((chunk) => messages.toText(chunk)).join('') + messages.flushText();
          expect(text).toBe(reference(chunks));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('starts again after a flush (a reconnect): a BOM at the new start is dropped, as a reset decoder does', () => {
    const messages = dialectMessages(dialect, () => {});
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const text = (s: string) => new TextEncoder().encode(s);
    expect(messages.toText(Uint8Array.of(...bom, ...text('a')))).toBe('a');
    expect(messages.toText(Uint8Array.of(...bom, ...text('b')))).toBe('\uFEFFb');
    // A sequence cut at the end, then the input ends: one replacement character, as the reference.
    expect(messages.toText(Uint8Array.of(0xe2, 0x82))).toBe('');
    expect(messages.flushText()).toBe('\uFFFD');
    expect(messages.toText(Uint8Array.of(...bom, ...text('c')))).toBe('c');
    expect(messages.toText(Uint8Array.of(0xf0, 0x9f))).toBe('');
    expect(messages.toText(Uint8Array.of(0x98, 0x80, ...bom))).toBe('😀\uFEFF');
    expect(messages.flushText()).toBe('');
  });
});
