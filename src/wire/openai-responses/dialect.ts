import type { Dialect } from '../types';
import { createOpenAIResponsesDecoder } from './decoder';
import { createOpenAIResponsesEncoder } from './encoder';

/** The OpenAI Responses API. Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const openAIResponsesDialect: Dialect = {
  name: 'openai-responses',
  framing: 'sse',
  createDecoder: createOpenAIResponsesDecoder,
  createEncoder: createOpenAIResponsesEncoder,
  singleLineData: true,
};
