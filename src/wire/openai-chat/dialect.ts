import type { Dialect } from '../types';
import { createOpenAIChatDecoder } from './decoder';
import { createOpenAIChatEncoder } from './encoder';

/** OpenAI Chat Completions chunks, and every OpenAI-compatible server's (OpenRouter, DeepSeek, Groq, llama.cpp, vLLM). Pass it as `dialect` to a source or `toSSE`; importing it pulls in no other dialect. */
export const openAIChatDialect: Dialect = {
  name: 'openai-chat',
  framing: 'sse',
  createDecoder: createOpenAIChatDecoder,
  createEncoder: createOpenAIChatEncoder,
  singleLineData: true,
};
