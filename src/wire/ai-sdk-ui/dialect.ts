import type { Dialect } from '../types';
import { createAISDKUIEncoder } from './encoder';

/** The AI SDK's UI message stream for `useChat` (encode only). Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const aiSdkUiDialect: Dialect = {
  name: 'ai-sdk-ui',
  framing: 'sse',
  createEncoder: createAISDKUIEncoder,
  singleLineData: true,
};
