import type { ToolLoopStep } from './runTools';
import { toolResultContent } from './toolResultContent';

/** A message of an OpenAI Chat Completions request, as the tool loop's steps become. */
export type OpenAIChatLoopMessage =
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/**
 * The steps of a tool loop as OpenAI Chat Completions messages, to append to the request's own:
 * per step, the assistant message with its `tool_calls` (arguments exactly as streamed), then one
 * `tool` message per call with its result. (Chat Completions cannot take reasoning back.)
 */
export function toOpenAIChatMessages(history: readonly ToolLoopStep[]): OpenAIChatLoopMessage[] {
  return history.flatMap((step): OpenAIChatLoopMessage[] => {
    const calls = step.message.toolCalls;
    const assistant: OpenAIChatLoopMessage = {
      role: 'assistant',
      content: step.message.text === '' ? null : step.message.text,
    };
    if (calls.length > 0)
      assistant.tool_calls = calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.argsText },
      }));
    return [
      assistant,
      ...step.toolResults.map((result): OpenAIChatLoopMessage => ({
        role: 'tool',
        tool_call_id: result.id,
        content: toolResultContent(result),
      })),
    ];
  });
}
