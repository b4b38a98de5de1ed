import type { RxllmEvent } from '../base/events';
import { RxllmError, type RxllmErrorCode } from '../base/errors';
import { jsonStringText } from '../wire/jsonStringText';

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
 * Hands each event of a batch (entries joined by line breaks, the first at position `first`) from
 * position `from` on to `visit`, in order, until it returns false. A batch of bare text lines (the
 * bulk of a stream) is decoded on the way, line by line, with no array of events: each event can be
 * dropped as soon as it is handed on. A batch with other lines goes through {@link decodeBatch}.
 * Returns the count of entries in the batch, or -1 when `visit` stopped it.
 */
export function visitBatch(
  batch: string,
  first: number,
  from: number,
  visit: (seq: number, event: RxllmEvent) => boolean,
): number {
  if (batch.charCodeAt(0) !== 0x22 || batch.indexOf('\n{') !== -1) {
    const events = decodeBatch(batch, first);
    for (let i = Math.max(0, from - first); i < events.length; i++)
      if (!visit(first + i, events[i]!)) return -1;
    return events.length;
  }
  let escape = batch.indexOf('\\');
  for (let start = 0, i = 0; ; i++) {
    let end = batch.indexOf('\n', start);
    if (end === -1) end = batch.length;
    const seq = first + i;
    if (seq >= from) {
      if (escape !== -1 && escape < start) escape = batch.indexOf('\\', start);
      const line = batch.charCodeAt(start) === 0x22 ? bareText(batch, start, end, escape) : undefined;
      const event = line !== undefined ? textAt(line, seq) : decodeEvent(batch.slice(start, end), seq);
      if (!visit(seq, event)) return -1;
    }
    if (end === batch.length) return i + 1;
    start = end + 1;
  }
}

/**
 * The events of a batch (entries joined by line breaks, the first at position `first`). A bare
 * text line is the text between its quotes, a slice of the batch, its escapes (if any) undone by
 * `jsonStringText` (a `JSON.parse` only for a line with a backslash): no `JSON.parse` per token.
 * The other lines go through one `JSON.parse` of them all as an array, not one call per line.
 */
export function decodeBatch(batch: string, first: number): RxllmEvent[] {
  const events: RxllmEvent[] = [];
  /** Where each parsed line's event goes, and the lines themselves, joined as an array's items. */
  const slots: number[] = [];
  let rest = '';
  let escape = batch.indexOf('\\');
  for (let start = 0, i = 0; ; i++) {
    let end = batch.indexOf('\n', start);
    if (end === -1) end = batch.length;
    if (escape !== -1 && escape < start) escape = batch.indexOf('\\', start);
    if (batch.charCodeAt(start) === 0x22) {
      events.push(textAt(bareText(batch, start, end, escape), first + i));
    } else {
      events.push(undefined as unknown as RxllmEvent);
      slots.push(i);
      rest += slots.length === 1 ? batch.slice(start, end) : `,${batch.slice(start, end)}`;
    }
    if (end === batch.length) break;
    start = end + 1;
  }
  if (slots.length === 0) return events;
  let values: (RxllmEvent | string)[];
  try {
    values = JSON.parse(`[${rest}]`) as (RxllmEvent | string)[];
    // One element per line, or a line held a comma outside of JSON (not an event entry).
    if (values.length !== slots.length) throw new SyntaxError('not one JSON value per line');
  } catch {
    // Not a batch of JSON events (an empty line, a broken entry): decode line by line, so that the
    // error is the one that entry gives.
    return batch.split('\n').map((line, i) => decodeEvent(line, first + i));
  }
  for (let k = 0; k < slots.length; k++) {
    const value = values[k]!;
    const i = slots[k]!;
    events[i] =
      typeof value === 'string'
        ? { type: 'text', text: value, seq: first + i }
        : value.type === 'error'
          ? revive(value)
          : value;
  }
  return events;
}

function textAt(text: string, seq: number): RxllmEvent {
  return { type: 'text', text, seq };
}

/**
 * The text of the bare text line `batch.slice(start, end)` (it starts with a quote; `escape` is
 * the batch's first backslash at or after `start`, -1 for none): the slice between the quotes, or
 * its escapes undone by `jsonStringText`; `JSON.parse` of the line for anything but a well-formed
 * JSON string, so that a broken one fails as it would.
 */
function bareText(batch: string, start: number, end: number, escape: number): string {
  let text: string | undefined;
  if (escape === -1 || escape >= end) {
    if (batch.indexOf('"', start + 1) === end - 1) text = batch.slice(start + 1, end - 1);
  } else if (end - 1 > start && batch.charCodeAt(end - 1) === 0x22) {
    text = jsonStringText(batch.slice(start + 1, end - 1));
  }
  if (text !== undefined) return text;
  const value: unknown = JSON.parse(batch.slice(start, end));
  if (typeof value !== 'string') throw new SyntaxError('a line starting with a quote is not one JSON string');
  return value;
}

/**
 * The event has no field but `type`, `text` and `seq` (anything else needs the object form). A
 * field present as `undefined` is absent, as in its JSON: the decoders create text events with
 * `choice` in place and undefined (see wire/textEvent).
 */
function onlyTextAndSeq(event: RxllmEvent): boolean {
  for (const key in event) {
    if (key !== 'type' && key !== 'text' && key !== 'seq' && event[key as keyof RxllmEvent] !== undefined)
      return false;
  }
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
