import { RxllmError } from '../src/base/errors';
import type { DeadlineConfig } from '../src/operators/deadline';
import { ev, type MarbleScenario } from '../src/testing';

const values = {
  s: ev.start({ id: 'msg_1', model: 'm' }),
  a: ev.text('Hel'),
  b: ev.text('lo'),
  c: ev.text('!'),
  u: ev.usage(5, 3),
  f: ev.finish('stop'),
  r: ev.reset('timeout'),
  x: ev.text('fallback'),
  // The fallback is a new request, so a new step: announced before its first event.
  n: { type: 'step-start', step: 1 } as const,
};

const timeout = (message: string) => new RxllmError(`deadline: ${message}`, { code: 'timeout' });

/** The scenarios that specify `deadline`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, MarbleScenario<DeadlineConfig>> = {
  main: {
    description: 'fails with a timeout when the gap after a token exceeds betweenTokensMs',
    diagram: {
      source: '-s-a-b-----c-|',
      expected: '-s-a-b--#',
    },
    values,
    config: { firstTokenMs: 5, betweenTokensMs: 3 },
    subscriptions: '^-------!',
    error: timeout('no token for 3 ms after the last one (betweenTokensMs)'),
  },
  firstToken: {
    description: 'fails at firstTokenMs when only a start event has arrived',
    diagram: {
      source: '-s------a-|',
      expected: '-s---#',
    },
    values,
    config: { firstTokenMs: 5 },
    subscriptions: '^----!',
    error: timeout('no first token within 5 ms (firstTokenMs)'),
  },
  firstTokenExactlyInTime: {
    description: 'lets a first token that arrives exactly at firstTokenMs through',
    diagram: {
      source: '-----a-b-|',
      expected: '-----a-b-|',
    },
    values,
    config: { firstTokenMs: 5 },
    subscriptions: '^--------!',
  },
  total: {
    description: 'fails at totalMs even while tokens keep coming',
    diagram: {
      source: '-a-b-a-b-a-b-|',
      expected: '-a-b-a#',
    },
    values,
    config: { betweenTokensMs: 3, totalMs: 6 },
    subscriptions: '^-----!',
    error: timeout('the stream did not finish within 6 ms (totalMs)'),
  },
  hangAfterLastToken: {
    description: 'fails when the stream hangs after its last token and finish',
    diagram: {
      source: '-a-bf-----',
      expected: '-a-bf--#',
    },
    values,
    config: { betweenTokensMs: 4 },
    subscriptions: '^------!',
    error: timeout('no token for 4 ms after the last one (betweenTokensMs)'),
  },
  inTime: {
    description: 'passes a stream that meets every deadline unchanged, usage arriving last',
    diagram: {
      source: '-s-a--b--c-fu|',
      expected: '-s-a--b--c-fu|',
    },
    values,
    config: { firstTokenMs: 4, betweenTokensMs: 5, totalMs: 20 },
    subscriptions: '^------------!',
  },
  fallback: {
    description: "afterOutput 'reset': switches to the fallback after a reset when content had been shown",
    diagram: {
      source: '-a-------b-|',
      fallback: '-x---|',
      expected: '-a--r(nx)|',
    },
    values,
    config: { betweenTokensMs: 3, afterOutput: 'reset' },
    subscriptions: '^---!',
  },
  fallbackAfterContent: {
    description: 'fails with the timeout instead of falling back once content had been shown (the default)',
    diagram: {
      source: '-a-------b-|',
      fallback: '-x-|',
      expected: '-a--#',
    },
    values,
    config: { betweenTokensMs: 3 },
    subscriptions: '^---!',
    error: new RxllmError('deadline: no token for 3 ms after the last one (betweenTokensMs)', {
      code: 'timeout',
      partial: {
        text: 'Hel',
        reasoning: '',
        refusal: '',
        toolCalls: [],
        usage: null,
        finishReason: null,
      },
    }),
  },
  fallbackBeforeContent: {
    description: 'switches to the fallback without a reset when nothing had been shown',
    diagram: {
      source: '-s-------a-|',
      fallback: '-x---|',
      expected: '-s--(nx)|',
    },
    values,
    config: { firstTokenMs: 3 },
    subscriptions: '^--!',
  },
};
