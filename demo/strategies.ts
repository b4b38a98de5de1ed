import type { MergeStrategy, MergeTracksConfig } from '../src/tracks/mergeTracks';

/** The strategies the demos offer, the default first. */
export const strategies: readonly MergeStrategy[] = [
  'compare',
  'handoff',
  'race',
  'hedge',
  'fallback',
  'interleave',
];

/** The mergeTracks settings each strategy runs with in the demos (timers scaled by `speed`). */
export function mergeConfig(strategy: MergeStrategy, speed: number): MergeTracksConfig {
  const config: MergeTracksConfig = { strategy, name: 'local' };
  if (strategy === 'hedge') {
    // The textbook hedge: ask the cloud first; when it is slow to answer, ask the local model too.
    config.priorities = { cloud: 1 };
    config.hedgeAfterMs = 400 / speed;
  }
  if (strategy === 'fallback') config.firstTokenMs = 2000 / speed;
  return config;
}
