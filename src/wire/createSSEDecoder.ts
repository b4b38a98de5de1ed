import type { DecoderOptions, Dialect, EmitEvent } from './types';
import type { FrameHooks, StreamDecoder } from './StreamDecoder';
import { createSSEParser, type SSEParser } from './createSSEParser';
import { dialectMessages, type DialectMessages } from './dialectMessages';

/**
 * A stream decoder for an SSE dialect: bytes or text through rxllm's SSE parser, each event's data
 * to the dialect's decoder. `hooks.accept` sees each event's id first (`fromEventSource` skips
 * events it already delivered before a reconnect).
 */
export function createSSEDecoder(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
  hooks?: FrameHooks,
): StreamDecoder {
  const messages = dialectMessages(dialect, emit, options);
  const parser = createSSEParser(
    (event) => {
      if (!hooks || hooks.accept(event.id)) messages.message(event.data, event.event);
    },
    messages.limits.maxEventSize,
    () => messages.tooLong(),
  );
  return new SSEStreamDecoder(messages, parser);
}

/**
 * One stream's SSE decoder: an object with prototype methods rather than closures over a scope,
 * since a relay holds one per open stream.
 */
class SSEStreamDecoder implements StreamDecoder {
  readonly #messages: DialectMessages;
  readonly #parser: SSEParser;

  constructor(messages: DialectMessages, parser: SSEParser) {
    this.#messages = messages;
    this.#parser = parser;
  }

  push(chunk: Uint8Array | string): void {
    this.#parser.feed(this.#messages.toText(chunk));
  }

  end(): void {
    // Both official SDKs deliver a final event that lacks its blank line; a blank line does that.
    this.#parser.feed(`${this.#messages.flushText()}\n\n`);
    this.#messages.end();
  }

  ended(): boolean {
    return this.#messages.ended();
  }

  restart(): void {
    this.#messages.flushText();
    this.#parser.reset();
  }
}
