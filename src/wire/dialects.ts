import { createAGUIDecoder } from './ag-ui/decoder';
import { createAGUIEncoder } from './ag-ui/encoder';
import { createAISDKUIDecoder } from './ai-sdk-ui/decoder';
import { createAISDKUIEncoder } from './ai-sdk-ui/encoder';
import { createAnthropicDecoder } from './anthropic/decoder';
import { createBedrockAnthropicDecoder } from './bedrock/anthropicDecoder';
import { createBedrockConverseDecoder } from './bedrock/converseDecoder';
import { createAnthropicEncoder } from './anthropic/encoder';
import { createGeminiDecoder } from './gemini/decoder';
import { createOllamaDecoder } from './ollama/decoder';
import { createOpenAIChatDecoder } from './openai-chat/decoder';
import { createOpenAIChatEncoder } from './openai-chat/encoder';
import { createOpenAIResponsesDecoder } from './openai-responses/decoder';
import { createOpenAIResponsesEncoder } from './openai-responses/encoder';
import { createRxllmDecoder } from './rxllm/decoder';
import { createRxllmEncoder } from './rxllm/encoder';
import type { Dialect, DialectName } from './types';

/** Every wire format rxllm knows, by name. */
export const dialects: Partial<Record<DialectName, Dialect>> = {
  'openai-chat': {
    name: 'openai-chat',
    framing: 'sse',
    createDecoder: createOpenAIChatDecoder,
    createEncoder: createOpenAIChatEncoder,
  },
  gemini: {
    name: 'gemini',
    framing: 'sse',
    createDecoder: createGeminiDecoder,
  },
  ollama: {
    name: 'ollama',
    framing: 'ndjson',
    createDecoder: createOllamaDecoder,
  },
  rxllm: {
    name: 'rxllm',
    framing: 'sse',
    createDecoder: createRxllmDecoder,
    createEncoder: createRxllmEncoder,
  },
  anthropic: {
    name: 'anthropic',
    framing: 'sse',
    createDecoder: createAnthropicDecoder,
    createEncoder: createAnthropicEncoder,
  },
  'openai-responses': {
    name: 'openai-responses',
    framing: 'sse',
    createDecoder: createOpenAIResponsesDecoder,
    createEncoder: createOpenAIResponsesEncoder,
  },
  'ai-sdk-ui': {
    name: 'ai-sdk-ui',
    framing: 'sse',
    createDecoder: createAISDKUIDecoder,
    createEncoder: createAISDKUIEncoder,
  },
  'ag-ui': {
    name: 'ag-ui',
    framing: 'sse',
    createDecoder: createAGUIDecoder,
    createEncoder: createAGUIEncoder,
  },
  // Bedrock's messages are JSON payloads of AWS's binary event stream; the framing (and the
  // @smithy/core codec it needs) lives in rxllm/bedrock, so this entry costs nothing to others.
  'bedrock-converse': {
    name: 'bedrock-converse',
    framing: 'eventstream',
    createDecoder: createBedrockConverseDecoder,
  },
  'bedrock-anthropic': {
    name: 'bedrock-anthropic',
    framing: 'eventstream',
    createDecoder: createBedrockAnthropicDecoder,
  },
};

/** The dialect of that name; throws a clear error at once for an unknown or unsupported one. */
export function getDialect(name: DialectName, need?: 'decode' | 'encode'): Dialect {
  const dialect = dialects[name];
  if (!dialect) {
    throw new TypeError(
      `rxllm: unknown dialect '${String(name)}'; known: ${Object.keys(dialects).join(', ')}`,
    );
  }
  if (need === 'decode' && !dialect.createDecoder)
    throw new TypeError(`rxllm: dialect '${name}' cannot be decoded`);
  if (need === 'encode' && !dialect.createEncoder)
    throw new TypeError(`rxllm: dialect '${name}' cannot be encoded`);
  return dialect;
}
