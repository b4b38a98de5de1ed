import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { createStreamDecoder } from '../../src/wire/createStreamDecoder';
import { failedPartial } from '../../src/base/failedPartial';
import { MessageAccumulator, type Message } from '../../src/base/message';
import { createEventStreamDecoder } from '../../src/wire/bedrock/eventStreamDecoder';
import { getDialect } from '../../src/wire/dialects';
import type { Decoder, DecoderOptions, DialectName, EmitEvent } from '../../src/wire/types';

/** The bytes of a recorded transcript under test/fixtures (a copy of shared/fixtures). */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(__dirname, '../fixtures', name)));
}

export type SplitMode = 'whole' | 'byte-by-byte' | 'random';

/** Cuts `bytes` into slices: whole, one byte each, or at seeded random offsets (1 to 17 bytes). */
export function slices(bytes: Uint8Array, mode: SplitMode, seed = 42): Uint8Array[] {
  if (mode === 'whole') return [bytes];
  if (mode === 'byte-by-byte') return Array.from(bytes, (byte) => Uint8Array.of(byte));
  const random = mulberry32(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * 17);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** A small seeded PRNG, so that "random" splits are the same on every run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Decoded {
  events: RxllmEvent[];
  message: Message;
  /** The error the decoder threw, if any (its `partial` is set to `message`). */
  error?: RxllmError;
}

/**
 * Decodes `chunks` the way a source does: pushed in order into a stream decoder whose events go
 * to a message accumulator too. A thrown error comes back with its `partial` set to the message
 * (finish reason `error`), as a source sets it.
 */
export function decodeChunks(
  dialect: DialectName,
  chunks: Iterable<Uint8Array | string>,
  options?: DecoderOptions,
): Decoded {
  const events: RxllmEvent[] = [];
  const accumulator = new MessageAccumulator();
  const found = getDialect(dialect, 'decode');
  // Bedrock's binary event stream is framed by rxllm/bedrock, not by the core's SSE/NDJSON framer.
  const stream = (found.framing === 'eventstream' ? createEventStreamDecoder : createStreamDecoder)(
    found,
    (event) => {
      events.push(event);
      accumulator.apply(event);
    },
    options,
  );
  try {
    for (const chunk of chunks) stream.push(chunk);
    stream.end();
  } catch (thrown) {
    const error = RxllmError.from(thrown);
    error.partial = failedPartial(accumulator);
    return { events, message: accumulator.snapshot(), error };
  }
  return { events, message: accumulator.snapshot() };
}

/** Decodes a fixture the way a source does, fed in the given slices. */
export function decodeFixture(
  dialect: DialectName,
  name: string,
  mode: SplitMode = 'whole',
  seed?: number,
): Decoded {
  return decodeChunks(dialect, slices(fixtureBytes(name), mode, seed));
}

/**
 * Feeds framed messages (`[data, event name]`; data not a string is JSON-encoded) straight to a
 * fresh decoder, without framing or accumulator, then ends it unless `end` is false. The first
 * error thrown stops the feed and is returned.
 */
export function feedDecoder(
  createDecoder: (emit: EmitEvent) => Decoder,
  messages: Iterable<readonly [data: unknown, event?: string]>,
  end = true,
): { events: RxllmEvent[]; error?: RxllmError } {
  const events: RxllmEvent[] = [];
  const decoder = createDecoder((event) => events.push(event));
  let error: RxllmError | undefined;
  try {
    for (const [data, event] of messages)
      decoder.message(typeof data === 'string' ? data : JSON.stringify(data), event);
    if (end) decoder.end();
  } catch (thrown) {
    error = thrown as RxllmError;
  }
  return { events, error };
}

/**
 * Decodes a fixture whole, byte by byte and in three seeded random splittings, asserts that all
 * five give identical events and errors, and returns the whole decoding.
 */
export function decodeFixtureEveryWay(dialect: DialectName, name: string): Decoded {
  const whole = decodeFixture(dialect, name, 'whole');
  for (const [mode, seed] of [
    ['byte-by-byte', 0],
    ['random', 1],
    ['random', 2],
    ['random', 3],
  ] as const) {
    const other = decodeFixture(dialect, name, mode, seed);
    expect({ mode, seed, events: other.events, error: other.error?.message }).toEqual({
      mode,
      seed,
      events: whole.events,
      error: whole.error?.message,
    });
  }
  return whole;
}
