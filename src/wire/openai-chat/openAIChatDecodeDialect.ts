import type { DecodeDialect } from '../types';
import { createOpenAIChatDecoder } from './decoder';

/**
 * The `openai-chat` dialect, decode only: what `openAIChatDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const openAIChatDecodeDialect: DecodeDialect = {
  name: 'openai-chat',
  framing: 'sse',
  createDecoder: createOpenAIChatDecoder,
};
