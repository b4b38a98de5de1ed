import type { Dialect } from '../types';
import { createGeminiDecoder } from './decoder';

/** Google Gemini's `streamGenerateContent?alt=sse` (decode only). Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const geminiDialect: Dialect = {
  name: 'gemini',
  framing: 'sse',
  createDecoder: createGeminiDecoder,
};
