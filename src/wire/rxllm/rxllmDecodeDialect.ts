import type { DecodeDialect } from '../types';
import { createRxllmDecoder } from './decoder';

/**
 * The `rxllm` dialect, decode only: what `rxllmDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const rxllmDecodeDialect: DecodeDialect = {
  name: 'rxllm',
  framing: 'sse',
  createDecoder: createRxllmDecoder,
};
