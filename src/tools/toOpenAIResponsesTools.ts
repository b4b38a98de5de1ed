import type { Tool } from './defineTool';

/**
 * The `tools` of an OpenAI Responses request, from the same tools `runTools` runs. `strict` is
 * off: strict mode demands schemas (every property required, no extra properties) that a zod
 * schema with optional fields is not, and `runTools` validates the arguments anyway.
 */
export function toOpenAIResponsesTools(tools: readonly Tool[]): Array<{
  type: 'function';
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: false;
}> {
  return tools.map((tool) => ({
    type: 'function',
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    parameters: tool.parameters,
    strict: false,
  }));
}
