import type { OllamaMessage } from '../sources/fromOllama';
import type { ToolLoopStep } from './runTools';
import { toolResultContent } from './toolResultContent';

/**
 * The steps of a tool loop as Ollama `/api/chat` messages, to append to the request's own: per
 * step, the assistant message (its `thinking`, and `tool_calls` with arguments as objects), then
 * a `tool` message per result naming its tool (Ollama's calls have no ids; results follow the
 * calls' order). Ollama takes tool definitions in the format `toOpenAIChatTools` writes.
 */
export function toOllamaMessages(history: readonly ToolLoopStep[]): OllamaMessage[] {
  return history.flatMap((step): OllamaMessage[] => {
    const assistant: OllamaMessage = { role: 'assistant', content: step.message.text };
    if (step.message.reasoning !== '') assistant.thinking = step.message.reasoning;
    const calls = step.message.toolCalls;
    if (calls.length > 0)
      assistant.tool_calls = calls.map((call) => ({
        function: { name: call.name, arguments: (call.args ?? {}) as Record<string, unknown> },
      }));
    return [
      assistant,
      ...step.toolResults.map((result): OllamaMessage => ({
        role: 'tool',
        content: toolResultContent(result),
        tool_name: result.name,
      })),
    ];
  });
}
