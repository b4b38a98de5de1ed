import type { Tool } from './defineTool';

/** The `tools` of an OpenAI Chat Completions request, from the same tools `runTools` runs. */
export function toOpenAIChatTools(tools: readonly Tool[]): Array<{
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}> {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.parameters,
    },
  }));
}
