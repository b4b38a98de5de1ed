import type { ToolResultEvent } from '../base/events';

/**
 * A tool result as the text providers take: a string as is, anything else as JSON, an error as
 * `Error: …` (the model reads it and can try again).
 */
export function toolResultContent(result: ToolResultEvent): string {
  if (result.error !== undefined) return `Error: ${result.error}`;
  if (typeof result.result === 'string') return result.result;
  return JSON.stringify(result.result ?? null);
}
