import type { Dialect } from '../types';
import { createAnthropicDecoder } from './decoder';
import { createAnthropicEncoder } from './encoder';

/** Anthropic Messages. Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const anthropicDialect: Dialect = {
  name: 'anthropic',
  framing: 'sse',
  createDecoder: createAnthropicDecoder,
  createEncoder: createAnthropicEncoder,
  singleLineData: true,
};
