import type { Dialect } from '../types';
import { createAGUIDecoder } from './decoder';
import { createAGUIEncoder } from './encoder';

/** AG-UI agent events (TanStack AI, CopilotKit, LangGraph, Mastra), read and written. Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const agUiDialect: Dialect = {
  name: 'ag-ui',
  framing: 'sse',
  createDecoder: createAGUIDecoder,
  createEncoder: createAGUIEncoder,
  singleLineData: true,
};
