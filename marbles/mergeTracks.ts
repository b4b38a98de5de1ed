import type { RxllmEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import type { MergeTracksConfig } from '../src/tracks/mergeTracks';
import type { MarbleScenario } from '../src/testing/marbles';

/** A mergeTracks scenario: every diagram line but `source` and `expected` is another track. */
export interface MergeTracksScenario extends MarbleScenario<MergeTracksConfig> {
  /** Expected subscription diagrams per track (`source` for the upstream). */
  trackSubscriptions?: Record<string, string>;
}

const text = (value: string, track?: string): RxllmEvent => ({
  type: 'text',
  text: value,
  ...(track && { track }),
});
const cancelled = (track: string): RxllmEvent => ({ type: 'finish', reason: 'cancelled', track });

/** Inputs are untagged; mergeTracks tags every output with its track. */
const legend = {
  a: text('Hel'),
  b: text('lo'),
  c: text(' there'),
  d: text('!'),
  x: text('Hi'),
  y: text(' all'),
  A: text('Hel', 'local'),
  B: text('lo', 'local'),
  C: text(' there', 'local'),
  X: text('Hi', 'cloud'),
  Y: text(' all', 'cloud'),
  k: cancelled('local'),
  K: cancelled('cloud'),
};

export const scenarios: Record<string, MergeTracksScenario> = {
  main: {
    description:
      'handoff shows the local draft, then resets it and continues with the cloud once the cloud starts',
    diagram: {
      source: '-a-b-c-d-|',
      cloud: '----x-----y-|',
      expected: '-A-B(krX)-Y-|',
    },
    values: { ...legend, r: { type: 'reset', reason: 'handoff', track: 'local' } },
    config: { strategy: 'handoff', name: 'local' },
    trackSubscriptions: { source: '^---!', cloud: '^-----------!' },
  },
  handoffDeadline: {
    description:
      'handoff keeps the local answer and cancels the cloud when it does not start within the deadline',
    diagram: {
      source: '-a-b-c-|',
      cloud: '--------x|',
      expected: '-A-BKC-|',
    },
    values: legend,
    config: { strategy: 'handoff', name: 'local', handoffWithinMs: 4 },
    trackSubscriptions: { source: '^------!', cloud: '^---!' },
  },
  interleave: {
    description: 'interleave streams every track and turns one track failing into an in-band error',
    diagram: {
      source: '-a---b-|',
      cloud: '--x-#',
      expected: '-AX-eB-|',
    },
    values: {
      ...legend,
      e: { type: 'error', error: new RxllmError('error', { code: 'provider' }), track: 'cloud' },
    },
    config: { strategy: 'interleave', name: 'local' },
    trackSubscriptions: { source: '^------!', cloud: '^---!' },
  },
  race: {
    description: 'race lets the first track to show content win and unsubscribes the loser at once',
    diagram: {
      source: '----a-b-|',
      cloud: '--x---y-|',
      expected: '--(kX)Y-|',
    },
    values: legend,
    config: { strategy: 'race', name: 'local' },
    trackSubscriptions: { source: '^-!', cloud: '^-------!' },
  },
  fallback: {
    description:
      "fallback (afterOutput 'reset') resets what the failed track showed and continues with the next track",
    diagram: {
      source: '-a-#',
      cloud: '-x-y-|',
      expected: '-A-rX-Y-|',
    },
    values: { ...legend, r: { type: 'reset', reason: 'fallback', track: 'local' } },
    config: { strategy: 'fallback', name: 'local', afterOutput: 'reset' },
    trackSubscriptions: { source: '^--!', cloud: '---^----!' },
  },
  fallbackFirstToken: {
    description: 'fallback moves on without a reset when a track shows nothing within firstTokenMs',
    diagram: {
      source: '------a-|',
      cloud: '-x-|',
      expected: '----X-|',
    },
    values: legend,
    config: { strategy: 'fallback', name: 'local', firstTokenMs: 3 },
    trackSubscriptions: { source: '^--!', cloud: '---^--!' },
  },
  hedge: {
    description:
      'hedge starts the backup only after hedgeAfterMs without content, and keeps whichever shows first',
    diagram: {
      source: '------a-|',
      cloud: '-x---y-|',
      expected: '----(kX)Y-|',
    },
    values: legend,
    config: { strategy: 'hedge', name: 'local', hedgeAfterMs: 3 },
    trackSubscriptions: { source: '^---!', cloud: '---^------!' },
  },
  hedgeNotNeeded: {
    description: 'hedge never starts the backup when the primary shows content in time',
    diagram: {
      source: '-a-b-|',
      cloud: '-x-|',
      expected: '-A-B-|',
    },
    values: legend,
    config: { strategy: 'hedge', name: 'local', hedgeAfterMs: 3 },
    trackSubscriptions: { source: '^----!', cloud: '' },
  },
};
