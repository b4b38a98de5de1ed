import { limitExceeded, resolveLimits, type StreamLimits } from '../base/limits';
import type { Decoder, DecoderOptions, Dialect, EmitEvent } from './types';
import { guardEvents } from './guardEvents';
import { malformed } from './malformed';
import { decodeWhole } from './decodeWhole';

/** What a framing (SSE, NDJSON) needs of a dialect's decoder: where to send each message. */
export interface DialectMessages {
  /** Decodes one message (an SSE event's data and name, or an NDJSON line). */
  message(data: string, event?: string): void;
  /** The dialect's terminal message has arrived. */
  ended(): boolean;
  /** The input ended: the decoder judges whether that was too early. */
  end(): void;
  /** The `limit-exceeded` error for a frame above `limits.maxEventSize`. */
  tooLong(): Error;
  limits: StreamLimits;
  /** Text of a chunk: a string as it is, bytes decoded as UTF-8 (a sequence may be cut anywhere). */
  toText(chunk: Uint8Array | string): string;
  /** Ends the UTF-8 decoding: what a cut sequence left (a replacement character), or ''. */
  flushText(): string;
}

/**
 * The framing-independent half of a stream decoder: the dialect's decoder behind the event guard
 * (guardEvents) and the limits, and a message function that turns a stack overflow into
 * `malformed`. Shared by the SSE and NDJSON framings (createSSEDecoder, createNDJSONDecoder), each
 * bundled only by the sources that read it.
 */
export function dialectMessages(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
): DialectMessages {
  return new Messages(dialect, emit, options);
}

/**
 * One stream's {@link DialectMessages}: an object with prototype methods rather than seven
 * closures over a scope, since a relay holds one per open stream (~0.4 KB each as closures).
 */
class Messages implements DialectMessages {
  readonly limits: StreamLimits;
  readonly #dialect: Dialect;
  readonly #decoder: Decoder;
  /**
   * A stream's own UTF-8 decoder, made once one of its chunks ends inside a sequence (whose
   * first bytes it keeps for the next chunk). Until then, and in most streams for good (a
   * provider writes whole events), in Node every chunk is decoded by a shared decoder
   * (decodeWhole): a TextDecoder is ~0.1 KB of each open stream on a relay. A browser bundle gets
   * a stub that decodes nothing, so there each stream makes its own at its first bytes.
   */
  #text: TextDecoder | undefined;
  /** Bytes were decoded: a byte order mark is text from here on, as a stream's decoder has it. */
  #began = false;
  // The message being decoded, for the guard's `malformed` quotes.
  #current = '';

  constructor(dialect: Dialect, emit: EmitEvent, options: DecoderOptions | undefined) {
    // The dialect decodes and is framed for this decoder: every source checks that when it is
    // built (resolveDialect's `need`, framedSource's framing), so that a wrong one throws at once, there.
    this.limits = resolveLimits(options?.limits);
    this.#dialect = dialect;
    this.#decoder = dialect.createDecoder!(
      guardEvents(dialect.name, this.limits, () => this.#current, emit),
      options,
    );
  }

  message(data: string, event?: string): void {
    this.#current = data;
    try {
      this.#decoder.message(data, event);
      // Not kept past its message: `data` is a slice of the chunk it came in, and would keep all
      // of that chunk's text alive while the stream waits (a KB per idle stream).
      this.#current = '';
    } catch (error) {
      // JSON.parse builds values of any depth, but JSON.stringify (a Gemini or Ollama tool
      // call's argsText, an error body quoted in a message) recurses: a value nested deeper than
      // the stack is a broken message, not an internal failure.
      if (error instanceof RangeError)
        throw malformed(this.#dialect.name, data, 'a value nested too deeply', error);
      throw error;
    }
  }

  ended(): boolean {
    return this.#decoder.ended?.() ?? false;
  }

  end(): void {
    this.#decoder.end();
  }

  tooLong(): Error {
    const dialect = this.#dialect;
    return limitExceeded(
      'maxEventSize',
      this.limits.maxEventSize,
      `an ${dialect.framing === 'ndjson' ? 'NDJSON line' : 'SSE event'}`,
      dialect.name,
    );
  }

  toText(chunk: Uint8Array | string): string {
    if (typeof chunk === 'string') return chunk;
    if (this.#text === undefined) {
      // What a stream's decoder gives when it holds no unfinished sequence: the same text.
      const text = decodeWhole(chunk, this.#began);
      if (text !== undefined) {
        if (chunk.length > 0) this.#began = true;
        return text;
      }
      // A mark at the start of the stream is dropped by this decoder when it is the first.
      this.#text = new TextDecoder('utf-8', { ignoreBOM: this.#began });
    }
    return this.#text.decode(chunk, { stream: true });
  }

  flushText(): string {
    // The input ended or starts again (a reconnect): as a decoder's `decode()`, which resets it.
    const rest = this.#text?.decode() ?? '';
    this.#text = undefined;
    this.#began = false;
    return rest;
  }
}
