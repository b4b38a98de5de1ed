import type { RxllmEvent } from './events';

/**
 * True for the events a reader sees as output: text, reasoning and refusal deltas and every
 * tool-call event. `start`, `usage`, `finish` and the bookkeeping events are not output: a
 * deadline for "the first token" must not be met by a `start` that arrives with the headers,
 * and a retry need not take back a stream that showed nothing.
 */
export function showsOutput(event: RxllmEvent): boolean {
  switch (event.type) {
    case 'text':
    case 'reasoning':
    case 'refusal':
    case 'tool-call-start':
    case 'tool-call-delta':
    case 'tool-call':
      return true;
    default:
      return false;
  }
}
