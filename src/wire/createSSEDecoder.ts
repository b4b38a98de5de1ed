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
  return new SSEDecoder(dialectMessages(dialect, emit, options), hooks);
}

/** A class, not an object of closures: a relay holds one per open stream. */
class SSEDecoder implements StreamDecoder {
  readonly #parser: SSEParser;

  readonly #messages: DialectMessages;

  constructor(messages: DialectMessages, hooks: FrameHooks | undefined) {
    this.#messages = messages;
    this.#parser = createSSEParser(
      hooks
        ? (event) => {
            if (hooks.accept(event.id)) messages.message(event.data, event.event);
          }
        : (event) => messages.message(event.data, event.event),
      messages.limits.maxEventSize,
      () => messages.tooLong(),
    );
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
