import type { DecoderOptions, Dialect, EmitEvent } from './types';
import type { FrameHooks, StreamDecoder } from './StreamDecoder';
import { createNDJSONDecoder } from './createNDJSONDecoder';
import { createSSEDecoder } from './createSSEDecoder';

export type { FrameHooks, StreamDecoder, StreamDecoderFactory } from './StreamDecoder';

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
