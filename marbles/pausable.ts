import type { RxllmEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { PausableConfig } from '../src/operators/pausable';
import { ev, type MarbleScenario } from '../src/testing';

/**
 * A scenario: `source` and `paused` (the notifier; `p` = true, `r` = false) are the inputs, plus
 * where the subscriber unsubscribes and the notifier's expected subscription, where teardown is
 * the point.
 */
export type PausableScenario = MarbleScenario<PausableConfig> & {
  unsubscribe?: string;
  notifierSubscriptions?: string;
};

const signals = { p: true, r: false };

const chat = {
  ...signals,
  a: ev.text('Hel'),
  b: ev.text('lo'),
  c: ev.text(' world'),
  d: ev.text('!'),
  s: ev.start({ id: 'msg_1', model: 'm' }),
  t: ev.toolCallStart('call_1', 'search'),
  k: ev.toolCallDelta('call_1', '{"q":1}'),
  u: ev.usage(10, 2),
  v: ev.usage(10, 5),
  f: ev.finish('stop'),
  z: ev.reset('retry'),
};

/** The scenarios that specify `pausable`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, PausableScenario> = {
  main: {
    description: 'holds what arrives while paused and releases it in order on resume',
    diagram: {
      source: '-a-b-c----d-|',
      paused: '--p---r------',
      expected: '-a----(bc)d-|',
    },
    values: chat,
    config: {},
    subscriptions: '^-----------!',
  },
  completeWhilePaused: {
    description: 'waits for resume to complete, releasing the held events first',
    diagram: {
      source: '-a-b-|',
      paused: '--p------r-',
      expected: '-a-------(b|)',
    },
    values: chat,
    config: {},
  },
  pausedFromTheStart: {
    description: 'holds from the first event when the notifier starts paused',
    diagram: {
      source: '-a-b-|',
      paused: 'p-----r',
      expected: '------(ab|)',
    },
    values: chat,
    config: {},
  },
  repeatedSignals: {
    description: 'ignores repeated pause and resume signals',
    diagram: {
      source: '-a--b----c-|',
      paused: 'r-pp--rr---',
      expected: '-a----b--c-|',
    },
    values: chat,
    config: {},
  },
  notifierCompletes: {
    description: 'resumes for good when the notifier completes while paused',
    diagram: {
      source: '-a-b-c-|',
      paused: '--p-|',
      expected: '-a--bc-|',
    },
    values: chat,
    config: {},
  },
  coalesce: {
    description: 'coalesces held text into one delta and keeps only the latest usage',
    diagram: {
      source: '-a-b-u-c-v-----|',
      paused: '--p--------r----',
      expected: '-a---------(xv)|',
    },
    values: { ...chat, x: ev.text('lo world') },
    config: { policy: 'coalesce' },
  },
  coalesceKeepsOrder: {
    description: 'does not join text across a tool call, which keeps its place',
    diagram: {
      source: '-a-b-t-c-d-------|',
      paused: 'p----------r------',
      expected: '-----------(xty)-|',
    },
    values: { ...chat, x: ev.text('Hello'), y: ev.text(' world!') },
    config: { policy: 'coalesce' },
  },
  coalesceTracks: {
    description: 'coalesces each interleaved track on its own',
    diagram: {
      source: '-a-b-c-d----|',
      paused: 'p-------r---',
      expected: '--------(xy)|',
    },
    values: {
      ...signals,
      a: ev.text('Hel', 'local'),
      b: ev.text('Hol', 'cloud'),
      c: ev.text('lo', 'local'),
      d: ev.text('a', 'cloud'),
      x: ev.text('Hello', 'local'),
      y: ev.text('Hola', 'cloud'),
    },
    config: { policy: 'coalesce' },
  },
  coalesceReasoningApart: {
    description: 'coalesces reasoning and text apart and never joins one into the other',
    diagram: {
      source: '-a-b-c-d----|',
      paused: 'p-------r---',
      expected: '--------(xy)|',
    },
    values: {
      ...signals,
      a: ev.reasoning('Let me'),
      b: ev.reasoning(' think'),
      c: ev.text('Yes'),
      d: ev.text('!'),
      x: ev.reasoning('Let me think'),
      y: ev.text('Yes!'),
    },
    config: { policy: 'coalesce' },
  },
  coalesceEmoji: {
    description: 'joins an emoji and CJK text split across held deltas into whole characters',
    diagram: {
      source: '-a-b-c-|',
      paused: 'p-----r-',
      expected: '------x|',
    },
    values: {
      ...signals,
      a: ev.text('👨\u200D'),
      b: ev.text('👩\u200D👧 '),
      c: ev.text('你好'),
      x: ev.text('👨\u200D👩\u200D👧 你好'),
    },
    config: { policy: 'coalesce' },
  },
  drop: {
    description: 'drops text while paused but holds usage and finish',
    diagram: {
      source: '-a-b-u-c-f-----|',
      paused: '--p-------r-----',
      expected: '-a--------(uf)-|',
    },
    values: chat,
    config: { policy: 'drop' },
  },
  dropNeverDrops: {
    description: 'never drops a start, tool call, reset or reasoning signature',
    diagram: {
      source: '-s-z-t-k-a-g|',
      paused: 'p-------------r',
      expected: '--------------(sztkg|)',
    },
    values: { ...chat, g: { ...ev.reasoning(''), signature: 'sig' } as RxllmEvent },
    config: { policy: 'drop' },
  },
  overflow: {
    description: 'errors naming the operator when more than maxBuffered events are held',
    diagram: {
      source: '-a-b-c-d-|',
      paused: '--p-------',
      expected: '-a-----(bcd#)',
    },
    values: chat,
    config: { maxBuffered: 2 },
    subscriptions: '^------!',
    error: new RxllmError(
      "rxllm: pausable: more than 2 events held while paused (policy 'buffer', maxBuffered 2); resume sooner, raise maxBuffered, or use the 'coalesce' or 'drop' policy",
      { code: 'limit-exceeded', retryable: false },
    ),
  },
  error: {
    description: 'passes an error at once while paused, after the held events',
    diagram: {
      source: '-a-b-#',
      paused: '--p---',
      expected: '-a---(b#)',
    },
    values: chat,
    config: {},
    error: new Error('socket hang up'),
  },
  notifierError: {
    description: 'errors when the notifier errors, after the held events',
    diagram: {
      source: '-a-b-c-|',
      paused: '--p-#',
      expected: '-a--(b#)',
    },
    values: chat,
    config: {},
    error: new Error('socket hang up'),
  },
  empty: {
    description: 'completes at once on an empty source',
    diagram: {
      source: '|',
      paused: '-',
      expected: '|',
    },
    values: chat,
    config: {},
  },
  oneValue: {
    description: 'passes a single event through while not paused',
    diagram: {
      source: '-a|',
      paused: '---',
      expected: '-a|',
    },
    values: chat,
    config: {},
  },
  neverEnding: {
    description: 'keeps holding while paused on a source that never completes',
    diagram: {
      source: '-a-b-c-',
      paused: '--p----',
      expected: '-a-----',
    },
    values: chat,
    config: {},
  },
  earlyUnsubscribe: {
    description: 'unsubscribes the source and the notifier and drops what was held',
    diagram: {
      source: '-a-b-c-|',
      paused: '--p---r-',
      expected: '-a---',
    },
    values: chat,
    config: {},
    unsubscribe: '^----!',
    subscriptions: '^----!',
    notifierSubscriptions: '^----!',
  },
  usageLast: {
    description: 'holds a usage event that arrives last until resume, behind the text',
    diagram: {
      source: '-a-b-u-(f|)',
      paused: '--p--------r',
      expected: '-a---------(buf|)',
    },
    values: chat,
    config: {},
  },
};
