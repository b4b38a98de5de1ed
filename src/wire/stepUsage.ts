import type { StepStartEvent, Usage, UsageEvent } from '../base/events';
import { sumUsage } from '../base/fold';

/**
 * The usage an encoder writes for a stream: each step's latest snapshot, summed over the steps
 * (a retry's failed attempt, a tool loop's earlier calls), as the message fold counts them. A
 * provider format has one usage per response, so every track's steps go into it.
 */
export class StepUsage {
  // Made at the first step or usage: an empty Map is ~190 bytes, and a relay holds one encoder
  // per open stream, most of them long before their usage arrives.
  private steps: Map<string, Usage> | undefined;
  private current: Map<string | undefined, number> | undefined;
  private sum: Usage | null | undefined;

  /** A new step: usage that names none is for it from now on. */
  start(event: StepStartEvent): void {
    this.current ??= new Map();
    const current = this.current.get(event.track);
    this.current.set(event.track, current === undefined ? event.step : Math.max(event.step, current + 1));
  }

  add(event: UsageEvent): void {
    this.current ??= new Map();
    const step = event.step ?? this.current.get(event.track) ?? 0;
    if (!this.current.has(event.track)) this.current.set(event.track, step);
    (this.steps ??= new Map()).set(`${event.track ?? ''}\u0000${step}`, event);
    this.sum = undefined;
  }

  /** The sum so far; undefined when no usage arrived. */
  total(): Usage | undefined {
    if (this.steps === undefined) return undefined;
    if (this.sum === undefined) this.sum = sumUsage(this.steps.values());
    return this.sum ?? undefined;
  }
}
