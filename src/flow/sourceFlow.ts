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
  return new LazySourceFlow(downstream);
}

/** A class, not an object of closures: a relay holds one per open stream. */
class LazySourceFlow implements SourceFlow {
  #flow: SourceFlow | undefined;

  readonly #downstream: object;

  constructor(downstream: object) {
    this.#downstream = downstream;
  }

  #current(): SourceFlow | undefined {
    return (this.#flow ??= (globalThis as { [sourceFlowKey]?: (downstream: object) => SourceFlow })[
      sourceFlowKey
    ]?.(this.#downstream));
  }

  whenOpen(): Promise<void> | undefined {
    return this.#current()?.whenOpen();
  }

  enter(): void {
    this.#current()?.enter();
  }

  exit(): void {
    this.#flow?.exit();
  }

  stop(): void {
    this.#flow?.stop();
  }
}
