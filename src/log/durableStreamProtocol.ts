/**
 * Pieces of the Durable Streams protocol that `durableStreamHandler` and its tests share: header
 * names, offsets, cursors, the stream document and base64. Internal (not exported from rxllm).
 */

export const headers = {
  offset: 'stream-next-offset',
  cursor: 'stream-cursor',
  upToDate: 'stream-up-to-date',
  closed: 'stream-closed',
  ttl: 'stream-ttl',
  expiresAt: 'stream-expires-at',
  seq: 'stream-seq',
  producerId: 'producer-id',
  producerEpoch: 'producer-epoch',
  producerSeq: 'producer-seq',
  expectedSeq: 'producer-expected-seq',
  receivedSeq: 'producer-received-seq',
  sseEncoding: 'stream-sse-data-encoding',
  forkedFrom: 'stream-forked-from',
  forkOffset: 'stream-fork-offset',
  forkSubOffset: 'stream-fork-sub-offset',
} as const;

/**
 * An offset is `<16 zeros>_<position, 16 digits>`: the position is the count of entries (messages
 * or appends) before it, so it sorts lexicographically, and on a stream recorded by `recordStream`
 * it is the event's `seq`.
 */
export function formatOffset(position: number): string {
  return `0000000000000000_${String(position).padStart(16, '0')}`;
}

const offsetPattern = /^0{16}_(\d{16})$/;

/** A request's offset: `start` (-1 or none), `now`, a position, or undefined when malformed. */
export function parseOffset(raw: string | null): number | 'now' | undefined {
  if (raw === null || raw === '-1') return 0;
  if (raw === 'now') return 'now';
  const match = offsetPattern.exec(raw);
  if (match === null) return undefined;
  const position = Number(match[1]);
  return Number.isSafeInteger(position) ? position : undefined;
}

/** Interval cursors (20 s from 2024-10-09T00:00:00Z), never going back from the client's. */
export function nextCursor(client: string | null, now: number): string {
  const interval = Math.floor((now - Date.UTC(2024, 9, 9)) / 20_000);
  const echoed = client !== null && /^\d{1,15}$/.test(client) ? Number(client) : -1;
  if (echoed < interval) return String(interval);
  // The client is at or ahead of the clock: jump 1 to 180 intervals (20 s to an hour) past it.
  return String(echoed + 1 + Math.floor(Math.random() * 180));
}

/** A producer's state: id, epoch, last accepted seq. An array, so a hostile id is never an object key. */
export type ProducerState = [id: string, epoch: number, seq: number];

/** What the store keeps beside the log of a stream created over the protocol. */
export interface StreamDoc {
  /** Content type, as created. */
  ct: string;
  /** Sliding TTL in seconds. */
  ttl?: number;
  /** Absolute expiry (RFC 3339, as given). */
  exp?: string;
  closed?: true;
  /** Entries in the log. */
  len: number;
  /** Characters stored (base64 text for binary streams), against `maxStreamSize`. */
  size?: number;
  /** Last `Stream-Seq`. */
  seq?: string;
  producers: ProducerState[];
  /** The producer request that closed the stream. */
  closedBy?: ProducerState;
  /** A fork: the source's id, the fork offset's position and sub-offset (its data was copied at creation). */
  fork?: [source: string, position: number, sub: number];
  /** Forks of this stream that still exist: a delete then only marks it `deleted`. */
  forks?: number;
  /** Deleted while forks existed: `410 Gone` to everyone, removed with its last fork. */
  deleted?: true;
}

/** JSON mode: `application/json` (any parameters, any case). */
export function isJsonType(contentType: string): boolean {
  return mediaType(contentType) === 'application/json';
}

/** The media type without parameters, lower case. */
export function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/** Base64 of bytes, without Node's Buffer (rxllm runs on Deno, Bun and workers too). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The bytes {@link toBase64} wrote. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Concatenates byte arrays. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** FNV-1a of a string, hex: a short, stable stream tag for ETags. */
export function hashId(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Characters stored for `entries`. */
export function storedSize(entries: readonly string[]): number {
  let size = 0;
  for (const entry of entries) size += entry.length;
  return size;
}
