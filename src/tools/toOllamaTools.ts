import type { Tool } from './defineTool';
import { toOpenAIChatTools } from './toOpenAIChatTools';

/**
 * The `tools` of an Ollama `/api/chat` request, from the same tools `runTools` runs: Ollama takes
 * OpenAI Chat's function format (`{ type: 'function', function: { name, description, parameters } }`).
 */
export function toOllamaTools(tools: readonly Tool[]): ReturnType<typeof toOpenAIChatTools> {
  return toOpenAIChatTools(tools);
}
