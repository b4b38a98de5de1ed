import { of } from 'rxjs';
import { RxllmError } from '../src/base/errors';
import type { RetryStreamConfig } from '../src/operators/retryStream';
import { ev, type MarbleScenario } from '../src/testing';

/**
 * A retry scenario draws either one `source` line (the same cold source, re-requested on every
 * attempt) or one line per attempt (`attempt1`, `attempt2`, ...: cold, each subscribed in turn;
 * spaces only align them under the frame where they are subscribed). `errors` names the error
 * each input line's `#` stands for (`error` the expected line's); `subscriptions` lists one subscription per attempt.
 */
export interface RetryScenario extends MarbleScenario<RetryStreamConfig> {
  errors: Record<string, unknown>;
}

export const overloaded = new RxllmError('Overloaded', { code: 'overloaded', status: 529 });
export const rateLimited = new RxllmError('Rate limit reached', {
  code: 'rate-limit',
  status: 429,
  retryAfterMs: 10,
});
export const unauthorized = new RxllmError('Invalid API key', { code: 'auth', status: 401 });

const values = {
  s: ev.start({ id: 'msg_1', model: 'm' }),
  a: ev.text('Hel'),
  b: ev.text('Hello'),
  c: ev.text('!'),
  u: ev.usage(5, 3),
  f: ev.finish('stop'),
  r: ev.reset('retry'),
  // Each attempt is a new request, so a new step: announced before its first event.
  n: { type: 'step-start', step: 1 } as const,
  N: { type: 'step-start', step: 2 } as const,
};

/** The scenarios that specify `retryStream`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, RetryScenario> = {
  main: {
    description: 'resubscribes after the backoff when the failed attempt had shown nothing',
    diagram: {
      attempt1: '-s-#',
      attempt2: '       -a---|',
      expected: '-s------(na)|',
    },
    values,
    errors: { attempt1: overloaded },
    config: { initialDelayMs: 4, jitter: 0 },
    subscriptions: ['^--!', '-------^----!'],
  },
  failAfterOutput: {
    description: 'passes the error on, unretried, once the failed attempt had shown output (the default)',
    diagram: {
      source: '-a-#',
      expected: '-a-#',
    },
    values,
    errors: { source: overloaded },
    error: overloaded,
    config: { initialDelayMs: 4, jitter: 0 },
    subscriptions: ['^--!'],
  },
  resetAfterOutput: {
    description: "afterOutput 'reset': takes back the failed attempt with a reset and resubscribes",
    diagram: {
      attempt1: '-a-#',
      attempt2: '       -b---|',
      expected: '-a-----r(nb)|',
    },
    values,
    errors: { attempt1: overloaded },
    config: { initialDelayMs: 4, jitter: 0, afterOutput: 'reset' },
    subscriptions: ['^--!', '-------^----!'],
  },
  continueAfterOutput: {
    description: "afterOutput 'continue': subscribes continueWith(shown) instead, with no reset",
    diagram: {
      attempt1: '-a-#',
      expected: '-a-----(nc|)',
    },
    values,
    errors: { attempt1: overloaded },
    config: {
      initialDelayMs: 4,
      jitter: 0,
      afterOutput: 'continue',
      continueWith: (shown) => of(shown.text === 'Hel' ? values.c : values.f),
    },
    subscriptions: ['^--!'],
  },
  backoff: {
    description: 're-requests the same cold source with exponentially growing waits, then fails',
    diagram: {
      source: '-a-----#',
      expected: '-a-------r(na)--------r(Na)--#',
    },
    values,
    errors: { source: overloaded },
    error: overloaded,
    config: { maxRetries: 2, initialDelayMs: 2, factor: 3, jitter: 0, afterOutput: 'reset' },
    subscriptions: ['^------!', '---------^------!', '----------------------^------!'],
  },
  jitter: {
    description: 'shortens each wait by jitter × random() and emits no reset when nothing was shown',
    diagram: {
      source: 's---#',
      expected: 's---------(ns)------------(Ns)#',
    },
    values,
    errors: { source: overloaded },
    error: overloaded,
    config: { maxRetries: 2, initialDelayMs: 8, factor: 2, jitter: 0.5, random: () => 0.5 },
    subscriptions: ['^---!', '----------^---!', '--------------------------^---!'],
  },
  maxDelay: {
    description: 'caps the backoff at maxDelayMs',
    diagram: {
      source: '#',
      expected: '--------------#',
    },
    values,
    errors: { source: overloaded },
    error: overloaded,
    config: { maxRetries: 3, initialDelayMs: 4, factor: 10, maxDelayMs: 5, jitter: 0 },
    subscriptions: ['(^!)', '----(^!)', '---------(^!)', '--------------(^!)'],
  },
  retryAfter: {
    description: "waits the error's retryAfterMs instead of the backoff",
    diagram: {
      attempt1: '-a-#',
      attempt2: '             -b---|',
      expected: '-a-----------r(nb)|',
    },
    values,
    errors: { attempt1: rateLimited },
    config: { initialDelayMs: 1, jitter: 0, afterOutput: 'reset' },
    subscriptions: ['^--!', '-------------^----!'],
  },
  retryAfterBeyondMaxDelay: {
    description: 'passes the error at once when retryAfterMs exceeds maxDelayMs',
    diagram: {
      source: '-a-#',
      expected: '-a-#',
    },
    values,
    errors: { source: rateLimited },
    error: rateLimited,
    config: { initialDelayMs: 1, maxDelayMs: 9 },
    subscriptions: ['^--!'],
  },
  notRetryable: {
    description: 'passes a non-retryable error at once',
    diagram: {
      source: '-a-#',
      expected: '-a-#',
    },
    values,
    errors: { source: unauthorized },
    error: unauthorized,
    config: { initialDelayMs: 1 },
    subscriptions: ['^--!'],
  },
  resetOnlyAfterContent: {
    description: 'emits one reset for shown text, none for an attempt that showed nothing',
    diagram: {
      attempt1: '-sa#',
      attempt2: '     -s----#',
      attempt3: '                -s---b-fu|',
      expected: '-sa--r(ns)-------(Ns)b-fu|',
    },
    values,
    errors: { attempt1: overloaded, attempt2: overloaded },
    config: { initialDelayMs: 2, factor: 2.5, jitter: 0, afterOutput: 'reset' },
    subscriptions: ['^--!', '-----^-----!', '----------------^--------!'],
  },
  success: {
    description: 'passes a stream that does not fail unchanged, usage arriving last',
    diagram: {
      source: '-s-a-b-f-u-|',
      expected: '-s-a-b-f-u-|',
    },
    values,
    errors: {},
    config: {},
    subscriptions: ['^----------!'],
  },
};
