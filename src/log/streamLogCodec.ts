import type { RxllmEvent } from '../base/events';
import { RxllmError, type RxllmErrorCode } from '../base/errors';

/**
 * One event as one line of JSON (JSON.stringify escapes line breaks, so a batch can be stored as
 * lines). An `error` event's RxllmError is written as its plain form and revived by {@link decodeEvent}.
 */
export function encodeEvent(event: RxllmEvent): string {
  return JSON.stringify(event);
}

/** The event {@link encodeEvent} wrote. */
export function decodeEvent(entry: string): RxllmEvent {
  return revive(JSON.parse(entry) as RxllmEvent);
}

/**
 * The events of a batch (entries joined by line breaks), in one `JSON.parse` of the batch as an
 * array: one call instead of one per event, and the text is not split into lines first.
 */
export function decodeBatch(batch: string): RxllmEvent[] {
  let events: RxllmEvent[];
  try {
    events = JSON.parse(`[${batch.replaceAll('\n', ',')}]`) as RxllmEvent[];
    // One element per line, or a line held a comma outside of JSON (not an event entry).
    let lines = 1;
    for (let at = batch.indexOf('\n'); at !== -1; at = batch.indexOf('\n', at + 1)) lines++;
    if (events.length !== lines) throw new SyntaxError('not one JSON value per line');
  } catch {
    // Not a batch of JSON events (an empty line, a broken entry): decode line by line, so that the
    // error is the one that entry gives.
    return batch.split('\n').map(decodeEvent);
  }
  for (let i = 0; i < events.length; i++) {
    if (events[i]?.type === 'error') events[i] = revive(events[i]!);
  }
  return events;
}

function revive(event: RxllmEvent): RxllmEvent {
  if (event.type === 'error') {
    return { ...event, error: reviveError(event.error as unknown as Record<string, unknown>) };
  }
  return event;
}

/** An RxllmError back from its `toJSON()` form. */
export function reviveError(plain: Record<string, unknown>): RxllmError {
  const text = (key: string): string | undefined =>
    typeof plain[key] === 'string' ? (plain[key] as string) : undefined;
  const number = (key: string): number | undefined =>
    typeof plain[key] === 'number' ? (plain[key] as number) : undefined;
  return new RxllmError(text('message') ?? 'rxllm: stream failed', {
    code: (text('code') ?? 'provider') as RxllmErrorCode,
    ...(typeof plain.retryable === 'boolean' && { retryable: plain.retryable }),
    status: number('status'),
    retryAfterMs: number('retryAfterMs'),
    dialect: text('dialect'),
    providerCode: text('providerCode'),
    requestId: text('requestId'),
    providerMessage: text('providerMessage'),
    limit: text('limit'),
  });
}
