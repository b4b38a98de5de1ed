import type { DecoderOptions, Dialect, EmitEvent } from '../wire/types';
import { createNDJSONDecoder } from './createNDJSONDecoder';
import { createSSEDecoder } from './createSSEDecoder';

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

/** How a source frames its bytes: createSSEDecoder, createNDJSONDecoder or Bedrock's. */
export type StreamDecoderFactory = (
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
) => StreamDecoder;

/**
 * Frames a byte stream as `dialect` says (SSE through createSSEParser, or NDJSON lines) and feeds
 * each message to the dialect's decoder. Errors thrown by the decoder propagate out of `push` or
 * `end`. This is the hot path of every source: per message, one parser callback and one decoder
 * call. Sources take the one framing they read (createSSEDecoder, createNDJSONDecoder) so that a
 * bundle holds only it; this picks by the dialect, for code that reads any.
 */
export function createStreamDecoder(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
  hooks?: FrameHooks,
): StreamDecoder {
  return dialect.framing === 'ndjson'
    ? createNDJSONDecoder(dialect, emit, options)
    : createSSEDecoder(dialect, emit, options, hooks);
}
