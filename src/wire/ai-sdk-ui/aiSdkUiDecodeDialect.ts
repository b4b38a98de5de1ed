import type { DecodeDialect } from '../types';
import { createAISDKUIDecoder } from './decoder';

/**
 * The `ai-sdk-ui` dialect, decode only: what `aiSdkUiDialect` reads, without its encoder, so a client that
 * only reads the stream does not bundle the code that writes it. `toSSE` refuses it.
 */
export const aiSdkUiDecodeDialect: DecodeDialect = {
  name: 'ai-sdk-ui',
  framing: 'sse',
  createDecoder: createAISDKUIDecoder,
};
