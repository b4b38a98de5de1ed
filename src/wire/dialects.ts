import { agUiDialect } from './ag-ui/dialect';
import { aiSdkUiDialect } from './ai-sdk-ui/dialect';
import { anthropicDialect } from './anthropic/dialect';
import { bedrockAnthropicDialect, bedrockConverseDialect } from './bedrock/dialect';
import { geminiDialect } from './gemini/dialect';
import { ollamaDialect } from './ollama/dialect';
import { openAIChatDialect } from './openai-chat/dialect';
import { openAIResponsesDialect } from './openai-responses/dialect';
import { encodableDialect } from './encodableDialect';
import { resolveDialect, type DialectInput } from './registry';
import { rxllmDialect } from './rxllm/dialect';
import type { Dialect, DialectName } from './types';

/**
 * Every built-in wire format, by name. Referring to this table is what makes a bundle hold every
 * dialect: the root entry's sources and `toSSE` resolve names here; `rxllm/core` never does.
 */
export const dialects: Partial<Record<DialectName, Dialect>> = {
  'openai-chat': openAIChatDialect,
  gemini: geminiDialect,
  ollama: ollamaDialect,
  rxllm: rxllmDialect,
  anthropic: anthropicDialect,
  'openai-responses': openAIResponsesDialect,
  'ai-sdk-ui': aiSdkUiDialect,
  'ag-ui': agUiDialect,
  'bedrock-converse': bedrockConverseDialect,
  'bedrock-anthropic': bedrockAnthropicDialect,
};

/**
 * The dialect of that name (a built-in one, else one registered with `registerDialect`), or the
 * dialect object given; throws a clear error at once for an unknown or unsupported one.
 */
export function getDialect(name: DialectInput, need?: 'decode' | 'encode'): Dialect {
  const dialect = resolveDialect(name, need === 'decode' ? need : undefined, dialects);
  return need === 'encode' ? encodableDialect(dialect) : dialect;
}
