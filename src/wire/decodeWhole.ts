/**
 * The text of `bytes` when they end on a whole UTF-8 sequence, decoded by a decoder shared by
 * every stream (dialectMessages); `undefined` when they end inside one, which only a stream's own
 * streaming decoder can keep for its next chunk. `began`: bytes of the stream were decoded
 * already, so a byte order mark is text (a stream's decoder drops one at its start only).
 *
 * Node-only (`#decodeWhole`, switched like the stream reader): it saves a relay a TextDecoder per
 * open stream, and would cost every browser app its bytes; a browser bundle gets
 * decodeWholeStub, which always says "decode it yourself".
 */
export function decodeWhole(bytes: Uint8Array, began: boolean): string | undefined {
  // Anything but bytes (an ArrayBuffer a caller passed despite the types) to the stream's decoder.
  if (!(bytes instanceof Uint8Array)) return undefined;
  return endsWhole(bytes) ? (began ? keepingBOM : droppingBOM).decode(bytes) : undefined;
}

const droppingBOM = /* @__PURE__ */ new TextDecoder();
const keepingBOM = /* @__PURE__ */ new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Whether `bytes` ends on a whole UTF-8 sequence, read from the last byte that is not a
 * continuation byte (a sequence is at most four bytes). Bytes that cannot end well either way (a
 * run of continuation bytes, an invalid lead) are decoded alike by both decoders, as replacement
 * characters, except a lead that could still begin a sequence: that one goes to the stream's own.
 */
function endsWhole(bytes: Uint8Array): boolean {
  const end = bytes.length;
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) !== 0x80) return end - i >= (byte < 0xc0 ? 1 : byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4);
  }
  return true;
}
