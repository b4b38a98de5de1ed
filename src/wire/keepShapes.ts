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
 * the framing's decoder and parser, the dialect's messages, guard and decoder. A server between requests is in exactly that state.
 *
 * Made on a stream's first subscription, not at import: a bundle that never subscribes holds none,
 * and a specimen costs a few hundred bytes once per dialect and framing.
 */
const kept = new Map<StreamDecoderFactory, Set<Dialect>>();
const specimens: unknown[] = [];

/**
 * How many dialects get a specimen decoder, in all: a dialect is usually a module's constant, but
 * an app that builds a dialect object per request must not grow this for good.
 */
const maxDialects = 32;
let dialectCount = 0;

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
  let dialects = kept.get(createStreamDecoder);
  if (dialects?.has(dialect) || dialectCount >= maxDialects) return;
  if (dialects === undefined) {
    kept.set(createStreamDecoder, (dialects = new Set()));
    if (kept.size === 1) {
      // Once: every source's subscriber, subscription and accumulator have the same classes.
      specimens.push(new Observable(ignore).subscribe({ next: ignore, error: ignore, complete: ignore }));
      specimens.push(new Engine());
      specimens.push(foldedSpecimen());
    }
  }
  dialects.add(dialect);
  dialectCount++;
  try {
    // The framing's decoder, its dialect's messages, guard and decoder, as a stream builds them.
    specimens.push(createStreamDecoder(dialect, ignore, undefined));
  } catch {
    // A dialect of the app's own that cannot be built without options: its streams build their
    // shapes themselves, as before; the stream that asked is not failed for a specimen.
  }
}

/**
 * Keeps the last few small values the decoders parsed, so that their hidden classes outlive a GC.
 *
 * `JSON.parse` gives an object the hidden class that follows, key by key, the transitions earlier
 * parses of the same keys made, but V8 keeps those only while some object has them: after a full
 * GC that left none, the first parse of a chunk builds them again (measured on Node 20: ~28 µs for
 * an OpenAI chunk against ~11 when one parsed chunk stayed alive, ~1 warm). A provider's stream has
 * a handful of chunk shapes (its first, its text, its finish, its usage), so a short ring of the
 * last parsed values keeps each of them, for every stream of the process. Small ones only: what
 * is kept is the shape, and a large value would hold memory for nothing.
 */
const ring: unknown[] = new Array(8).fill(undefined);
let next = 0;

/** Keeps `value`, parsed from `length` characters, in the ring when it is small. */
export function keepParsedShape(value: unknown, length: number): void {
  if (length > 2048) return;
  ring[next] = value;
  next = (next + 1) & 7;
}
