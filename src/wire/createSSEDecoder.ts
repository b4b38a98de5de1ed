import type { DecoderOptions, Dialect, EmitEvent } from './types';
import type { FrameHooks, StreamDecoder } from './StreamDecoder';
import { createSSEParser } from './createSSEParser';
import { dialectMessages } from './dialectMessages';

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
    messages.tooLong,
  );
  return {
    push(chunk) {
      parser.feed(messages.toText(chunk));
    },
    end() {
      // Both official SDKs deliver a final event that lacks its blank line; a blank line does that.
      parser.feed(`${messages.flushText()}\n\n`);
      messages.end();
    },
    ended: messages.ended,
    restart() {
      messages.flushText();
      parser.reset();
    },
  };
}
