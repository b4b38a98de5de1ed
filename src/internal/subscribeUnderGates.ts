import { Observable, type Subscription } from 'rxjs';
import { subscribeUnderGate, type FlowGate } from './flowGate';

/**
 * Subscribes `source` with `gates` ambient again. Flow gates are ambient only during a synchronous
 * subscribe; an operator that subscribes later (a retry after a timer, a fallback after a
 * deadline) captures the gates when it is itself subscribed and re-enters them with this, so the
 * source it subscribes late still stops reading while the consumer is paused.
 */
export function subscribeUnderGates(gates: readonly FlowGate[], subscribe: () => Subscription): Subscription {
  let run = subscribe;
  for (const gate of gates) {
    const inner = run;
    run = () => subscribeUnderGate(gate, inner);
  }
  return run();
}

/** `source`, subscribed under `gates` whenever it is subscribed. */
export function underGates<T>(gates: readonly FlowGate[], source: Observable<T>): Observable<T> {
  if (gates.length === 0) return source;
  return new Observable<T>((subscriber) => subscribeUnderGates(gates, () => source.subscribe(subscriber)));
}
