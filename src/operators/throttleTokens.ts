import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { ReasoningEvent, RxllmEvent, TextEvent } from '../base/events';
import {
  countGraphemes,
  endsWord,
  hasOpenTail,
  isCjk,
  isWhitespace,
  nextGraphemeEnd,
} from '../base/graphemes';
import { holdDelivering, ManualGate, markFlow } from '../flow/flow';
import { isPlainDelta } from '../base/isPlainDelta';

/**
 * Queued characters (1 per other event) above which the source is held back: a few network
 * chunks' worth, far more than a pace emits between two reads.
 */
const backlogHighWater = 64 * 1024;

/** The unit a steady rate emits at a time. */
export type ThrottleChunking = 'character' | 'word' | 'line';

export interface ThrottleTokensConfig {
  /**
   * Steady rate, like a typewriter: this many characters (grapheme clusters) per second. Each
   * chunk waits for the time its characters are worth. Give one of `charactersPerSecond`,
   * `wordsPerSecond` and `intervalMs`.
   */
  charactersPerSecond?: number;
  /** Steady rate: this many words per second (a Chinese or Japanese character counts as a word). */
  wordsPerSecond?: number;
  /**
   * What a steady rate emits at a time: one `'character'`, one `'word'` (with the whitespace
   * after it) or one `'line'`. Default: `'character'` with `charactersPerSecond`, `'word'` with
   * `wordsPerSecond` (which cannot chunk by character).
   */
  chunking?: ThrottleChunking;
  /**
   * At most one emission of text per track per interval: the first delta goes at once, and what
   * arrives during the interval goes, joined, when it ends. `0` with `animationFrameScheduler`
   * means at most one per animation frame. The default when no rate is given: `0`, one emission
   * per tick of `scheduler`.
   */
  intervalMs?: number;
  /**
   * What completion does with text still queued: `'immediate'` (default) emits it at once, then
   * completes; `'paced'` keeps the pace and completes after the last chunk.
   */
  flush?: 'immediate' | 'paced';
  /**
   * Schedules the pace. Default: `asyncScheduler`. In a browser, `animationFrameScheduler` with
   * `intervalMs: 0` gives one store update per frame.
   */
  scheduler?: SchedulerLike;
}

type Delta = TextEvent | ReasoningEvent;

/**
 * Consecutive text (or reasoning) deltas of one choice, queued. The text is kept in its pieces,
 * never joined: appending to one long string and reading it again flattens (copies) it on every
 * delta, O(n²) over a long unfinished word or line. Chunk ends are found by reading each piece
 * once, resuming where the last search stopped.
 */
class TextRun {
  readonly events: Delta[];
  /** Where each delta begins in the run's text. */
  readonly starts: number[];
  length: number;
  /** The delta in which the next chunk begins. */
  part = 0;
  /** The delta read last (reads move forward, or back a little to a chunk's start). */
  private cursor = 0;
  /** A chunk search that ran out of text: where it began, where it stopped, and in which phase. */
  search = { from: -1, at: 0, phase: 0 };
  constructor(readonly first: Delta) {
    this.events = [first];
    this.starts = [0];
    this.length = first.text.length;
  }
  accepts(event: Delta): boolean {
    return event.type === this.first.type && (event.choice ?? 0) === (this.first.choice ?? 0);
  }
  append(event: Delta): void {
    this.events.push(event);
    this.starts.push(this.length);
    this.length += event.text.length;
  }
  /** The code unit at `index` (< length). */
  code(index: number): number {
    const part = this.pieceAt(index);
    return this.events[part]!.text.charCodeAt(index - this.starts[part]!);
  }
  /** The first `\n` at or after `from`, or -1. */
  newline(from: number): number {
    for (let part = this.pieceAt(from); part < this.events.length; part++) {
      const start = this.starts[part]!;
      const found = this.events[part]!.text.indexOf('\n', Math.max(0, from - start));
      if (found !== -1) return start + found;
    }
    return -1;
  }
  /** The text `[from, to)`, joined from its pieces. */
  slice(from: number, to: number): string {
    let text = '';
    for (let part = this.pieceAt(from); part < this.events.length && this.starts[part]! < to; part++) {
      const start = this.starts[part]!;
      text += this.events[part]!.text.slice(Math.max(0, from - start), to - start);
    }
    return text;
  }
  /** The event for `[from, to)`: the delta it begins in, with its text replaced. */
  chunk(from: number, to: number): Delta {
    while (this.part < this.starts.length - 1 && this.starts[this.part + 1]! <= from) this.part++;
    const event = this.events[this.part]!;
    const start = this.starts[this.part]!;
    return from === start && to - from === event.text.length
      ? event
      : { ...event, text: this.slice(from, to) };
  }
  /** The delta that holds `index`, found by walking from the one read last. */
  private pieceAt(index: number): number {
    let part = this.cursor;
    while (part > 0 && this.starts[part]! > index) part--;
    while (part < this.starts.length - 1 && this.starts[part + 1]! <= index) part++;
    this.cursor = part;
    return part;
  }
}

