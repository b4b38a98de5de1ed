/**
 * Flow control: how a consumer that cannot take more stops an rxllm source from reading the network.
 *
 * RxJS pushes; a socket is pulled. A consumer that holds events back (`pausable`, the pulled sinks,
 * `subscribeWithHandlers`, `throttleTokens`) owns a {@link FlowGate} that it closes while it cannot
 * take more. An rxllm source, before each network read (not per token), asks: is any gate on my
 * downstream path closed? If so it waits until all are open, and the rest of the response waits
 * in the socket. The downstream path is found two ways, both bound to the subscription, never to
 * a global "current" consumer:
 *
 * 1. **The subscriber chain.** A consumer marks the observer it subscribes upstream with its gate
 *    ({@link markFlow}, under `Symbol.for('rxllm.flow')`). The source walks from its subscriber
 *    towards the consumer: RxJS 7's `Subscriber.destination`, a `SafeSubscriber`'s
 *    `ConsumerObserver.partialObserver`, a Subject's `observers` (every one of them), and the
 *    `downstream` link of a mark, which our own operators set where they subscribe with an
 *    observer of their own (a track runner, `deadline`, `pausable`). This crosses `map`,
 *    `switchMap`, `retry`, `concat`, `observeOn` and late subscribes (a retry from a timer, a
 *    fallback, a hedge's backup track), since all of them subscribe with a subscriber whose
 *    `destination` leads downstream.
 * 2. **Delivery.** While a source delivers a network chunk's events, it is on a delivery stack
 *    (on `globalThis`, under `Symbol.for('rxllm.flow.delivering')`). A consumer that holds an
 *    event back calls {@link holdDelivering}, which registers its gate with every source on that
 *    stack. This crosses what the walk cannot see, as long as the events reach the consumer
 *    synchronously: a `share()` / `shareReplay()` connection (an observer made of closures around
 *    its Subject), or a user's operator that subscribes with its own observer object.
 *
 * Every gate found counts: behind `share()`, the slowest consumer sets the pace of the source.
 * The symbols are global (`Symbol.for`), so two installed copies of rxllm see each other's gates.
 * The walk is defensive: a node limit (which also ends a cycle), and any exception means "no gate".
 */

/** A consumer's stop signal. `paused` is read before each network read. */
export interface FlowGate {
  readonly paused: boolean;
  /** Resolves when the gate next opens (at once if it is open). */
  whenOpen(): Promise<void>;
}

/**
 * What a consumer attaches to the observer it subscribes upstream with: its gate, and where the
 * path goes on past it (the subscriber it forwards to), when that is not visible to RxJS.
 */
export interface FlowMark {
  readonly gate?: FlowGate;
  readonly downstream?: object;
}

import { sourceFlowKey, type SourceFlow } from './sourceFlow';

/** Something that delivers events and wants to hear of the gates that hold them back. */
interface FlowPoint {
  hold(gate: FlowGate): void;
}

const markKey = Symbol.for('rxllm.flow');
const deliveringKey = Symbol.for('rxllm.flow.delivering');

const shared = globalThis as unknown as Record<symbol, FlowPoint[] | undefined> & {
  [sourceFlowKey]?: (downstream: object) => SourceFlow;
};
/**
 * The flow points delivering right now, innermost last; shared by every copy of rxllm. Taken
 * from the global slot by {@link register}, which runs before any of this module's code reads it:
 * at module level the `??=` would be a side effect that a bundle of the built chunks keeps.
 */
let delivering: FlowPoint[] = [];

/**
 * Sources (sources/engine/sourceFromBytes) reach {@link DownstreamFlow} through a global slot rather
 * than importing it, so that an app with no consumer that holds events back bundles none of the
 * walk. The slot is filled by whatever makes or finds a gate here (marking an observer, holding
 * during delivery, a manual gate, a downstream flow): code, not a module side effect, so that a
 * bundler drops all of it where none of these is used. Set once, by the first copy of rxllm that
 * needs it (each copy's flow sees every copy's gates).
 */
function register(): void {
  delivering = shared[deliveringKey] ??= [];
  shared[sourceFlowKey] ??= (downstream) => new DownstreamFlow(downstream);
}

/** Marks `observer` (before it is subscribed) with a gate and/or the downstream it forwards to. */
export function markFlow<O extends object>(observer: O, mark: FlowMark): O {
  register();
  Object.defineProperty(observer, markKey, { value: mark, configurable: true });
  return observer;
}

/**
 * Registers `gate` with every source delivering right now: called by a consumer when it holds an
 * event back, so that a source whose path to it the walk cannot see still stops reading.
 */
export function holdDelivering(gate: FlowGate): void {
  register();
  for (let i = 0; i < delivering.length; i++) delivering[i]!.hold(gate);
}

/**
 * Walking further than this means something unusual (a huge fan-out, or a cycle, which is why no
 * visited set is needed): give up, and read on.
 */
