import type { Tool } from './defineTool';

/**
 * The `tools` of a Gemini `generateContent` request, from the same tools `runTools` runs: one
 * tool of `functionDeclarations`. The schema goes as `parametersJsonSchema` (JSON Schema as is),
 * not `parameters` (Gemini's OpenAPI subset, which rejects parts of what zod writes).
 */
export function toGeminiTools(tools: readonly Tool[]): Array<{
  functionDeclarations: Array<{
    name: string;
    description?: string;
    parametersJsonSchema: Record<string, unknown>;
  }>;
}> {
  return [
    {
      functionDeclarations: tools.map((tool) => ({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parametersJsonSchema: tool.parameters,
      })),
    },
  ];
}
