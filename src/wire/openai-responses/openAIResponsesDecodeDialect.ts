import type { DecodeDialect } from '../types';
import { createOpenAIResponsesDecoder } from './decoder';

/**
 * The `openai-responses` dialect, decode only: what `openAIResponsesDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const openAIResponsesDecodeDialect: DecodeDialect = {
  name: 'openai-responses',
  framing: 'sse',
  createDecoder: createOpenAIResponsesDecoder,
};
