import type { Observable, Subscription } from 'rxjs';
import { holdDelivering, ManualGate, markFlow } from './flow';

/** Where the source of a {@link GatedQueue} is: not yet subscribed, running, or ended. */
export type GatedQueueState = 'idle' | 'running' | 'complete' | 'error' | 'cancelled';

/**
 * The pull side shared by the sinks that turn a pushing Observable into something pulled
 * (`toReadableStream`, `toAsyncIterable`, `pipeToNodeResponse`).
 *
 * It subscribes to the source with an observer marked with a {@link ManualGate} (see
 * flow/flow.ts) and buffers what the source pushes until the consumer takes it. The gate is closed while the buffer holds `highWaterMark` values or more,
 * or while the consumer says it is `held` (a socket waiting for 'drain'), so that an rxllm source
 * stops reading the network instead of the buffer growing. A source that ignores gates (a plain
 * RxJS `interval`) is still buffered, without bound: only the consumer's own pace can stop it.
 *
 * The terminal notification waits behind the buffered values: `state` says the source ended, but
 * a consumer delivers `error` only after it has taken every value (`size === 0`).
 * Per value this is an array push and an index bump; no allocation, no promise.
 */
export class GatedQueue<T> {
  state: GatedQueueState = 'idle';
  /** The source's error, once `state` is `'error'`. */
  error: unknown;
  private items: T[] = [];
  private head = 0;
  private held = false;
  private readonly gate = new ManualGate();
  private subscription: Subscription | undefined;

  /**
   * @param onChange called after every value pushed and after the source ends, so that a
   *   consumer waiting for data can take it.
   */
  constructor(
    private readonly source: Observable<T>,
    private readonly highWaterMark: number,
    private readonly onChange: () => void,
  ) {}

  /** Values buffered and not yet taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Subscribes to the source (once; later calls do nothing). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const subscription = this.source.subscribe(
      // The gate, found by a source walking its downstream path (see flow/flow.ts).
      markFlow(
        {
          next: (value: T) => {
            if (this.state !== 'running') return;
            this.items.push(value);
            if (!this.gate.paused && this.size >= this.highWaterMark) this.gate.close();
            // Tells the source delivering this value, in case the walk cannot see this queue.
            if (this.gate.paused) holdDelivering(this.gate);
            this.onChange();
          },
          error: (error: unknown) => {
            if (this.state !== 'running') return;
            this.state = 'error';
            this.error = error;
            this.onChange();
          },
          complete: () => {
            if (this.state !== 'running') return;
            this.state = 'complete';
            this.onChange();
          },
        },
        { gate: this.gate },
      ),
    );
    // A source that ended synchronously (or a consumer that cancelled from onChange) left nothing to keep.
    const state = this.state as GatedQueueState; // onChange may have cancelled
    if (state === 'cancelled') subscription.unsubscribe();
    else if (state === 'running') this.subscription = subscription;
  }

  /** The oldest buffered value, left in the queue; call only when `size > 0`. */
  peek(): T {
    return this.items[this.head]!;
  }

  /** Takes the oldest buffered value; call only when `size > 0`. */
  shift(): T {
    const value = this.items[this.head]!;
    this.items[this.head] = undefined as T; // let the value be collected before the array is compacted
    this.head += 1;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.updateGate();
    return value;
  }

  /** Holds the source back regardless of the buffer (the consumer cannot take more for now). */
  hold(held: boolean): void {
    this.held = held;
    this.updateGate();
  }

  /** Unsubscribes from the source and drops what was buffered. Idempotent. */
  cancel(): void {
    if (this.state === 'cancelled') return;
    const wasRunning = this.state === 'running' || this.state === 'idle';
    this.state = 'cancelled';
    this.items = [];
    this.head = 0;
    if (wasRunning) this.subscription?.unsubscribe();
    this.subscription = undefined;
    // A source waiting on the gate must not wait forever: it was unsubscribed and will notice.
    if (this.gate.paused) this.gate.open();
  }

  private updateGate(): void {
    const pause = this.held || this.size >= this.highWaterMark;
    if (pause && !this.gate.paused) this.gate.close();
    else if (!pause && this.gate.paused) this.gate.open();
  }
}
