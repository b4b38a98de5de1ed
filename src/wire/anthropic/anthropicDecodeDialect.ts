import type { DecodeDialect } from '../types';
import { createAnthropicDecoder } from './decoder';

/**
 * The `anthropic` dialect, decode only: what `anthropicDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const anthropicDecodeDialect: DecodeDialect = {
  name: 'anthropic',
  framing: 'sse',
  createDecoder: createAnthropicDecoder,
};