/** One track's queue: text runs and the events behind them, in arrival order. */
interface Lane {
  queue: Array<TextRun | RxllmEvent>;
  head: number;
  /** How much of the head run has been emitted. */
  offset: number;
  /** Steady mode: the time the next chunk may go. */
  readyAt: number;
  /** The pending pace or interval timer. */
  timer: Subscription | null;
}

/**
 * Paces text for a UI: a steady rate of characters or words, like a typewriter, or at most one
 * emission per interval (or per animation frame), joining what arrived meanwhile.
 *
 * Intuition: models stream in bursts; readers like an even flow, and a UI wants one update per
 * frame, not one per token.
 *
 * ```text
 * source:   -a--f------|
 * expected: -x-y-(zf)--|
 * ```
 * with `{ wordsPerSecond: 500 }` (one word per 2 ms), `a` = text `Hi there you `, `f` = finish,
 * `x`, `y`, `z` = text `Hi `, `there `, `you `: the finish waits for the text before it, then passes.
 *
 * Text and reasoning deltas are paced per track (interleaved tracks keep their own pace); text
 * is never dropped, and a chunk never splits a grapheme cluster (a steady rate waits for a word,
 * line or emoji to be complete before emitting it, unless the text is followed by another event
 * or the end). Every other event waits for the text queued before it on its track to be emitted
 * and then passes at once: events are never reordered within a track, nor delayed beyond that.
 * An emitted chunk keeps the fields (`track`, `choice`, `seq`) of the delta it begins in.
 *
 * Completion flushes the queued text at once (`flush: 'immediate'`) or at the pace
 * (`flush: 'paced'`), then completes. An error flushes the queued text at once, then errors.
 * Unsubscribing cancels the timers and drops the queue.
 *
 * Backpressure: while more than 64 Ki characters wait for the pace, an rxllm source upstream stops
 * reading the network (a flow gate, README "Flow control"), so a pace slower than the model (or a
 * frame scheduler that does not run in a hidden tab) holds the answer in the socket, not in memory.
 * A paused consumer downstream (`pausable`) still stops the source too.
 *
 * @example
 * ```ts
 * import { throttleTokens, fromSSE } from 'rxllm';
 * import { animationFrameScheduler } from 'rxjs';
 * fromSSE((signal) => fetch('/api/chat', { signal }), { dialect: 'rxllm' })
 *   .pipe(throttleTokens({ intervalMs: 0, scheduler: animationFrameScheduler }))
 *   .subscribe(render); // at most one render per frame
 * ```
 */
