import type { Dialect } from '../types';
import { createOllamaDecoder } from './decoder';

/** Ollama's native NDJSON `/api/chat` and `/api/generate` (decode only). Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const ollamaDialect: Dialect = {
  name: 'ollama',
  framing: 'ndjson',
  createDecoder: createOllamaDecoder,
};
