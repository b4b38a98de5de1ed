import type { RxllmEvent } from '../base/events';
import { RxllmError, type RxllmErrorCode } from '../base/errors';

/**
 * One event as one line of JSON (JSON.stringify escapes line breaks, so a batch can be stored as
 * lines). A text event that carries nothing but its text and its `seq`, when that `seq` is its
 * position in the log (what sources stamp), is stored as its bare text, a JSON string: the bulk of
 * a stream then takes a fifth of the bytes and parses several times faster than the event object
 * (the position restores `seq`). An `error` event's RxllmError is written as its plain form and
 * revived by {@link decodeEvent}.
 */
export function encodeEvent(event: RxllmEvent, position: number): string {
  if (event.type === 'text' && event.seq === position && onlyTextAndSeq(event))
    return JSON.stringify(event.text);
  return JSON.stringify(event);
}

/** The event {@link encodeEvent} wrote at `position`. */
export function decodeEvent(entry: string, position: number): RxllmEvent {
  const value = JSON.parse(entry) as RxllmEvent | string;
  return typeof value === 'string' ? { type: 'text', text: value, seq: position } : revive(value);
}

/**
 * The event JSON of an entry stored at `position`: a bare text line becomes the event object's
 * JSON again (what the Durable Streams handler serves as a recorded stream's message).
 */
export function expandEntry(entry: string, position: number): string {
  return entry.charCodeAt(0) === 0x22 ? `{"type":"text","text":${entry},"seq":${position}}` : entry;
}

/**
 * The events of a batch (entries joined by line breaks, the first at position `first`), in one
 * `JSON.parse` of the batch as an array: one call instead of one per event, and the text is not
 * split into lines first.
 */
export function decodeBatch(batch: string, first: number): RxllmEvent[] {
  let values: (RxllmEvent | string)[];
  try {
    values = JSON.parse(`[${batch.replaceAll('\n', ',')}]`) as (RxllmEvent | string)[];
    // One element per line, or a line held a comma outside of JSON (not an event entry).
    let lines = 1;
    for (let at = batch.indexOf('\n'); at !== -1; at = batch.indexOf('\n', at + 1)) lines++;
    if (values.length !== lines) throw new SyntaxError('not one JSON value per line');
  } catch {
    // Not a batch of JSON events (an empty line, a broken entry): decode line by line, so that the
    // error is the one that entry gives.
    return batch.split('\n').map((line, i) => decodeEvent(line, first + i));
  }
  const events = values as RxllmEvent[];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (typeof value === 'string') events[i] = { type: 'text', text: value, seq: first + i };
    else if (value.type === 'error') events[i] = revive(value);
  }
  return events;
}

/** The event has no field but `type`, `text` and `seq` (anything else needs the object form). */
function onlyTextAndSeq(event: RxllmEvent): boolean {
  for (const key in event) if (key !== 'type' && key !== 'text' && key !== 'seq') return false;
  return true;
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
