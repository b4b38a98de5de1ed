import type { DecoderOptions, Dialect, EmitEvent } from './types';
import type { FrameHooks, StreamDecoder } from './StreamDecoder';
import { createSSEParser, type SSEParser, type SSETarget } from './createSSEParser';
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
  return new SSEStreamDecoder(dialectMessages(dialect, emit, options), hooks);
}

/**
 * One stream's SSE decoder: an object with prototype methods rather than closures over a scope,
 * since a relay holds one per open stream; its parser delivers to it (it is the parser's target).
 */
class SSEStreamDecoder implements StreamDecoder, SSETarget {
  readonly #messages: DialectMessages;
  readonly #hooks: FrameHooks | undefined;
  readonly #parser: SSEParser;

  constructor(messages: DialectMessages, hooks: FrameHooks | undefined) {
    this.#messages = messages;
    this.#hooks = hooks;
    this.#parser = createSSEParser(this, messages.limits.maxEventSize);
  }

  message(data: string, event: string | undefined, id: string | undefined): void {
    if (!this.#hooks || this.#hooks.accept(id)) this.#messages.message(data, event);
  }

  tooLong(): Error {
    return this.#messages.tooLong();
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
