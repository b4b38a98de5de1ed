import { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { MessageAccumulator } from '../base/message';
import type { StreamDecoderFactory } from './StreamDecoder';
import type { Dialect } from './types';

/**
 * One specimen of each object a stream is made of, kept for the life of the process.
 *
 * V8 keeps the hidden classes that a constructor's property writes create (the transitions from a
 * class's first shape to its last) only while some object has them: after a full GC, a class with
 * no live instance builds them again on its next construction, and the optimized code that named
 * them is thrown away. Measured on Node 20 (bench/shortAfterGC.ts): a two-field class costs ~25 µs
 * on its first construction after a GC against 3 µs when one instance stays alive; an RxJS
 * `subscribe` (its SafeSubscriber and ConsumerObserver) ~50 µs against ~7. A short stream after a
 * GC paid that for each of its parts: the subscriber, the engine's subscription, the accumulator,
 * the framing's decoder and parser, the dialect's messages, guard and decoder. A server between
 * requests is in exactly that state.
 *
 * Made on a stream's first subscription, not at import: a bundle that never subscribes holds none,
 * and a specimen costs a few hundred bytes once per dialect and framing. A dialect's
 * `createDecoder` is called once more for it, with an `emit` that drops everything.
 */
// By framing, then dialect, both weakly: a specimen lives as long as its dialect object (a
// module's constant, usually), so that an app building a dialect object per request pins nothing.
const kept = new WeakMap<StreamDecoderFactory, WeakMap<Dialect, unknown>>();
// The subscriber, the engine's subscription and the accumulator: the same classes for every stream.
let common: unknown[] | undefined;

// What a specimen decoder is built with: no options of any stream's (the decoder would keep them).
const noOptions = Object.freeze({});
const ignore = (): void => {};

/**
 * An accumulator that has folded a short stream: the fold's records (the tracks, a track's state,
 * its usage) are built by adding fields, so their hidden classes too need an object that has them.
 */
function foldedSpecimen(): MessageAccumulator {
  const accumulator = new MessageAccumulator();
  const events: RxllmEvent[] = [
    { type: 'start', id: 'specimen', model: 'specimen', provider: 'specimen', seq: 0 },
    { type: 'text', text: 'specimen', seq: 1 },
    { type: 'usage', inputTokens: 1, outputTokens: 1, totalTokens: 2, seq: 2 },
    { type: 'finish', reason: 'stop', seq: 3 },
  ];
  for (const event of events) accumulator.apply(event);
  accumulator.snapshot();
  return accumulator;
}

/**
 * Keeps the specimens for a stream of `dialect` framed by `createStreamDecoder`, once; `Engine` is
 * the source engine's subscription class, whose constructor called with no arguments makes a
 * blank one with every field defined.
 */
export function keepShapes(
  createStreamDecoder: StreamDecoderFactory,
  dialect: Dialect,
  Engine: new () => object,
): void {
  common ??= [
    new Observable(ignore).subscribe({ next: ignore, error: ignore, complete: ignore }),
    new Engine(),
    foldedSpecimen(),
  ];
  let dialects = kept.get(createStreamDecoder);
  if (dialects === undefined) kept.set(createStreamDecoder, (dialects = new WeakMap()));
  if (dialects.has(dialect)) return;
  let specimen: unknown;
  try {
    // The framing's decoder, its dialect's messages, guard and decoder, as a stream builds them.
    specimen = createStreamDecoder(dialect, ignore, noOptions);
  } catch {
    // A dialect of the app's own that cannot be built without options: its streams build their
    // shapes themselves, as before; the stream that asked is not failed for a specimen.
  }
  dialects.set(dialect, specimen);
}

/**
 * Keeps blanked copies of small chunks the decoders parsed, so that their hidden classes outlive a
 * GC.
 *
 * `JSON.parse` gives an object the hidden class that follows, key by key, the transitions earlier
 * parses of the same keys made, but V8 keeps those only while some object has them: after a full
 * GC that left none, the first parse of a chunk builds them again (measured on Node 20: ~28 µs for
 * an OpenAI chunk against ~11 when one parsed chunk stayed alive, ~1 warm). A provider's stream has
 * a handful of chunk shapes (its first, its text, its finish, its usage), so a ring of eight
 * recent ones keeps them for every stream of the process. What is kept is a copy with every
 * string emptied and every number zeroed (the same keys, so the same hidden classes): a stream's
 * text is not held after it ended, for any tenant. Copies cost a second parse, so at most eight a
 * second are made, and only of chunks up to 2,048 characters.
 */
const ring: unknown[] = new Array(8).fill(undefined);
let next = 0;
let windowStart = 0;
let keptInWindow = 0;

const blank = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? '' : typeof value === 'number' ? 0 : value;

/** Keeps a blanked copy of the JSON in `data` (which a decoder parsed already) in the ring. */
export function keepParsedShape(data: string): void {
  if (data.length > 2048) return;
  const now = Date.now();
  if (now - windowStart >= 1000) {
    windowStart = now;
    keptInWindow = 0;
  }
  if (keptInWindow >= 8) return;
  keptInWindow++;
  try {
    ring[next] = JSON.parse(data, blank);
    next = (next + 1) & 7;
  } catch {
    // Parsed once already; a reviver's deeper recursion may still overflow: nothing kept, then.
  }
}

/**
 * `JSON.parse(data)` for a decoder, keeping the parsed value's shape (keepParsedShape): what every
 * decoder that parses a chunk whole calls. Throws what `JSON.parse` throws.
 */
export function parseKeepingShape(data: string): unknown {
  const value: unknown = JSON.parse(data);
  keepParsedShape(data);
  return value;
}
