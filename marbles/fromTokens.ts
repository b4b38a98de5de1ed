import type { RxllmEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { FromTokensConfig } from '../src/sources/fromTokens';
import type { MarbleScenario } from '../src/testing';

/** A scenario of the source: the script and its config, and where the subscriber unsubscribes. */
export type FromTokensScenario = MarbleScenario<FromTokensConfig & { tokens: Array<string | RxllmEvent> }> & {
  unsubscribe?: string;
};

const usage = { inputTokens: 4, outputTokens: 2, totalTokens: 6 };
const overloaded = new RxllmError('Overloaded', { code: 'overloaded' });

/** The scenarios that specify `fromTokens`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, FromTokensScenario> = {
  main: {
    description:
      'emits the first token after firstTokenDelayMs, the next after delayMs, then finish and usage',
    diagram: { expected: '--a--(bfu|)' },
    values: {
      a: { type: 'text', text: 'Hel', seq: 0 },
      b: { type: 'text', text: 'lo', seq: 1 },
      f: { type: 'finish', reason: 'stop', seq: 2 },
      u: { type: 'usage', ...usage, seq: 3 },
    },
    config: { tokens: ['Hel', 'lo'], firstTokenDelayMs: 2, delayMs: 3, usage },
  },
  eventsAndTrack: {
    description: 'emits a start at subscription, events as given, and stamps every event with the track',
    diagram: { expected: '(s)a(bf|)' },
    values: {
      s: { type: 'start', model: 'scripted', seq: 0, track: 'local' },
      a: { type: 'reasoning', text: 'hmm', seq: 1, track: 'local' },
      b: { type: 'text', text: 'Hi', seq: 2, track: 'local' },
      f: { type: 'finish', reason: 'length', seq: 3, track: 'local' },
    },
    config: {
      tokens: [{ type: 'reasoning', text: 'hmm' }, 'Hi'],
      delayMs: 1,
      firstTokenDelayMs: 3,
      start: { model: 'scripted' },
      finish: 'length',
      track: 'local',
    },
  },
  error: {
    description: 'errors after the last token instead of finishing when an error is scripted',
    diagram: { expected: '-a-(b#)' },
    values: { a: { type: 'text', text: 'Hel', seq: 0 }, b: { type: 'text', text: 'lo', seq: 1 } },
    config: { tokens: ['Hel', 'lo'], delayMs: 2, firstTokenDelayMs: 1, error: overloaded },
    error: overloaded,
  },
  unsubscribe: {
    description: 'emits nothing more after the subscriber unsubscribes',
    diagram: { unsubscribe: '----!', expected: '-a-b' },
    values: { a: { type: 'text', text: 'a', seq: 0 }, b: { type: 'text', text: 'b', seq: 1 } },
    config: { tokens: ['a', 'b', 'c'], delayMs: 2, firstTokenDelayMs: 1 },
  },
  empty: {
    description: 'finishes after firstTokenDelayMs when the script has no tokens',
    diagram: { expected: '---(f|)' },
    values: { f: { type: 'finish', reason: 'stop', seq: 0 } },
    config: { tokens: [], firstTokenDelayMs: 3 },
  },
};
