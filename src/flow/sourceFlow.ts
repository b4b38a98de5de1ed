/**
 * What a source asks of its downstream before each network read (see flow/flow): is a gate
 * closed, and the bracket around the delivery of one chunk's events.
 */
export interface SourceFlow {
  whenOpen(): Promise<void> | undefined;
  enter(): void;
  exit(): void;
  stop(): void;
}

/**
 * Where flow/flow puts its `DownstreamFlow` factory when it is loaded (on `globalThis`, like
 * the delivery stack, so every copy of rxllm finds it).
 */
export const sourceFlowKey = Symbol.for('rxllm.flow.source');

/**
 * The flow of a source subscription whose subscriber is `downstream`. A gate is made or found only
 * by code of flow/flow (`pausable`, `throttleTokens`, the pulled sinks, `markFlow`, ...), which
 * fills the slot when it first runs; a bundle without any of it (a browser app reading one stream
 * into a store) does without the subscriber walk. Looked up again at each read until found, so a
 * consumer that holds back for the first time after the source started still stops it.
 */
export function sourceFlow(downstream: object): SourceFlow {
  let flow: SourceFlow | undefined;
  const current = () =>
    (flow ??= (globalThis as { [sourceFlowKey]?: (downstream: object) => SourceFlow })[sourceFlowKey]?.(
      downstream,
    ));
  // Found now (flow/flow is loaded: a relay's pipeToNodeResponse brings it), the flow itself is
  // the answer: no four closures around it for the stream's life (a relay holds thousands).
  return (
    current() ?? {
      whenOpen: () => current()?.whenOpen(),
      enter: () => current()?.enter(),
      exit: () => flow?.exit(),
      stop: () => flow?.stop(),
    }
  );
}
