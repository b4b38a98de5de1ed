import { createParser } from 'eventsource-parser';
import { limitExceeded, resolveLimits } from '../limits';
import type { DecoderOptions, Dialect, EmitEvent } from '../wire/types';
import { guardEvents } from './guardEvents';
import { malformed } from './malformed';

/** Bytes (or text) in, rxllm events out: the framing of a dialect plus its decoder. */
export interface StreamDecoder {
  /** Feeds the next chunk; a chunk may end anywhere (inside a line, a `\r\n` or a UTF-8 sequence). */
  push(chunk: Uint8Array | string): void;
  /** The input ended: flushes a final event that lacks its closing blank line, then ends the decoder. */
  end(): void;
  /** The dialect's terminal message has arrived: the rest of the input is ignored, stop reading. */
  ended(): boolean;
  /**
   * The connection was cut and a new one follows (`fromEventSource` reconnecting): drops the
   * unfinished line or frame of the old one, keeps the decoder's state (what was decoded so far).
   */
  restart?(): void;
}

/** SSE framing hooks, for a source that resumes (`fromEventSource`). */
export interface FrameHooks {
  /** Asked for each SSE event's `id` (undefined when it has none); `false` skips the event. */
  accept(id: string | undefined): boolean;
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
  hooks?: FrameHooks,
): StreamDecoder {
  if (!dialect.createDecoder) throw new TypeError(`rxllm: dialect '${dialect.name}' cannot be decoded`);
  if (dialect.framing === 'eventstream')
    throw new TypeError(
      `rxllm: dialect '${dialect.name}' is a binary event stream: read it with rxllm/bedrock`,
    );
  const limits = resolveLimits(options?.limits);
  // The message being decoded, for the guard's `malformed` quotes.
  let current = '';
  const decoder = dialect.createDecoder(
    guardEvents(dialect.name, limits, () => current, emit),
    options,
  );
  const message = (data: string, event?: string): void => {
    current = data;
    try {
      decoder.message(data, event);
      // Not kept past its message: `data` is a slice of the chunk it came in, and would keep all
      // of that chunk's text alive while the stream waits (a KB per idle stream).
      current = '';
    } catch (error) {
      // JSON.parse builds values of any depth, but JSON.stringify (a Gemini or Ollama tool call's
      // argsText, an error body quoted in a message) recurses: a value nested deeper than the
      // stack is a broken message, not an internal failure.
      if (error instanceof RangeError)
        throw malformed(dialect.name, data, 'a value nested too deeply', error);
      throw error;
    }
  };
  const ended = (): boolean => decoder.ended?.() ?? false;
  const tooLong = () =>
    limitExceeded(
      'maxEventSize',
      limits.maxEventSize,
      `an ${dialect.framing === 'ndjson' ? 'NDJSON line' : 'SSE event'}`,
      dialect.name,
    );
  const text = new TextDecoder();
  const toText = (chunk: Uint8Array | string) =>
    typeof chunk === 'string' ? chunk : text.decode(chunk, { stream: true });

  if (dialect.framing === 'ndjson') {
    // The unfinished line, in pieces: joining them only once its newline arrives keeps a long
    // line linear (`pending + chunk` with a rescan from its start was O(n²) over 1-byte chunks).
    const pending: string[] = [];
    let pendingLength = 0;
    const lines = (input: string) => {
      let start = 0;
      for (let newline = input.indexOf('\n'); newline !== -1; newline = input.indexOf('\n', start)) {
        let line = input.slice(start, newline);
        if (start === 0 && pending.length > 0) {
          pending.push(line);
          line = pending.join('');
          pending.length = 0;
          pendingLength = 0;
        }
        if (line.length > limits.maxEventSize) throw tooLong();
        line = line.trim();
        start = newline + 1;
        if (line !== '') message(line);
      }
      if (start < input.length) {
        const rest = start === 0 ? input : input.slice(start);
        pending.push(rest);
        pendingLength += rest.length;
        // An unfinished line is bounded too: 200 MB without a newline must not be held.
        if (pendingLength > limits.maxEventSize) throw tooLong();
      }
    };
    return {
      push(chunk) {
        lines(toText(chunk));
      },
      end() {
        pending.push(text.decode());
        const rest = pending.join('').trim();
        pending.length = 0;
        pendingLength = 0;
        if (rest !== '') lines(`${rest}\n`);
        decoder.end();
      },
      ended,
      restart() {
        text.decode(); // drops a UTF-8 sequence cut in half
        pending.length = 0;
        pendingLength = 0;
      },
    };
  }

  const parser = createParser({
    onEvent: hooks
      ? (event) => {
          if (hooks.accept(event.id)) message(event.data, event.event);
        }
      : (event) => message(event.data, event.event),
    // eventsource-parser counts the unterminated line plus the data waiting for its blank line.
    maxBufferSize: limits.maxEventSize,
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') throw tooLong();
    },
  });
  return {
    push(chunk) {
      parser.feed(toText(chunk));
    },
    end() {
      // Both official SDKs deliver a final event that lacks its blank line; a blank line does that.
      parser.feed(`${text.decode()}\n\n`);
      decoder.end();
    },
    ended,
    restart() {
      text.decode();
      parser.reset();
    },
  };
}