export function throttleTokens(config: ThrottleTokensConfig = {}): OperatorFunction<RxllmEvent, RxllmEvent> {
  const {
    charactersPerSecond,
    wordsPerSecond,
    intervalMs,
    flush = 'immediate',
    scheduler = asyncScheduler,
  } = checkConfig(config);
  const chunking = config.chunking ?? (wordsPerSecond !== undefined ? 'word' : 'character');
  // Milliseconds a chunk is worth, for a steady rate.
  const cost =
    charactersPerSecond !== undefined
      ? (chunk: string) => (countGraphemes(chunk) * 1000) / charactersPerSecond
      : (chunk: string) => (countWords(chunk) * 1000) / wordsPerSecond!;
  const takeChunk = chunking === 'character' ? characterEnd : chunking === 'word' ? wordEnd : lineEnd;

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const lanes = new Map<string | undefined, Lane>();
      let sourceDone = false;
      // What is queued and not yet emitted, in characters of text (1 per other event). Above
      // `backlogHighWater` the flow gate closes, so that an rxllm source stops reading instead of
      // the queue growing when the pace (or a frame scheduler in a hidden tab) is slower than the model.
      let backlog = 0;
      const gate = new ManualGate();
      // Held back only while the pace waits for time: a lane that waits for input (a line or
      // word not complete yet) must get it, or it would wait for ever.
      const updateGate = () => {
        let hold = false;
        if (backlog >= backlogHighWater) for (const lane of lanes.values()) hold ||= lane.timer !== null;
        if (hold && !gate.paused) {
          gate.close();
          holdDelivering(gate); // for a source whose path to this operator the walk cannot see
        } else if (!hold && gate.paused) gate.open();
      };
      const emitted = (amount: number) => {
        backlog -= amount;
      };

      const laneFor = (track: string | undefined): Lane => {
        let lane = lanes.get(track);
        if (!lane) {
          lane = { queue: [], head: 0, offset: 0, readyAt: -Infinity, timer: null };
          lanes.set(track, lane);
        }
        return lane;
      };

      const isIdle = (lane: Lane) => lane.head >= lane.queue.length;

      const dropEmitted = (lane: Lane) => {
        if (isIdle(lane)) {
          lane.queue.length = 0;
          lane.head = 0;
        } else if (lane.head > 32 && lane.head * 2 > lane.queue.length) {
          lane.queue.splice(0, lane.head);
          lane.head = 0;
        }
      };

      const schedule = (lane: Lane, delay: number, work: (lane: Lane) => void) => {
        lane.timer = scheduler.schedule(() => {
          lane.timer = null;
          work(lane);
          updateGate();
          completeWhenDrained();
        }, delay);
      };

      const completeWhenDrained = () => {
        if (!sourceDone) return;
        for (const lane of lanes.values()) if (!isIdle(lane)) return;
        subscriber.complete();
      };

      /** Emits everything queued on `lane` at once: each run's rest as one delta, then its events. */
      const flushLane = (lane: Lane) => {
        lane.timer?.unsubscribe();
        lane.timer = null;
        while (!isIdle(lane) && !subscriber.closed) {
          const item = lane.queue[lane.head++]!;
          if (item instanceof TextRun) {
            const from = lane.offset;
            lane.offset = 0;
            emitted(item.length - from);
            if (from < item.length) subscriber.next(item.chunk(from, item.length));
          } else {
            emitted(1);
            subscriber.next(item);
          }
        }
        dropEmitted(lane);
      };

      /** Steady mode: emits what the pace allows now, and schedules the rest. */
      const pace = (lane: Lane) => {
        while (!isIdle(lane) && !subscriber.closed) {
          const item = lane.queue[lane.head]!;
          if (!(item instanceof TextRun)) {
            lane.head++;
            emitted(1);
            subscriber.next(item);
            continue;
          }
          const now = scheduler.now();
          if (now < lane.readyAt) {
            schedule(lane, lane.readyAt - now, pace);
            return;
          }
          // A run followed by anything, or by the end, will not grow: its last chunk is complete.
          const final = sourceDone || lane.head < lane.queue.length - 1;
          const end = takeChunk(item, lane.offset, final);
          if (end < 0) break; // the chunk is not complete yet: the next delta resumes the pace
          const chunk = item.chunk(lane.offset, end);
          lane.readyAt = now + cost(chunk.text);
          emitted(end - lane.offset);
          lane.offset = end;
          if (end === item.length) {
            lane.head++;
            lane.offset = 0;
          }
          subscriber.next(chunk);
        }
        dropEmitted(lane);
      };

      /** Interval mode: the interval ended; emits what arrived during it, and opens the next. */
      const endInterval = (lane: Lane) => {
        if (isIdle(lane)) return;
        flushLane(lane);
        schedule(lane, intervalMs!, endInterval);
      };

      const enqueue = (lane: Lane, event: RxllmEvent) => {
        const last = lane.queue[lane.queue.length - 1];
        backlog += isPlainDelta(event) ? event.text.length : 1;
        if (isPlainDelta(event)) {
          if (!isIdle(lane) && last instanceof TextRun && last.accepts(event)) last.append(event);
          else lane.queue.push(new TextRun(event));
        } else {
          lane.queue.push(event);
        }
      };

      const observer = {
        next: (event: RxllmEvent) => {
          const lane = laneFor(event.track);
          if (intervalMs !== undefined) {
            if (!isIdle(lane) || (lane.timer !== null && isPlainDelta(event))) {
              enqueue(lane, event);
              updateGate();
            } else {
              subscriber.next(event);
              // Text opens an interval; an event with nothing queued before it just passes.
              if (isPlainDelta(event)) schedule(lane, intervalMs, endInterval);
            }
            return;
          }
          enqueue(lane, event);
          if (lane.timer === null) pace(lane);
          updateGate();
        },
        error: (error: unknown) => {
          for (const lane of lanes.values()) flushLane(lane);
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          if (flush === 'immediate') {
            for (const lane of lanes.values()) flushLane(lane);
          } else if (intervalMs === undefined) {
            // Runs that were waiting for their last chunk to be complete now are.
            for (const lane of lanes.values()) if (lane.timer === null) pace(lane);
          }
          completeWhenDrained();
        },
      };
      // The gate, and the way on to gates further downstream (a paused consumer after the pace).
      const subscription = source.subscribe(markFlow(observer, { gate, downstream: subscriber }));

      return () => {
        subscription.unsubscribe();
        for (const lane of lanes.values()) lane.timer?.unsubscribe();
        lanes.clear();
        gate.open(); // a source still waiting sees it was unsubscribed and lets go
      };
    });
}