const maxNodes = 512;

interface Walkable {
  [markKey]?: FlowMark;
  destination?: unknown;
  partialObserver?: unknown;
  observers?: unknown;
}

/** The first closed gate on the downstream path of `start` (a subscriber), or undefined. */
export function findClosedGate(start: unknown): FlowGate | undefined {
  const { gates } = collectGates(start);
  for (const gate of gates) if (gate.paused) return gate;
  return undefined;
}

/**
 * Every gate on the downstream path of `start`, and whether the path can change: it can only where
 * it passes a Subject, whose observers come and go; a chain of subscribers and marks is fixed for
 * the life of the subscription, so its gates can be kept.
 */
export function collectGates(start: unknown): { gates: FlowGate[]; changing: boolean } {
  const gates: FlowGate[] = [];
  let changing = false;
  let node = start;
  // Only a fan-out (a Subject's observers, a mark's link beside a destination) needs a stack.
  let pending: unknown[] | undefined;
  try {
    for (let visits = 0; visits < maxNodes; visits++) {
      if (typeof node === 'object' && node !== null) {
        const walkable = node as Walkable;
        const mark = walkable[markKey];
        if (mark?.gate && !gates.includes(mark.gate)) gates.push(mark.gate);
        // RxJS 7: Subscriber -> destination; SafeSubscriber -> ConsumerObserver -> partialObserver;
        // a Subject (passed as an observer, or multicasting): every current observer is downstream.
        let next: unknown = walkable.destination ?? walkable.partialObserver;
        if (mark?.downstream) {
          if (next) (pending ??= []).push(next);
          next = mark.downstream;
        }
        const observers = walkable.observers;
        if (Array.isArray(observers)) {
          changing = true;
          if (observers.length > 0) (pending ??= []).push(...(observers as unknown[]));
        }
        if (next) {
          node = next;
          continue;
        }
      }
      if (!pending || pending.length === 0) return { gates, changing };
      node = pending.pop();
    }
    changing = true; // cut short: look again next time
  } catch {
    // An exotic object (a Proxy, a throwing getter) on the path: treat it as the end of the path.
    changing = true;
  }
  return { gates, changing };
}

/**
 * The downstream of one source subscription (or of `deadline`): answers whether it is held back,
 * and collects the gates met during delivery. Create one per subscription, with its subscriber.
 */
export class DownstreamFlow implements FlowPoint {
  private held: Set<FlowGate> | undefined;
  /** The gates on a path that cannot change, found once (see {@link collectGates}). */
  private fixedPath: FlowGate[] | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly downstream: object,
    /** A gate given explicitly, which counts whatever the path. */
    private readonly explicit?: FlowGate,
  ) {
    register();
  }

  hold(gate: FlowGate): void {
    (this.held ??= new Set()).add(gate);
  }

  /** A closed gate on the path (or registered during delivery), or undefined when all are open. */
  closedGate(): FlowGate | undefined {
    if (this.explicit?.paused) return this.explicit;
    if (this.held) for (const gate of this.held) if (gate.paused) return gate;
    let gates = this.fixedPath;
    if (!gates) {
      const path = collectGates(this.downstream);
      gates = path.gates;
      if (!path.changing) this.fixedPath = gates;
    }
    for (const gate of gates) if (gate.paused) return gate;
    return undefined;
  }

  /**
   * `undefined` when nothing holds the source back (no promise hop), otherwise a promise that
   * resolves when every gate is open at once, or when {@link stop} is called.
   */
  whenOpen(): Promise<void> | undefined {
    const closed = this.closedGate();
    return closed && !this.stopped ? this.waitAll(closed) : undefined;
  }

  /** Brackets the delivery of one chunk's events, so that consumers holding them can register. */
  enter(): void {
    delivering.push(this);
  }

  exit(): void {
    if (delivering[delivering.length - 1] === this) delivering.pop();
    else {
      const at = delivering.lastIndexOf(this);
      if (at >= 0) delivering.splice(at, 1);
    }
  }

  /** The subscription ended: a wait in progress ends now instead of when a gate opens. */
  stop(): void {
    this.stopped = true;
    this.held = this.fixedPath = undefined;
    this.wake?.();
  }

  private async waitAll(closed: FlowGate | undefined): Promise<void> {
    const stopped = new Promise<void>((resolve) => (this.wake = resolve));
    // A gate may close again while another one is awaited: loop until all are open at once.
    while (closed && !this.stopped) {
      await Promise.race([closed.whenOpen(), stopped]);
      closed = this.closedGate();
    }
    this.wake = undefined;
  }
}

/** A gate controlled by code: `close()` pauses, `open()` resumes. */
export class ManualGate implements FlowGate {
  private waiting: Array<() => void> = [];
  private closed = false;

  constructor() {
    register();
  }

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
