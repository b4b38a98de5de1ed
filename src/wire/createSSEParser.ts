/** Feeds text to an SSE parser; a chunk may end anywhere, even between a `\r` and its `\n`. */
export interface SSEParser {
  feed(chunk: string): void;
  /** Forgets the unfinished line and event (a new connection follows). */
  reset(): void;
}

/**
 * Where a parser delivers: methods of an object the stream holds anyway (createSSEDecoder's
 * decoder), not callbacks, so that a parser adds no closures to a stream.
 */
export interface SSETarget {
  /** One event, its fields as arguments: no object is made per event. */
  message(data: string, event: string | undefined, id: string | undefined): void;
  /** The error a line or an event's data longer than `maxSize` throws (`limits.maxEventSize`). */
  tooLong(): Error;
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
 * `maxSize` characters throws `target.tooLong()` (see `limits.maxEventSize`). Linear in the input
 * however it is chunked: the unfinished line is kept in pieces, joined once when its end arrives,
 * and each search for a line end starts where the previous one stopped.
 */
export function createSSEParser(target: SSETarget, maxSize: number): SSEParser {
  return new Parser(target, maxSize);
}

/**
 * One stream's parser: an object with prototype methods rather than closures over a scope (a
 * relay holds one per open stream: one object instead of a context, four closures and the object
 * holding two of them).
 */
class Parser implements SSEParser {
  readonly #target: SSETarget;
  readonly #maxSize: number;
  // The unfinished line, in pieces; made when a chunk first ends inside a line.
  #pending: string[] | undefined;
  #pendingLength = 0;
  #data = '';
  #lines = 0; // data lines of this event: one `data:` line, even empty, makes it dispatchable
  #event: string | undefined;
  #id: string | undefined;
  #atStart = true; // a BOM is ignored at the start of the stream only
  #afterCR = false; // the last chunk ended with CR: a LF starting the next one belongs to it

  constructor(target: SSETarget, maxSize: number) {
    this.#target = target;
    this.#maxSize = maxSize;
  }

  feed(chunk: string): void {
    if (this.#atStart && chunk !== '') {
      this.#atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let start = 0;
    if (this.#afterCR && chunk !== '') {
      this.#afterCR = false;
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
      const pending = this.#pending;
      if (pending !== undefined && pending.length > 0) {
        pending.push(text);
        text = pending.join('');
        pending.length = 0;
        this.#pendingLength = 0;
      }
      start = end + 1;
      if (end === cr) {
        if (end === chunk.length - 1) this.#afterCR = true;
        else if (chunk.charCodeAt(start) === LF) start++;
      }
      this.#line(text);
    }
    if (start < chunk.length) {
      const rest = start === 0 ? chunk : chunk.slice(start);
      (this.#pending ??= []).push(rest);
      this.#pendingLength += rest.length;
      // The line not yet ended and the data waiting for its blank line are bounded together.
      if (this.#pendingLength + this.#data.length > this.#maxSize) throw this.#target.tooLong();
    }
  }

  reset(): void {
    this.#pending = undefined;
    this.#pendingLength = 0;
    this.#clear();
    this.#afterCR = false;
    this.#atStart = true;
  }

  #line(text: string): void {
    if (text === '') {
      if (this.#lines > 0) this.#target.message(this.#data, this.#event, this.#id);
      this.#clear();
      return;
    }
    if (text.length > this.#maxSize) throw this.#target.tooLong();
    const colon = text.indexOf(':');
    if (colon === 0) return; // a comment (a keep-alive)
    const field = colon === -1 ? text : text.slice(0, colon);
    const value =
      colon === -1 ? '' : text.slice(text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    if (field === 'data') {
      if (this.#data.length + value.length > this.#maxSize) throw this.#target.tooLong();
      this.#data = this.#lines++ === 0 ? value : `${this.#data}\n${value}`;
    } else if (field === 'event') this.#event = value || undefined;
    else if (field === 'id') {
      if (!value.includes('\0')) this.#id = value;
    }
  }

  /** Forgets the event being read (dispatched, or cut off by a new connection). */
  #clear(): void {
    this.#data = '';
    this.#lines = 0;
    this.#event = this.#id = undefined;
  }
}
