import type { DecodeDialect } from '../types';
import { createAGUIDecoder } from './decoder';

/**
 * The `ag-ui` dialect, decode only: what `agUiDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const agUiDecodeDialect: DecodeDialect = {
  name: 'ag-ui',
  framing: 'sse',
  createDecoder: createAGUIDecoder,
};
