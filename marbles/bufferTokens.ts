import type { RxllmEvent } from '../src/base/events';
import type { BufferTokensConfig } from '../src/operators/bufferTokens';
import { ev, type MarbleScenario } from '../src/testing';

/** A scenario, plus where the subscriber unsubscribes when it proves teardown. */
export type BufferTokensScenario = MarbleScenario<BufferTokensConfig> & { unsubscribe?: string };

const text = (value: string, fields: Partial<RxllmEvent> = {}) => ({ ...ev.text(value), ...fields });
const reasoning = (value: string, fields: Partial<RxllmEvent> = {}) => ({
  ...ev.reasoning(value),
  ...fields,
});

/** Hel | lo wor | ld: a word split across three deltas, as models stream it. */
const words = {
  a: ev.text('Hel'),
  b: ev.text('lo wor'),
  c: ev.text('ld'),
  d: ev.finish(),
  f: ev.finish(),
  u: ev.usage(12, 3),
};

/** The scenarios that specify `bufferTokens`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, BufferTokensScenario> = {
  main: {
    description: 'emits up to the last word boundary and flushes the rest before the next event',
    diagram: {
      source: '-a-b-c-(d|)',
      expected: '---x---(yd|)',
    },
    values: { ...words, x: ev.text('Hello '), y: ev.text('world') },
    config: { boundary: 'word' },
    subscriptions: '^------!',
  },
  count: {
    description: 'emits every count deltas joined, and the remainder at completion',
    diagram: {
      source: '-a-b-c-(f|)',
      expected: '---x---(yf|)',
    },
    values: { ...words, x: ev.text('Hello wor'), y: ev.text('ld') },
    config: { count: 2 },
  },
  time: {
    description: 'emits what arrived within timeMs of the first buffered delta',
    diagram: {
      source: '-a-b----c-|',
      expected: '----x-----(y|)',
    },
    values: { ...words, x: ev.text('Hello wor'), y: ev.text('ld') },
    config: { timeMs: 3 },
  },
  countOrTime: {
    description: 'emits at whichever of count and timeMs comes first',
    diagram: {
      source: '-abc-a-----|',
      expected: '---x------y|',
    },
    values: { ...words, x: ev.text('Hello world'), y: ev.text('Hel') },
    config: { count: 3, timeMs: 5 },
  },
  sentence: {
    description: 'emits whole sentences and keeps an unfinished one',
    diagram: {
      source: '-a-b-c-(f|)',
      expected: '-x-y---(zf|)',
    },
    values: {
      a: ev.text('Hi. How'),
      b: ev.text(' are you? I'),
      c: ev.text("'m fine."),
      f: ev.finish(),
      x: ev.text('Hi. '),
      y: ev.text('How are you? '),
      z: ev.text("I'm fine."),
    },
    config: { boundary: 'sentence' },
  },
  sentenceDecimal: {
    description: 'does not end a sentence at a decimal point or before the space arrives',
    diagram: {
      source: '-a-b-c-|',
      expected: '-----x-(y|)',
    },
    values: {
      a: ev.text('Pi is 3.14'),
      b: ev.text(' roughly.'),
      c: ev.text(' Yes'),
      x: ev.text('Pi is 3.14 roughly. '),
      y: ev.text('Yes'),
    },
    config: { boundary: 'sentence' },
  },
  sentenceCjk: {
    description: 'ends Chinese and Japanese sentences at 。！？ without a following space',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-(z|)',
    },
    values: {
      a: ev.text('你好。我'),
      b: ev.text('很好！谢'),
      x: ev.text('你好。'),
      y: ev.text('我很好！'),
      z: ev.text('谢'),
    },
    config: { boundary: 'sentence' },
  },
  sentenceStopRemembered: {
    description: 'ends a sentence whose stop already went out at the closing quote that follows',
    diagram: {
      source: '-a-b-c-|',
      expected: '-x-y-z-|',
    },
    values: {
      a: ev.text('「好。'),
      b: ev.text('」她说'),
      c: ev.text('。'),
      x: ev.text('「好。'),
      y: ev.text('」'),
      z: ev.text('她说。'),
    },
    config: { boundary: 'sentence' },
  },
  sentenceCount: {
    description: 'reads the stops of a delta that count emits: a letter after one ends no sentence',
    diagram: {
      source: '-a-b-c-|',
      expected: '---x---(y|)',
    },
    values: {
      a: ev.text('Hi.'),
      b: ev.text('x'),
      c: ev.text(' y'),
      x: ev.text('Hi.x'),
      y: ev.text(' y'),
    },
    config: { boundary: 'sentence', count: 2 },
  },
  line: {
    description: 'emits whole lines',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-(z|)',
    },
    values: {
      a: ev.text('one\ntw'),
      b: ev.text('o\nthree'),
      x: ev.text('one\n'),
      y: ev.text('two\n'),
      z: ev.text('three'),
    },
    config: { boundary: 'line' },
  },
  regex: {
    description: 'emits up to and including the last match of a RegExp',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-(z|)',
    },
    values: {
      a: ev.text('a, b'),
      b: ev.text('; c, d'),
      x: ev.text('a,'),
      y: ev.text(' b; c,'),
      z: ev.text(' d'),
    },
    config: { boundary: /[,;]/ },
  },
  regexLookahead: {
    description: 'cuts at an empty match of a lookahead RegExp',
    diagram: {
      source: '-a-b-|',
      expected: '---y-(z|)',
    },
    values: {
      a: ev.text('## Intro text'),
      b: ev.text(' ## Next'),
      y: ev.text('## Intro text '),
      z: ev.text('## Next'),
    },
    config: { boundary: /(?=##)/ },
  },
  empty: {
    description: 'completes at once on an empty source',
    diagram: {
      source: '|',
      expected: '|',
    },
    values: {},
    config: { boundary: 'word' },
  },
  oneValue: {
    description: 'emits a single unfinished word when the source completes',
    diagram: {
      source: '-a|',
      expected: '--(x|)',
    },
    values: { a: ev.text('Hi'), x: ev.text('Hi') },
    config: { boundary: 'word' },
  },
  error: {
    description: 'flushes what was buffered, then errors',
    diagram: {
      source: '-a-b-#',
      expected: '---x-(y#)',
    },
    values: { ...words, x: ev.text('Hello '), y: ev.text('wor') },
    config: { boundary: 'word' },
    error: new Error('socket hang up'),
  },
  neverEnding: {
    description: 'keeps emitting from a source that never completes, holding the unfinished word',
    diagram: {
      source: '-a-b-c-',
      expected: '---x---',
    },
    values: { ...words, x: ev.text('Hello ') },
    config: { boundary: 'word' },
  },
  earlyUnsubscribe: {
    description: 'drops the buffer and cancels its timer when unsubscribed',
    diagram: {
      source: '-a-b-c-|',
      expected: '---x--',
    },
    values: { ...words, x: ev.text('Hello ') },
    config: { boundary: 'word', timeMs: 20 },
    unsubscribe: '^-----!',
    subscriptions: '^-----!',
  },
  usageLast: {
    description: 'flushes the text before a usage event that arrives last',
    diagram: {
      source: '-a-b-c-u---(f|)',
      expected: '---x---(yu)(f|)',
    },
    values: { ...words, x: ev.text('Hello '), y: ev.text('world') },
    config: { boundary: 'word' },
  },
  keepsFields: {
    description: 'keeps track, choice and the first delta’s seq on what it emits',
    diagram: {
      source: '-a-b-c-|',
      expected: '---x---(y|)',
    },
    values: {
      a: text('Hel', { seq: 4, track: 'cloud' }),
      b: text('lo wor', { seq: 5, track: 'cloud' }),
      c: text('ld', { seq: 6, track: 'cloud' }),
      x: text('Hello ', { seq: 4, track: 'cloud' }),
      y: text('world', { seq: 5, track: 'cloud' }),
    },
    config: { boundary: 'word' },
  },
  interleavedTracks: {
    description: 'buffers interleaved tracks separately and never joins their text',
    diagram: {
      source: '-a-b-c-d-|',
      expected: '-----x-y-|',
    },
    values: {
      a: ev.text('Hel', 'local'),
      b: ev.text('Hol', 'cloud'),
      c: ev.text('lo ', 'local'),
      d: ev.text('a ', 'cloud'),
      x: ev.text('Hello ', 'local'),
      y: ev.text('Hola ', 'cloud'),
    },
    config: { boundary: 'word' },
  },
  otherTrackEvent: {
    description: 'flushes only the buffers of the track an event belongs to',
    diagram: {
      source: '-a-b-c---|',
      expected: '---u-(xf)|',
    },
    values: {
      a: ev.text('Hel', 'local'),
      b: ev.usage(1, 1, 'cloud'),
      c: ev.finish('stop', 'local'),
      u: ev.usage(1, 1, 'cloud'),
      x: ev.text('Hel', 'local'),
      f: ev.finish('stop', 'local'),
    },
    config: { boundary: 'word' },
  },
  choices: {
    description: 'buffers the choices of an n > 1 stream separately',
    diagram: {
      source: '-a-b-c-d-|',
      expected: '-----x-y-(pq|)',
    },
    values: {
      a: text('Yes', { choice: 0 }),
      b: text('No', { choice: 1 }),
      c: text(' sir', { choice: 0 }),
      d: text(' way', { choice: 1 }),
      x: text('Yes ', { choice: 0 }),
      y: text('No ', { choice: 1 }),
      p: text('sir', { choice: 0 }),
      q: text('way', { choice: 1 }),
    },
    config: { boundary: 'word' },
  },
  reasoningThenText: {
    description: 'buffers reasoning apart from text and flushes it when the answer begins',
    diagram: {
      source: '-a-b-c-|',
      expected: '-----x-(y|)',
    },
    values: {
      a: ev.reasoning('Let me'),
      b: ev.reasoning(' think.'),
      c: ev.text('Yes'),
      x: ev.reasoning('Let me think.'),
      y: ev.text('Yes'),
    },
    config: { count: 10 },
  },
  reasoningSignature: {
    description: 'treats a reasoning signature as an event that flushes and passes',
    diagram: {
      source: '-a-b---c|',
      expected: '---(xs)-(y|)',
    },
    values: {
      a: ev.reasoning('Hmm'),
      b: reasoning('', { signature: 'sig' } as Partial<RxllmEvent>),
      s: reasoning('', { signature: 'sig' } as Partial<RxllmEvent>),
      c: ev.text('Ok'),
      x: ev.reasoning('Hmm'),
      y: ev.text('Ok'),
    },
    config: { count: 10 },
  },
  emojiZwjSplit: {
    description: 'holds an emoji ZWJ sequence split across deltas together',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-|',
    },
    values: {
      a: ev.text('Hi 👨\u200D'),
      b: ev.text('👩\u200D👧 there'),
      x: ev.text('Hi '),
      y: ev.text('👨\u200D👩\u200D👧 there'),
    },
    config: { count: 1 },
  },
  emojiModifierSplit: {
    description: 'holds an emoji back until the skin tone that follows it in the next delta',
    diagram: {
      source: '-a---b-|',
      expected: '----x--(y|)',
    },
    values: {
      a: ev.text('ok 👍'),
      b: ev.text('🏽'),
      x: ev.text('ok '),
      y: ev.text('👍🏽'),
    },
    config: { timeMs: 3 },
  },
  flagSplit: {
    description: 'holds a flag split between its two regional indicators together',
    diagram: {
      source: '-a-b-|',
      expected: '---x-|',
    },
    values: {
      a: ev.text('🇯'),
      b: ev.text('🇵 Japan'),
      x: ev.text('🇯🇵 Japan'),
    },
    config: { count: 1 },
  },
  surrogateSplit: {
    description: 'never emits half of a surrogate pair',
    diagram: {
      source: '-a-b-|',
      expected: '---x-|',
    },
    values: {
      a: ev.text('\uD83D'),
      b: ev.text('\uDE00!'),
      x: ev.text('😀!'),
    },
    config: { count: 1 },
  },
  heldUntilCompletion: {
    description: 'emits a held emoji as it is when the source completes',
    diagram: {
      source: '-a-|',
      expected: '---(x|)',
    },
    values: { a: ev.text('🎉'), x: ev.text('🎉') },
    config: { count: 1 },
  },
  cjkWords: {
    description: 'treats each Chinese character as a word end',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-|',
    },
    values: {
      a: ev.text('你好'),
      b: ev.text('世界'),
      x: ev.text('你好'),
      y: ev.text('世界'),
    },
    config: { boundary: 'word' },
  },
  devanagariSplit: {
    description: 'keeps a Devanagari conjunct together when a token ends on its first consonant',
    diagram: {
      source: '-a-b-|',
      expected: '-x-y-|',
    },
    values: {
      a: ev.text('नमस'),
      b: ev.text('्ते '),
      x: ev.text('नम'),
      y: ev.text('स्ते '),
    },
    config: { count: 1 },
  },
};
