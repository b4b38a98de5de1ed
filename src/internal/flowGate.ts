import type { Subscription } from 'rxjs';

/**
 * Backpressure from an operator to the network.
 *
 * RxJS pushes; a socket is pulled. To let `pausable` stop a source from reading while paused,
 * an operator that wants to hold the source back subscribes to it "under a gate": while its
 * subscribe call runs, the gate is ambient, and every rxllm source subscribed synchronously in
 * that call (through any number of plain operators like `map` or `filter`) captures it. Between
 * reads, a source waits while any captured gate is paused. This costs nothing per token: the
 * check happens once per network chunk.
 */
export interface FlowGate {
  readonly paused: boolean;
  /** Resolves when the gate next opens (at once if it is open). */
  whenOpen(): Promise<void>;
}

const ambient: FlowGate[] = [];

/** Runs `subscribe` with `gate` ambient, so that sources subscribed inside it capture the gate. */
export function subscribeUnderGate(gate: FlowGate, subscribe: () => Subscription): Subscription {
  ambient.push(gate);
  try {
    return subscribe();
  } finally {
    ambient.pop();
  }
}

/** The gates ambient right now; a source calls this once, synchronously in its subscribe. */
export function captureGates(): readonly FlowGate[] {
  return ambient.length === 0 ? noGates : ambient.slice();
}

const noGates: readonly FlowGate[] = [];

/** Waits until every gate is open. Resolves at once (no promise hop) when none is paused. */
export function waitForGates(gates: readonly FlowGate[]): Promise<void> | undefined {
  for (const gate of gates) if (gate.paused) return waitAll(gates);
  return undefined;
}

async function waitAll(gates: readonly FlowGate[]): Promise<void> {
  // A gate may close again while another one is awaited, so loop until all are open at once.
  for (;;) {
    const closed = gates.find((gate) => gate.paused);
    if (!closed) return;
    await closed.whenOpen();
  }
}

/** A gate controlled by code: `close()` pauses, `open()` resumes. */
export class ManualGate implements FlowGate {
  private waiting: Array<() => void> = [];
  private closed = false;

  get paused(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  whenOpen(): Promise<void> {
    if (!this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