/**
 * The end of the grapheme cluster that begins at `from`, read from a window of the run that grows
 * until the cluster ends inside it (so a cut never splits one, however long); and whether that
 * cluster ends the run and may still grow.
 */
function clusterEnd(run: TextRun, from: number): { end: number; open: boolean } {
  for (let width = 16; ; width *= 2) {
    const to = Math.min(run.length, from + width);
    const window = run.slice(from, to);
    const end = nextGraphemeEnd(window, 0);
    if (end < window.length || to === run.length)
      return { end: from + end, open: from + end === run.length && hasOpenTail(window) };
  }
}

/** One grapheme cluster, or -1 while the last one may still grow. */
function characterEnd(run: TextRun, from: number, final: boolean): number {
  if (from >= run.length) return -1;
  const { end, open } = clusterEnd(run, from);
  return open && !final ? -1 : end;
}

/** Where a word search stopped: in the whitespace before the word, or in the word. */
const Leading = 0;
const InWord = 1;

/** Leading whitespace, a word and the whitespace after it; or -1 while the word is unfinished. */
function wordEnd(run: TextRun, from: number, final: boolean): number {
  const length = run.length;
  const search = run.search;
  // Resume a search from the same chunk start that ran out of text, rather than rereading it.
  let i = search.from === from ? search.at : from;
  let phase = search.from === from ? search.phase : Leading;
  if (phase === Leading) {
    while (i < length && isWhitespace(run.code(i))) i++;
    if (i === length) return unfinished(run, from, i, Leading, final);
    if (isCjk(run.code(i))) i = clusterEnd(run, i).end;
    else phase = InWord;
  }
  if (phase === InWord) {
    while (i < length && !endsWord(run.code(i))) i++;
    if (i === length) return unfinished(run, from, i, InWord, final);
    if (isCjk(run.code(i))) return done(run, i);
  }
  while (i < length && isWhitespace(run.code(i))) i++;
  return done(run, i);
}

