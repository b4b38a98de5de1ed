import type { ProgressEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { ProgressConfig } from '../src/operators/progress';
import { ev, type MarbleScenario } from '../src/testing';

/** A progress event; tokensPerSecond is written out below as (tokens - 1) * 1000 / ms since the first. */
const progress = (fields: Omit<ProgressEvent, 'type'>): ProgressEvent => ({ type: 'progress', ...fields });

const values = {
  s: ev.start({ model: 'm' }),
  a: ev.text('Hel'),
  b: ev.text('lo'),
  c: ev.text('!'),
  f: ev.finish(),
  u: ev.usage(3, 3),
  // main: deltas at 2, 3 and 5 (6 characters); a tick at 6; completion at 10.
  P: progress({
    tokens: 3,
    characters: 6,
    elapsedMs: 6,
    timeToFirstTokenMs: 2,
    tokensPerSecond: ((3 - 1) * 1000) / (6 - 2),
  }),
  F: progress({
    tokens: 3,
    characters: 6,
    elapsedMs: 10,
    timeToFirstTokenMs: 2,
    tokensPerSecond: ((3 - 1) * 1000) / (10 - 2),
  }),

  // Multibyte: '你好' is 2 code points, '😀👍' is 2 (4 UTF-16 units), 'é' 1.
  m: ev.text('你好'),
  n: ev.text('😀👍'),
  e: ev.text('é'),
  M: progress({
    tokens: 2,
    characters: 4,
    elapsedMs: 3,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((2 - 1) * 1000) / (3 - 1),
  }),
  N: progress({
    tokens: 3,
    characters: 5,
    elapsedMs: 8,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((3 - 1) * 1000) / (8 - 1),
  }),

  // everyTokens: 2 with deltas 'Hel', 'lo', 'Hel', 'lo' at 1, 3, 8, 10 and completion at 15.
  B: progress({
    tokens: 2,
    characters: 5,
    elapsedMs: 3,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((2 - 1) * 1000) / (3 - 1),
  }),
  D: progress({
    tokens: 4,
    characters: 10,
    elapsedMs: 10,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((4 - 1) * 1000) / (10 - 1),
  }),
  E: progress({
    tokens: 4,
    characters: 10,
    elapsedMs: 15,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((4 - 1) * 1000) / (15 - 1),
  }),

  // Interleaved tracks, a tick every 9: local deltas at 1 and 3, cloud starts at 2, its deltas at 13 and 14.
  l: ev.text('ab', 'local'),
  k: ev.text('c', 'local'),
  x: ev.start({ track: 'cloud' }),
  y: ev.text('xyz', 'cloud'),
  z: ev.reasoning('q', 'cloud'),
  L: progress({
    track: 'local',
    tokens: 2,
    characters: 3,
    elapsedMs: 9,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((2 - 1) * 1000) / (9 - 1),
  }),
  C: progress({ track: 'cloud', tokens: 0, characters: 0, elapsedMs: 9, tokensPerSecond: 0 }),
  I: progress({
    track: 'local',
    tokens: 2,
    characters: 3,
    elapsedMs: 16,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((2 - 1) * 1000) / (16 - 1),
  }),
  J: progress({
    track: 'cloud',
    tokens: 2,
    characters: 4,
    elapsedMs: 16,
    timeToFirstTokenMs: 13,
    tokensPerSecond: ((2 - 1) * 1000) / (16 - 13),
  }),

  // Before any delta: a start at 1, ticks every 3.
  W: progress({ tokens: 0, characters: 0, elapsedMs: 3, tokensPerSecond: 0 }),
  Y: progress({ tokens: 0, characters: 0, elapsedMs: 6, tokensPerSecond: 0 }),
  // error: one delta at 1, failure at 3.
  R: progress({ tokens: 1, characters: 3, elapsedMs: 3, timeToFirstTokenMs: 1, tokensPerSecond: 0 }),
  // One delta at 1, completion at 2.
  O: progress({ tokens: 1, characters: 3, elapsedMs: 2, timeToFirstTokenMs: 1, tokensPerSecond: 0 }),
  // usage arriving last: deltas at 1 and 2, finish at 4, usage at 5, completion at 6.
  U: progress({
    tokens: 2,
    characters: 5,
    elapsedMs: 6,
    timeToFirstTokenMs: 1,
    tokensPerSecond: ((2 - 1) * 1000) / (6 - 1),
  }),
};

/** The scenarios that specify `progress`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, MarbleScenario<ProgressConfig> & { unsubscribe?: string }> = {
  main: {
    description: 'reports deltas, characters, time to first token and rate on every tick and at the end',
    diagram: {
      source: '--ab-c----|',
      expected: '--ab-cP---(F|)',
    },
    values,
    config: { intervalMs: 6 },
    subscriptions: '^---------!',
  },
  everyTokens: {
    description: 'reports a track right after every everyTokens-th delta when only everyTokens is given',
    diagram: {
      source: '-a-b----a-b----|',
      expected: '-a-(bB)-a-(bD)-(E|)',
    },
    values,
    config: { everyTokens: 2 },
  },
  multibyte: {
    description: 'counts emoji and CJK characters as code points',
    diagram: {
      source: '-m-n---e|',
      expected: '-m-(nM)e(N|)',
    },
    values,
    config: { everyTokens: 2 },
  },
  interleavedTracks: {
    description: 'reports every track seen so far on each tick, each with its own first token and rate',
    diagram: {
      source: '-lxk---------yz-|',
      expected: '-lxk-----(LC)yz-(IJ|)',
    },
    values,
    config: { intervalMs: 9 },
  },
  beforeFirstToken: {
    description: 'reports elapsed time without a first token while the model has not answered yet',
    diagram: {
      source: '-s-------',
      unsubscribe: '^-------!',
      expected: '-s-W--Y-',
    },
    values,
    config: { intervalMs: 3 },
    subscriptions: '^-------!',
  },
  error: {
    description: 'makes a final report and then passes the error on',
    diagram: {
      source: '-a-#',
      expected: '-a-(R#)',
    },
    values,
    config: { intervalMs: 10 },
    error: new RxllmError('socket hang up', { code: 'network' }),
  },
  usageArrivingLast: {
    description: 'passes finish and usage through without counting them as tokens',
    diagram: {
      source: '-ab-fu|',
      expected: '-ab-fu(U|)',
    },
    values,
    config: { intervalMs: 0, everyTokens: 5 },
  },
  oneDelta: {
    description: 'makes one final report for a stream of one delta',
    diagram: {
      source: '-a|',
      expected: '-a(O|)',
    },
    values,
    config: {},
  },
  empty: {
    description: 'completes an empty stream without a report',
    diagram: {
      source: '|',
      expected: '|',
    },
    values,
    config: { intervalMs: 1 },
  },
  neverEnding: {
    description: 'stops its timer and unsubscribes from a never-ending source when unsubscribed',
    diagram: {
      source: '-a-------',
      unsubscribe: '^----!',
      expected: '-a-R-',
    },
    values,
    config: { intervalMs: 3 },
    subscriptions: '^----!',
  },
};
