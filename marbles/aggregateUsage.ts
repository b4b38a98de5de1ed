import type { UsageEvent, UsageTotalEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { AggregateUsageConfig } from '../src/operators/aggregateUsage';
import { defaultPriceTable } from '../src/pricing/defaultPriceTable';
import { ev, type MarbleScenario } from '../src/testing';

/**
 * Prices used below, copied from src/pricing/prices.json (US dollars per million tokens):
 * gpt-4o-mini input 0.15, cachedInput 0.075, output 0.6; gpt-4o input 2.5, cachedInput 1.25,
 * output 10; Ollama (a free provider) 0. Costs are written out as the arithmetic, in the order
 * uncached input + cached input + output, over a million.
 */
const million = 1_000_000;

/** Counts characters as tokens, so that estimates can be checked by eye. */
const characters = (text: string): number => text.length;

/** A usage event; a cost from the price table comes with the table's date. */
const usage = (fields: Omit<UsageEvent, 'type'>): UsageEvent => ({
  type: 'usage',
  ...fields,
  ...(fields.cost !== undefined && { pricesAsOf: defaultPriceTable.updated }),
});
const usageTotal = (fields: Omit<UsageTotalEvent, 'type'>): UsageTotalEvent => ({
  type: 'usage-total',
  ...fields,
  ...(fields.cost !== undefined && { pricesAsOf: defaultPriceTable.updated }),
});

// gpt-4o-mini: 1200 input of which 200 cached, 300 output.
const cloudCost = ((1200 - 200) * 0.15 + 200 * 0.075 + 300 * 0.6) / million; // 0.000345

const values = {
  a: ev.start({ track: 'cloud', provider: 'openai', model: 'gpt-4o-mini-2024-07-18' }),
  b: ev.start({ track: 'local', provider: 'ollama', model: 'llama3.2' }),
  c: ev.text('Hello', 'cloud'),
  d: ev.usage(1200, 300, 'cloud', { cachedInputTokens: 200 }),
  e: ev.usage(50, 10, 'local'),
  D: usage({
    track: 'cloud',
    inputTokens: 1200,
    outputTokens: 300,
    totalTokens: 1500,
    cachedInputTokens: 200,
    cost: cloudCost,
  }),
  S: usageTotal({
    inputTokens: 1200,
    outputTokens: 300,
    totalTokens: 1500,
    cachedInputTokens: 200,
    cost: cloudCost,
  }),
  E: usage({
    track: 'local',
    inputTokens: 50,
    outputTokens: 10,
    totalTokens: 60,
    cost: (50 * 0 + 0 * 0 + 10 * 0) / million,
  }),
  T: usageTotal({
    inputTokens: 1200 + 50,
    outputTokens: 300 + 10,
    totalTokens: 1500 + 60,
    cachedInputTokens: 200,
    cost: cloudCost + 0,
  }),

  // One track without provider usage (a local server).
  o: ev.start({ provider: 'ollama', model: 'llama3.2' }),
  h: ev.text('Hi '),
  t: ev.text('there'),
  f: ev.finish('stop'),
  // 'Hi ' + 'there' is 8 characters, the prompt 'Say hi' is 6.
  O: usage({ inputTokens: 6, outputTokens: 8, totalTokens: 14, cost: 0, estimated: true }),

  // One track on gpt-4o.
  g: ev.start({ provider: 'openai', model: 'gpt-4o' }),
  x: ev.text('Hello'),
  y: ev.text(', world'),
  // 'Hello' is 5 characters, no prompt given: 5 estimated output tokens at $10 per million.
  X: usage({
    inputTokens: 0,
    outputTokens: 5,
    totalTokens: 5,
    cost: ((0 - 0) * 2.5 + 0 * 1.25 + 5 * 10) / million,
    estimated: true,
  }),
  u: ev.usage(12, 7),
  // gpt-4o: 12 input, 7 output.
  U: usage({
    inputTokens: 12,
    outputTokens: 7,
    totalTokens: 19,
    cost: ((12 - 0) * 2.5 + 0 * 1.25 + 7 * 10) / million,
  }),
  V: usageTotal({
    inputTokens: 12,
    outputTokens: 7,
    totalTokens: 19,
    cost: ((12 - 0) * 2.5 + 0 * 1.25 + 7 * 10) / million,
  }),
  r: ev.reset('retry'),
  n: { type: 'step-start', step: 1 } as const,
  v: ev.usage(12, 3),
  // The retry (12 in, 3 out) is step 1, priced at gpt-4o; the voided attempt's step 0 stays.
  W: usage({
    step: 1,
    inputTokens: 12,
    outputTokens: 3,
    totalTokens: 15,
    cost: ((12 - 0) * 2.5 + 0 * 1.25 + 3 * 10) / million,
  }),
  // The total over both steps: the voided attempt (12 in, 7 out) was billed too.
  Z: usageTotal({
    inputTokens: 12 + 12,
    outputTokens: 7 + 3,
    totalTokens: 19 + 15,
    cost: ((12 - 0) * 2.5 + 0 * 1.25 + 7 * 10) / million + ((12 - 0) * 2.5 + 0 * 1.25 + 3 * 10) / million,
  }),

  // Two tracks interleaved, neither reporting usage; no price for 'm'.
  p: ev.text('ab', 'one'),
  q: ev.text('cde', 'two'),
  s: ev.text('f', 'one'),
  P: usage({ track: 'one', inputTokens: 0, outputTokens: 3, totalTokens: 3, estimated: true }),
  Q: usage({ track: 'two', inputTokens: 0, outputTokens: 3, totalTokens: 3, estimated: true }),
  R: usageTotal({ inputTokens: 0, outputTokens: 6, totalTokens: 6, estimated: true }),
};

const failure = new RxllmError('socket hang up', { code: 'network' });

/** The scenarios that specify `aggregateUsage`; `main` is the one its JSDoc shows. */
export const scenarios: Record<string, MarbleScenario<AggregateUsageConfig> & { unsubscribe?: string }> = {
  main: {
    description: 'prices each track by its model and follows every usage with the total',
    diagram: {
      source: '-a-b-c-d----e----|',
      expected: '-a-b-c-(DS)-(ET)-|',
    },
    values,
    config: {},
    subscriptions: '^----------------!',
  },
  usageArrivingLast: {
    description: 'prices usage that arrives after finish and emits no estimate when it covers all text',
    diagram: {
      source: '-g-x-y-f-u-|',
      expected: '-g-x-y-f-U-|',
    },
    values,
    config: { estimate: characters },
  },
  estimateOnComplete: {
    description: 'counts text no provider counted with the estimator and emits it before completing',
    diagram: {
      source: '-o-h-t-f-|',
      expected: '-o-h-t-f-(O|)',
    },
    values,
    config: { estimate: characters, prompt: 'Say hi' },
  },
  estimateOnError: {
    description: 'emits the final usage, estimated, before passing the error on',
    diagram: {
      source: '-g-x-#',
      expected: '-g-x-(X#)',
    },
    values,
    config: { estimate: characters },
    error: failure,
  },
  noEstimate: {
    description: 'reports only provider usage when estimate is false',
    diagram: {
      source: '-o-h-t-f-|',
      expected: '-o-h-t-f-|',
    },
    values,
    config: { estimate: false, prompt: 'Say hi' },
  },
  totalOnOneTrack: {
    description: 'follows usage with the total on a single track when total is true',
    diagram: {
      source: '-g-x-u---|',
      expected: '-g-x-(UV)|',
    },
    values,
    config: { total: true, estimate: characters },
  },
  resetKeepsBilledUsage: {
    description: 'counts each step (request) on its own, also one that a reset voided, and totals them',
    diagram: {
      source: '-g-u---r-n-g-v---|',
      expected: '-g-(UV)r-n-g-(WZ)|',
    },
    values,
    config: { estimate: false, total: true },
  },
  interleavedTracks: {
    description: 'estimates each interleaved track on its own and sums them',
    diagram: {
      source: '-p-q-s-|',
      expected: '-p-q-s-(PQR|)',
    },
    values,
    config: { estimate: characters },
  },
  empty: {
    description: 'completes an empty stream without usage',
    diagram: {
      source: '|',
      expected: '|',
    },
    values,
    config: {},
  },
  neverEnding: {
    description: 'passes a never-ending stream through and unsubscribes from it when unsubscribed',
    diagram: {
      source: '-g-x-y---',
      unsubscribe: '^------!',
      expected: '-g-x-y-',
    },
    values,
    config: { estimate: characters },
    subscriptions: '^------!',
  },
};
