import type { ReasoningEvent, RxllmEvent, TextEvent } from './events';

/**
 * A text or reasoning delta: what the re-chunking operators join, cut, pace or drop. A reasoning
 * event that carries a signature or redacted reasoning is not a delta but a block of its own, and
 * passes through them like any other event.
 */
export function isPlainDelta(event: RxllmEvent): event is TextEvent | ReasoningEvent {
  return (
    event.type === 'text' ||
    (event.type === 'reasoning' && event.signature === undefined && event.redacted === undefined)
  );
}
