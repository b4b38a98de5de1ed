import { createParser } from 'eventsource-parser';
import type { DecoderOptions, Dialect, EmitEvent } from '../wire/types';

/** Bytes (or text) in, rxllm events out: the framing of a dialect plus its decoder. */
export interface StreamDecoder {
  /** Feeds the next chunk; a chunk may end anywhere (inside a line, a `\r\n` or a UTF-8 sequence). */
  push(chunk: Uint8Array | string): void;
  /** The input ended: flushes a final event that lacks its closing blank line, then ends the decoder. */
  end(): void;
}

/**
 * Frames a byte stream for `dialect` (SSE through eventsource-parser, or NDJSON lines) and feeds
 * each message to the dialect's decoder. Errors thrown by the decoder propagate out of `push` or
 * `end`. This is the hot path of every source: per message, one parser callback and one decoder call.
 */
export function createStreamDecoder(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
): StreamDecoder {
  if (!dialect.createDecoder) throw new TypeError(`rxllm: dialect '${dialect.name}' cannot be decoded`);
  const decoder = dialect.createDecoder(emit, options);
  const text = new TextDecoder();
  const toText = (chunk: Uint8Array | string) =>
    typeof chunk === 'string' ? chunk : text.decode(chunk, { stream: true });

  if (dialect.framing === 'ndjson') {
    // The unfinished line, in pieces: joining them only once its newline arrives keeps a long
    // line linear (`pending + chunk` with a rescan from its start was O(n²) over 1-byte chunks).
    const pending: string[] = [];
    const lines = (input: string) => {
      let start = 0;
      for (let newline = input.indexOf('\n'); newline !== -1; newline = input.indexOf('\n', start)) {
        let line = input.slice(start, newline);
        if (start === 0 && pending.length > 0) {
          pending.push(line);
          line = pending.join('');
          pending.length = 0;
        }
        line = line.trim();
        start = newline + 1;
        if (line !== '') decoder.message(line);
      }
      if (start < input.length) pending.push(start === 0 ? input : input.slice(start));
    };
    return {
      push(chunk) {
        lines(toText(chunk));
      },
      end() {
        pending.push(text.decode());
        const rest = pending.join('').trim();
        pending.length = 0;
        if (rest !== '') lines(`${rest}\n`);
        decoder.end();
      },
    };
  }

  const parser = createParser({ onEvent: (message) => decoder.message(message.data, message.event) });
  return {
    push(chunk) {
      parser.feed(toText(chunk));
    },
    end() {
      // Both official SDKs deliver a final event that lacks its blank line; a blank line does that.
      parser.feed(`${text.decode()}\n\n`);
      decoder.end();
    },
  };
}
