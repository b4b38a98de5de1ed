import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { ReasoningEvent, RxllmEvent, TextEvent } from '../base/events';
import { safeCut } from '../base/graphemes';
import { isPlainDelta } from '../base/isPlainDelta';

/** Where `bufferTokens` may cut: after a word, a sentence, a line, or after a match of a RegExp. */
export type TokenBoundary = 'word' | 'sentence' | 'line' | RegExp;

export interface BufferTokensConfig {
  /** Emit once this many deltas are buffered (a positive integer). Default: no count limit. */
  count?: number;
  /**
   * Emit what is buffered this many milliseconds after the first delta of a buffer arrived
   * (`0` coalesces what arrives in one macrotask). Default: no time limit.
   */
  timeMs?: number;
  /**
   * Emit everything up to and including the last boundary in the buffer and keep the rest:
   * `'word'` (after whitespace, and after each Chinese or Japanese character), `'sentence'`
   * (after `.` `!` `?` `…` followed by whitespace, after `。` `！` `？`, and after a line break),
   * `'line'` (after `\n`), or a RegExp (after its last match). Default: none.
   */
  boundary?: TokenBoundary;
  /** Schedules the `timeMs` timers. Default: `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

type Delta = TextEvent | ReasoningEvent;

/** One buffer: the deltas of one kind for one (track, choice), joined. */
interface Pending {
  text: string;
  /** The deltas that contributed, and where each begins in `text`: emissions keep their fields. */
  parts: Delta[];
  offsets: number[];
  /** Deltas received since the last emission. */
  count: number;
  /**
   * Sentence scanning: the stop that the text so far ends with (closing quotes may follow it), or
   * ''. Kept when the buffer is emitted: a closing quote or a space may still come after it.
   */
  stop: string;
  /** A boundary found in the last delta that a grapheme cut held back, to try once more; or 0. */
  held: number;
  timer: Subscription | null;
  /** The other kind's buffer for the same (track, choice): flushed first, to keep order. */
  sibling: Pending;
  track: TrackBuffers;
}

interface TrackBuffers {
  text: Pending[];
  reasoning: Pending[];
}

/**
 * A built-in boundary scanner: the end of the last boundary in `piece` (the delta just appended
 * at `offset` in the buffer), or 0. It reads only the new delta, carrying what it needs to know
 * about the text before in `pending`: rescanning the buffer would be O(n²) on text without
 * boundaries (reading a concatenated string also flattens it, copying it whole each time).
 */
type BoundaryScanner = (pending: Pending, piece: string, offset: number) => number;

/**
 * What ends a word: whitespace (`\s` and U+0085), and each Chinese or Japanese character (those
 * scripts write words without spaces; one ideograph or kana is the natural unit to show). The
 * same characters as `endsWord` in base/graphemes, as a class a RegExp scans natively.
 */
const wordEnd = /[\s\x85\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/g;

/**
 * After `.` `!` `?` `…` (and closing quotes or brackets) followed by whitespace; after `。` `！`
 * `？` and the closing quotes right after; after `\n`.
 */
const sentenceEnd =
  /[.!?\u2026]["'\u201d\u2019)\]\u00bb\u300d\u300f]*[\s\x85]|[\u3002\uff01\uff1f]["'\u201d\u2019)\]\u00bb\u300d\u300f]*|\n/g;

/** A stop (`.` `!` `?` `…` `。` `！` `？`) and its closers at the end of the text: a sentence may end with the next character. */
const openStop = /[.!?\u2026\u3002\uff01\uff1f]["'\u201d\u2019)\]\u00bb\u300d\u300f]*$/;

const boundaries: Record<'word' | 'sentence' | 'line', BoundaryScanner> = {
  word: /* @__PURE__ */ scanner(wordEnd),
  sentence: lastSentenceEnd,
  line: /* @__PURE__ */ scanner(/\n/g),
};

/**
 * Coalesces consecutive text deltas (and, separately, reasoning deltas) into fewer, larger ones:
 * every `count` deltas, every `timeMs`, or up to a word, sentence, line or RegExp boundary.
 *
 * Intuition: tokens are a model's unit, not a reader's; this turns "Hel", "lo wor", "ld" into
 * "Hello ", "world" for a UI, a speech engine or a log that wants whole words or sentences.
 *
 * ```text
 * source:   -a-b-c-(d|)
 * expected: ---x---(yd|)
 * ```
 * with `{ boundary: 'word' }`, `a`, `b`, `c` = text `Hel`, `lo wor`, `ld`, `d` = finish,
 * `x` = text `Hello `, `y` = text `world`.
 *
 * Buffers are kept per (track, choice, kind): interleaved tracks and choices are never joined.
 * Any other event (usage, finish, a tool call, a reasoning signature, ...) first flushes its
 * track's buffers and then passes, so order within a track is preserved. An emitted delta keeps
 * the fields of the first delta it contains (`track`, `choice`, `seq`). A cut never splits a
 * surrogate pair or a grapheme cluster: a trailing emoji, flag half, joiner or combining
 * sequence that the next delta may continue is held back until it does (or until the buffer
 * flushes for good). Where more than one of `count`, `timeMs` and `boundary` is given, whichever
 * comes first emits.
 *
 * Completion flushes every buffer, then completes. An error (from the source, or thrown by a
 * custom RegExp) flushes every buffer, then errors. Unsubscribing drops the buffers and cancels
 * the timers. With only a boundary, text that never reaches one is held to the end: a buffer is
 * bounded by what its source may deliver (a source's `maxMessageSize`), not by this operator.
 *
 * @example
 * ```ts
 * import { bufferTokens, fromOpenAI } from 'rxllm';
 * fromOpenAI(openai, params)
 *   .pipe(bufferTokens({ boundary: 'sentence', timeMs: 500 }))
 *   .subscribe((event) => event.type === 'text' && speak(event.text));
 * ```
 */
export function bufferTokens(config: BufferTokensConfig): OperatorFunction<RxllmEvent, RxllmEvent> {
  const { count, timeMs, boundary, scheduler = asyncScheduler } = checkConfig(config);
  // Built-in boundaries read each character once; a RegExp may match anywhere, so it looks at the
  // whole buffer on every delta (O(buffer) each: pair it with `count` or `timeMs` on long text).
  const findBoundary: BoundaryScanner | undefined =
    boundary === undefined
      ? undefined
      : typeof boundary === 'string'
        ? boundaries[boundary]
        : regexBoundary(boundary);

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const tracks = new Map<string | undefined, TrackBuffers>();
      // Non-empty buffers, in the order they began: completion flushes them in that order.
      const active = new Set<Pending>();

      const bufferFor = (event: Delta): Pending => {
        let track = tracks.get(event.track);
        if (!track) {
          track = { text: [], reasoning: [] };
          tracks.set(event.track, track);
        }
        const choice = event.choice ?? 0;
        let pending = track[event.type][choice];
        if (!pending) {
          const text = newPending(track);
          const reasoning = newPending(track);
          text.sibling = reasoning;
          reasoning.sibling = text;
          track.text[choice] = text;
          track.reasoning[choice] = reasoning;
          pending = event.type === 'text' ? text : reasoning;
        }
        return pending;
      };

      /** Emits `pending.text` up to `cut` (already grapheme-safe) and keeps the rest. */
      const emit = (pending: Pending, cut: number) => {
        if (cut <= 0) return;
        const { text, parts, offsets } = pending;
        const first = parts[0]!;
        // A delta that goes out whole and alone is emitted as it is: no copy.
        const out =
          cut === text.length && first.text === text ? first : { ...first, text: text.slice(0, cut) };
        if (cut === text.length) {
          clear(pending);
        } else {
          // The rest begins inside some delta: it keeps that delta's fields from now on.
          let part = offsets.length - 1;
          while (offsets[part]! > cut) part--;
          parts.splice(0, part);
          offsets.splice(0, part);
          for (let i = 0; i < offsets.length; i++) offsets[i] = Math.max(0, offsets[i]! - cut);
          pending.text = text.slice(cut);
          pending.held = Math.max(0, pending.held - cut);
          pending.count = 0;
        }
        subscriber.next(out);
      };

      const clear = (pending: Pending) => {
        pending.text = '';
        pending.parts.length = 0;
        pending.offsets.length = 0;
        pending.count = 0;
        pending.held = 0;
        pending.timer?.unsubscribe();
        pending.timer = null;
        active.delete(pending);
      };

      const flush = (pending: Pending, final: boolean) => {
        if (pending.text === '') return;
        emit(pending, safeCut(pending.text, pending.text.length, final));
      };

      const flushTrack = (track: TrackBuffers | undefined) => {
        if (!track) return;
        for (const pending of active) if (pending.track === track) flush(pending, true);
      };

      const flushAll = () => {
        for (const pending of active) flush(pending, true);
      };

      const onTimer = (pending: Pending) => {
        pending.timer = null;
        flush(pending, false);
      };

      const onDelta = (event: Delta) => {
        const pending = bufferFor(event);
        // Reasoning then text (or back) within one choice: the earlier kind goes out first.
        if (pending.sibling.text !== '') flush(pending.sibling, true);
        if (pending.text === '') active.add(pending);
        const offset = pending.text.length;
        pending.parts.push(event);
        pending.offsets.push(offset);
        pending.text += event.text;
        pending.count++;
        // Scanned even when the count emits it all: 'sentence' carries the stop this delta ends
        // with (or that it has none) to the next delta.
        const end = findBoundary?.(pending, event.text, offset) || pending.held;
        pending.held = 0;
        if (count !== undefined && pending.count >= count) {
          flush(pending, false);
        } else if (end > 0) {
          const cut = safeCut(pending.text, end, false);
          // A boundary at the very end held back (a CR that an LF may follow) is tried once more.
          if (cut < end) pending.held = end;
          emit(pending, cut);
        }
        if (timeMs !== undefined && pending.text !== '' && pending.timer === null) {
          pending.timer = scheduler.schedule(() => onTimer(pending), timeMs);
        }
      };

      const subscription = source.subscribe({
        next: (event) => {
          try {
            if (isPlainDelta(event)) {
              onDelta(event);
            } else {
              flushTrack(tracks.get(event.track));
              subscriber.next(event);
            }
          } catch (error) {
            // Only a custom RegExp can throw here.
            flushAll();
            subscriber.error(error);
          }
        },
        error: (error: unknown) => {
          flushAll();
          subscriber.error(error);
        },
        complete: () => {
          flushAll();
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        for (const pending of active) pending.timer?.unsubscribe();
        active.clear();
      };
    });
}

function newPending(track: TrackBuffers): Pending {
  // `sibling` is linked right after both buffers of a (track, choice) exist.
  return {
    text: '',
    parts: [],
    offsets: [],
    count: 0,
    stop: '',
    held: 0,
    timer: null,
    sibling: null!,
    track,
  };
}

/** The end of the last match of the global `regex` in `text`, or 0. */
function lastMatchEnd(regex: RegExp, text: string): number {
  regex.lastIndex = 0;
  let end = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    end = regex.lastIndex;
    if (match[0] === '') regex.lastIndex++;
  }
  return end;
}

/** A boundary scanner that reads only the new delta. */
function scanner(regex: RegExp): BoundaryScanner {
  return (_pending, piece, offset) => {
    const end = lastMatchEnd(regex, piece);
    return end && offset + end;
  };
}

/**
 * Sentence ends in the new delta. A stop at the end of the text before it is carried in
 * `pending.stop` (its character) and put before the delta, so that a stop and the space after it
 * may arrive in two deltas; a match that ends within that character was found before.
 */
function lastSentenceEnd(pending: Pending, piece: string, offset: number): number {
  const text = pending.stop + piece;
  const shift = pending.stop.length;
  pending.stop = openStop.exec(text)?.[0][0] ?? '';
  const end = lastMatchEnd(sentenceEnd, text);
  return end > shift ? offset + end - shift : 0;
}

/** The end of the last match of `regex` in the text, or 0. */
function regexBoundary(regex: RegExp): BoundaryScanner {
  // A global regex is used as given (so a subclass keeps its behaviour); others get a global copy.
  const global =
    regex.global && !regex.sticky
      ? regex
      : new RegExp(regex.source, regex.flags.replace('y', '') + (regex.global ? '' : 'g'));
  return ({ text }) => lastMatchEnd(global, text);
}

function checkConfig(config: BufferTokensConfig): BufferTokensConfig {
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`rxllm: bufferTokens: config must be an object, got ${String(config)}`);
  }
  const { count, timeMs, boundary, scheduler } = config;
  if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
    throw new RangeError(`rxllm: bufferTokens: count must be a positive integer, got ${String(count)}`);
  }
  if (timeMs !== undefined && !(typeof timeMs === 'number' && Number.isFinite(timeMs) && timeMs >= 0)) {
    throw new RangeError(`rxllm: bufferTokens: timeMs must be a finite number >= 0, got ${String(timeMs)}`);
  }
  if (
    boundary !== undefined &&
    !(boundary instanceof RegExp) &&
    !(typeof boundary === 'string' && Object.hasOwn(boundaries, boundary))
  ) {
    throw new TypeError(
      `rxllm: bufferTokens: boundary must be 'word', 'sentence', 'line' or a RegExp, got ${JSON.stringify(boundary)}`,
    );
  }
  if (count === undefined && timeMs === undefined && boundary === undefined) {
    throw new TypeError(
      'rxllm: bufferTokens: config needs at least one of count, timeMs or boundary, got none',
    );
  }
  if (scheduler !== undefined && typeof scheduler?.schedule !== 'function') {
    throw new TypeError(`rxllm: bufferTokens: scheduler must be an RxJS scheduler, got ${String(scheduler)}`);
  }
  return config;
}
