// rxllm/testing: what users need to test their own pipelines the way rxllm tests itself.
export { ev } from './eventBuilders';
export { formatDiagram, marbles, structurallyEqual } from './marbles';
export type { MarbleScenario } from './marbles';
export { createReplayServer } from './createReplayServer';
export type {
  ReplayFault,
  ReplayFraming,
  ReplayRequest,
  ReplayRoute,
  ReplayServer,
  ReplayServerConfig,
  ReplayTiming,
} from './createReplayServer';
