/**
 * What a source asks of its downstream before each network read (see internal/flow): is a gate
 * closed, and the bracket around the delivery of one chunk's events.
 */
export interface SourceFlow {
  whenOpen(): Promise<void> | undefined;
  enter(): void;
  exit(): void;
  stop(): void;
}

/**
 * Where internal/flow puts its `DownstreamFlow` factory when it is loaded (on `globalThis`, like
 * the delivery stack, so every copy of rxllm finds it).
 */
export const sourceFlowKey = Symbol.for('rxllm.flow.source');

/** Nothing can hold a source back: no gate exists, since nothing that makes one was loaded. */
const free: SourceFlow = { whenOpen: () => undefined, enter() {}, exit() {}, stop() {} };

/**
 * The flow of a source subscription whose subscriber is `downstream`. A gate is made only by code
 * that imports internal/flow (`pausable`, `throttleTokens`, the pulled sinks, `markFlow`, ...),
 * which registers the factory as it loads; a bundle without any of them (a browser app reading one
 * stream into a store) does without the subscriber walk, and a source reads freely.
 */
export function sourceFlow(downstream: object): SourceFlow {
  const create = (globalThis as { [sourceFlowKey]?: (downstream: object) => SourceFlow })[sourceFlowKey];
  return create ? create(downstream) : free;
}
