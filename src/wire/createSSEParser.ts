/** One Server-Sent Event: its `data` lines joined by `\n`, its `event` name and `id` if it had them. */
export interface SSEMessage {
  data: string;
  event: string | undefined;
  id: string | undefined;
}

/** Feeds text to an SSE parser; a chunk may end anywhere, even between a `\r` and its `\n`. */
export interface SSEParser {
  feed(chunk: string): void;
  /** Forgets the unfinished line and event (a new connection follows). */
  reset(): void;
}

const LF = 10;
const SPACE = 32;

/**
 * The event stream format of the HTML standard (§9.2.6), read as `EventSource` reads it: lines end
 * with CRLF, LF or CR; a blank line dispatches the event when it has `data`; `:` starts a comment;
 * unknown fields and `retry` are ignored; an `id` holding NUL is ignored. Unlike EventSource, `id`
 * is the event's own (not carried over to the next event), and the event name is `undefined` when
 * the event has none (EventSource says `message`), which is what the decoders expect.
 *
 * Ours rather than a dependency's so that a browser bundle carries only this (about 1 KB), and so
 * that the size bound is the one rxllm documents: a line, or an event's data, longer than
 * `maxSize` characters throws `tooLong()` (see `limits.maxEventSize`). Linear in the input however
 * it is chunked: the unfinished line is kept in pieces, joined once when its end arrives, and each
 * search for a line end starts where the previous one stopped.
 */
export function createSSEParser(
  onMessage: (message: SSEMessage) => void,
  maxSize: number,
  tooLong: () => Error,
): SSEParser {
  // The unfinished line, in pieces.
  const pending: string[] = [];
  let pendingLength = 0;
  let data = '';
  let lines = 0; // data lines of this event: one `data:` line, even empty, makes it dispatchable
  let event: string | undefined;
  let id: string | undefined;
  let atStart = true; // a BOM is ignored at the start of the stream only
  let afterCR = false; // the last chunk ended with CR: a LF starting the next one belongs to it

  const dispatch = (): void => {
    if (lines > 0) onMessage({ data, event, id });
    data = '';
    lines = 0;
    event = id = undefined;
  };

  const line = (text: string): void => {
    if (text === '') return dispatch();
    if (text.length > maxSize) throw tooLong();
    const colon = text.indexOf(':');
    if (colon === 0) return; // a comment (a keep-alive)
    const field = colon === -1 ? text : text.slice(0, colon);
    const value =
      colon === -1 ? '' : text.slice(text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    if (field === 'data') {
      if (data.length + value.length > maxSize) throw tooLong();
      data = lines++ === 0 ? value : `${data}\n${value}`;
    } else if (field === 'event') event = value || undefined;
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    }
  };

  return {
    feed(chunk) {
      if (atStart && chunk !== '') {
        atStart = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      let start = 0;
      if (afterCR && chunk !== '') {
        afterCR = false;
        if (chunk.charCodeAt(0) === LF) start = 1;
      }
      // Where the next LF and CR are, each searched again only once passed: linear per chunk.
      let lf = -2;
      let cr = -2;
      for (;;) {
        if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start);
        if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start);
        const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
        if (end === -1) break;
        let text = chunk.slice(start, end);
        if (pending.length > 0) {
          pending.push(text);
          text = pending.join('');
          pending.length = 0;
          pendingLength = 0;
        }
        start = end + 1;
        if (end === cr) {
          if (end === chunk.length - 1) afterCR = true;
          else if (chunk.charCodeAt(start) === LF) start++;
        }
        line(text);
      }
      if (start < chunk.length) {
        const rest = start === 0 ? chunk : chunk.slice(start);
        pending.push(rest);
        pendingLength += rest.length;
        // The line not yet ended and the data waiting for its blank line are bounded together.
        if (pendingLength + data.length > maxSize) throw tooLong();
      }
    },
    reset() {
      pending.length = 0;
      pendingLength = 0;
      data = '';
      lines = 0;
      event = id = undefined;
      afterCR = false;
      atStart = true;
    },
  };
}
