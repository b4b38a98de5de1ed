import type { Dialect } from '../types';
import { createAISDKUIDecoder } from './decoder';
import { createAISDKUIEncoder } from './encoder';

/** The AI SDK's UI message stream for `useChat` (written for `useChat`, read from an AI SDK backend). Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const aiSdkUiDialect: Dialect = {
  name: 'ai-sdk-ui',
  framing: 'sse',
  createDecoder: createAISDKUIDecoder,
  createEncoder: createAISDKUIEncoder,
  singleLineData: true,
};