/** Up to and including the next line break; or -1 while the line is unfinished. */
function lineEnd(run: TextRun, from: number, final: boolean): number {
  if (from >= run.length) return -1;
  const newline = run.newline(run.search.from === from ? run.search.at : from);
  if (newline !== -1) return done(run, newline + 1);
  return unfinished(run, from, run.length, Leading, final);
}

/** The chunk from `from` is not complete yet: remembers how far the search read. */
function unfinished(run: TextRun, from: number, at: number, phase: number, final: boolean): number {
  if (final) return done(run, run.length);
  run.search = { from, at, phase };
  return -1;
}

function done(run: TextRun, end: number): number {
  run.search = { from: -1, at: 0, phase: Leading };
  return end;
}

/** Words in `text`: runs of non-space characters, with each Chinese or Japanese character one word. */
function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isCjk(code)) {
      words++;
      inWord = false;
    } else if (isWhitespace(code)) {
      inWord = false;
    } else if (!inWord) {
      words++;
      inWord = true;
    }
  }
  return words;
}

function checkConfig(config: ThrottleTokensConfig): ThrottleTokensConfig {
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`rxllm: throttleTokens: config must be an object, got ${String(config)}`);
  }
  const { charactersPerSecond, wordsPerSecond, intervalMs, chunking, flush, scheduler } = config;
  const given = [charactersPerSecond, wordsPerSecond, intervalMs].filter(
    (value) => value !== undefined,
  ).length;
  if (given > 1) {
    throw new TypeError(
      `rxllm: throttleTokens: give at most one of charactersPerSecond, wordsPerSecond and intervalMs, got ${given}`,
    );
  }
  for (const [name, value] of [
    ['charactersPerSecond', charactersPerSecond],
    ['wordsPerSecond', wordsPerSecond],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new RangeError(
        `rxllm: throttleTokens: ${name} must be a positive finite number, got ${String(value)}`,
      );
    }
  }
  if (
    intervalMs !== undefined &&
    !(typeof intervalMs === 'number' && Number.isFinite(intervalMs) && intervalMs >= 0)
  ) {
    throw new RangeError(
      `rxllm: throttleTokens: intervalMs must be a finite number of milliseconds >= 0, got ${String(intervalMs)}`,
    );
  }
  if (chunking !== undefined) {
    if (chunking !== 'character' && chunking !== 'word' && chunking !== 'line') {
      throw new TypeError(
        `rxllm: throttleTokens: chunking must be 'character', 'word' or 'line', got ${JSON.stringify(chunking)}`,
      );
    }
    if (intervalMs !== undefined) {
      throw new TypeError(`rxllm: throttleTokens: chunking applies to a steady rate, not to intervalMs`);
    }
    if (wordsPerSecond !== undefined && chunking === 'character') {
      throw new TypeError(
        `rxllm: throttleTokens: wordsPerSecond cannot chunk by 'character'; use charactersPerSecond`,
      );
    }
  }
  if (given === 0 && chunking !== undefined) {
    throw new TypeError(
      `rxllm: throttleTokens: chunking needs a steady rate (charactersPerSecond or wordsPerSecond)`,
    );
  }
  if (flush !== undefined && flush !== 'immediate' && flush !== 'paced') {
    throw new TypeError(
      `rxllm: throttleTokens: flush must be 'immediate' or 'paced', got ${JSON.stringify(flush)}`,
    );
  }
  if (scheduler !== undefined && typeof scheduler?.schedule !== 'function') {
    throw new TypeError(
      `rxllm: throttleTokens: scheduler must be an RxJS scheduler, got ${String(scheduler)}`,
    );
  }
  // No rate at all: one emission per tick of the scheduler (per frame with animationFrameScheduler).
  return given === 0 ? { ...config, intervalMs: 0 } : config;
}
