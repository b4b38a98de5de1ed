import type { Dialect } from '../types';
import { createRxllmDecoder } from './decoder';
import { createRxllmEncoder } from './encoder';

/** rxllm's own lossless JSON events. Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const rxllmDialect: Dialect = {
  name: 'rxllm',
  framing: 'sse',
  createDecoder: createRxllmDecoder,
  createEncoder: createRxllmEncoder,
  singleLineData: true,
};
