import type { Tool } from './defineTool';

/** The `tools` of an Anthropic Messages request, from the same tools `runTools` runs. */
export function toAnthropicTools(
  tools: readonly Tool[],
): Array<{ name: string; description?: string; input_schema: Record<string, unknown> }> {
  return tools.map((tool) => ({
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    input_schema: tool.parameters,
  }));
}
