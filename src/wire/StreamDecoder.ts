// The framing decoders' contract, apart from createStreamDecoder (which picks one) so that
// createSSEDecoder and createNDJSONDecoder do not import the module that imports them.
import type { DecoderOptions, Dialect, EmitEvent } from './types';

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
