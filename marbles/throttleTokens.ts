import type { RxllmEvent } from '../src/base/events';
import type { ThrottleTokensConfig } from '../src/operators/throttleTokens';
import { ev, type MarbleScenario } from '../src/testing';

/** A scenario, plus where the subscriber unsubscribes when it proves teardown. */
export type ThrottleTokensScenario = MarbleScenario<ThrottleTokensConfig> & { unsubscribe?: string };

const text = (value: string, fields: Partial<RxllmEvent> = {}) => ({ ...ev.text(value), ...fields });

/** Three words in one burst, as a fast model or a proxy's batching delivers them. */
const burst = {
  a: ev.text('Hi there you '),
  f: ev.finish(),
  u: ev.usage(7, 3),
  x: ev.text('Hi '),
  y: ev.text('there '),
  z: ev.text('you '),
};

/** "Hello world" in three deltas, and what an interval joins after the first goes out. */
const hello = { a: ev.text('Hel'), b: ev.text('lo'), c: ev.text(' world'), x: ev.text('lo world') };

/** The scenarios that specify `throttleTokens`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, ThrottleTokensScenario> = {
  main: {
    description: 'emits a word every 2 ms and lets the finish pass right after the text before it',
    diagram: {
      source: '-a--f------|',
      expected: '-x-y-(zf)--|',
    },
    values: burst,
    config: { wordsPerSecond: 500 },
    subscriptions: '^----------!',
  },
  flushImmediate: {
    description: 'emits the queued text at once when the source completes',
    diagram: {
      source: '-a(f|)',
      expected: '-x(yf|)',
    },
    values: { ...burst, y: ev.text('there you ') },
    config: { wordsPerSecond: 500 },
  },
  flushPaced: {
    description: 'keeps the pace after completion with flush paced, then completes',
    diagram: {
      source: '-a(f|)',
      expected: '-x-y-(zf|)',
    },
    values: burst,
    config: { wordsPerSecond: 500, flush: 'paced' },
  },
  characters: {
    description: 'types one character per 1000 / charactersPerSecond ms',
    diagram: {
      source: '-a----|',
      expected: '-xyz--|',
    },
    values: { a: ev.text('Hi!'), x: ev.text('H'), y: ev.text('i'), z: ev.text('!') },
    config: { charactersPerSecond: 1000 },
  },
  charactersEmoji: {
    description: 'types an emoji with its skin tone as one character',
    diagram: {
      source: '-a----|',
      expected: '-xyz--|',
    },
    values: { a: ev.text('a👍🏽b'), x: ev.text('a'), y: ev.text('👍🏽'), z: ev.text('b') },
    config: { charactersPerSecond: 1000 },
  },
  charactersHoldEmoji: {
    description: 'waits for the rest of an emoji split across deltas before typing it',
    diagram: {
      source: '-a---b-|',
      expected: '-xy--zw|',
    },
    values: {
      a: ev.text('ok👍'),
      b: ev.text('🏽 '),
      x: ev.text('o'),
      y: ev.text('k'),
      z: ev.text('👍🏽'),
      w: ev.text(' '),
    },
    config: { charactersPerSecond: 1000 },
  },
  charactersByWord: {
    description: 'emits whole words that wait for as long as their characters are worth',
    diagram: {
      source: '-a-------|',
      expected: '-x--y----|',
    },
    values: { a: ev.text('Hi there '), x: ev.text('Hi '), y: ev.text('there ') },
    config: { charactersPerSecond: 1000, chunking: 'word' },
  },
  lines: {
    description: 'emits whole lines, each worth its words',
    diagram: {
      source: '-a---|',
      expected: '-x-y-|',
    },
    values: { a: ev.text('one two\nthree\n'), x: ev.text('one two\n'), y: ev.text('three\n') },
    config: { wordsPerSecond: 1000, chunking: 'line' },
  },
  wordSplitAcrossChunks: {
    description: 'waits for a word split across deltas to be complete',
    diagram: {
      source: '-ab----|',
      expected: '-x-y-z-|',
    },
    values: {
      a: text('Hi the', { seq: 1 }),
      b: text('re you ', { seq: 2 }),
      x: text('Hi ', { seq: 1 }),
      y: text('there ', { seq: 1 }),
      z: text('you ', { seq: 2 }),
    },
    config: { wordsPerSecond: 500 },
  },
  cjk: {
    description: 'paces Chinese text one character (one word) at a time',
    diagram: {
      source: '-a----|',
      expected: '-wxyz-|',
    },
    values: {
      a: ev.text('你好世界'),
      w: ev.text('你'),
      x: ev.text('好'),
      y: ev.text('世'),
      z: ev.text('界'),
    },
    config: { wordsPerSecond: 1000 },
  },
  interval: {
    description: 'emits the first delta at once and at most one more per interval',
    diagram: {
      source: '-a-b---c--|',
      expected: '-a---b---c|',
    },
    values: { a: ev.text('Hel'), b: ev.text('lo'), c: ev.text(' world') },
    config: { intervalMs: 4 },
  },
  intervalCoalesces: {
    description: 'joins what arrives during an interval into one delta',
    diagram: {
      source: '-abc---|',
      expected: '-a---x-|',
    },
    values: hello,
    config: { intervalMs: 4 },
  },
  intervalPaced: {
    description: 'completes after the last interval with flush paced',
    diagram: {
      source: '-abc|',
      expected: '-a---(x|)',
    },
    values: hello,
    config: { intervalMs: 4, flush: 'paced' },
  },
  intervalImmediate: {
    description: 'emits what is queued at once on completion with flush immediate',
    diagram: {
      source: '-abc|',
      expected: '-a--(x|)',
    },
    values: hello,
    config: { intervalMs: 4 },
  },
  intervalEventWaits: {
    description: 'holds an event behind the text queued before it until the interval ends',
    diagram: {
      source: '-a-bu----|',
      expected: '-a---(bu)|',
    },
    values: { a: ev.text('Hel'), b: ev.text('lo'), u: ev.usage(3, 2) },
    config: { intervalMs: 4 },
  },
  intervalEventPasses: {
    description: 'passes an event at once when no text is queued before it',
    diagram: {
      source: '-a-u-|',
      expected: '-a-u-|',
    },
    values: { a: ev.text('Hel'), u: ev.usage(3, 2) },
    config: { intervalMs: 4 },
  },
  empty: {
    description: 'completes at once on an empty source',
    diagram: {
      source: '|',
      expected: '|',
    },
    values: {},
    config: { wordsPerSecond: 5 },
  },
  oneValue: {
    description: 'emits an unfinished word when the source completes',
    diagram: {
      source: '-a|',
      expected: '--(a|)',
    },
    values: { a: ev.text('Hi') },
    config: { wordsPerSecond: 5 },
  },
  error: {
    description: 'emits the queued text at once, then errors',
    diagram: {
      source: '-a#',
      expected: '-x(y#)',
    },
    values: { ...burst, y: ev.text('there you ') },
    config: { wordsPerSecond: 500 },
    error: new Error('socket hang up'),
  },
  neverEnding: {
    description: 'keeps the pace on a source that never completes',
    diagram: {
      source: '-a------',
      expected: '-x-y-z--',
    },
    values: burst,
    config: { wordsPerSecond: 500 },
  },
  earlyUnsubscribe: {
    description: 'cancels the pace and drops the queue when unsubscribed',
    diagram: {
      source: '-a-------|',
      expected: '-x-',
    },
    values: burst,
    config: { wordsPerSecond: 500 },
    unsubscribe: '^-!',
    subscriptions: '^-!',
  },
  interleavedTracks: {
    description: 'paces each track on its own',
    diagram: {
      source: '-ab---|',
      expected: '-xyzw-|',
    },
    values: {
      a: ev.text('one two ', 'local'),
      b: ev.text('uno dos ', 'cloud'),
      x: ev.text('one ', 'local'),
      y: ev.text('uno ', 'cloud'),
      z: ev.text('two ', 'local'),
      w: ev.text('dos ', 'cloud'),
    },
    config: { wordsPerSecond: 500 },
  },
  usageLast: {
    description: 'holds a usage event that arrives last behind the text still being typed',
    diagram: {
      source: '-au-----|',
      expected: '-x-(yu)-|',
    },
    values: { ...burst, a: ev.text('Hi there ') },
    config: { wordsPerSecond: 500 },
  },
  reasoningThenText: {
    description: 'paces reasoning and then the answer, in order',
    diagram: {
      source: '-ab-|',
      expected: '-xy-|',
    },
    values: {
      a: ev.reasoning('Hmm '),
      b: ev.text('Yes '),
      x: ev.reasoning('Hmm '),
      y: ev.text('Yes '),
    },
    config: { wordsPerSecond: 1000 },
  },
};
