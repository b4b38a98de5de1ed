import type { ToolLoopStep } from './runTools';
import { toolResultContent } from './toolResultContent';

/** A content block of an Anthropic Messages request, as the tool loop's steps become. */
export type AnthropicLoopBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: true };

export interface AnthropicLoopMessage {
  role: 'assistant' | 'user';
  content: AnthropicLoopBlock[];
}

/**
 * The steps of a tool loop as Anthropic Messages messages, to append to the request's own: per
 * step, the assistant turn (thinking blocks with their signatures and redacted blocks as they
 * came, as Anthropic requires when thinking is on; the text; a `tool_use` block per call), then a
 * user turn of `tool_result` blocks (`is_error` for a failed call). A thinking block that arrived
 * without its signature cannot be sent back, and is left out.
 */
export function toAnthropicMessages(history: readonly ToolLoopStep[]): AnthropicLoopMessage[] {
  return history.flatMap((step): AnthropicLoopMessage[] => {
    const content: AnthropicLoopBlock[] = [];
    for (const part of step.reasoning) {
      if ('redacted' in part) content.push({ type: 'redacted_thinking', data: part.redacted });
      else if (part.signature !== undefined)
        content.push({ type: 'thinking', thinking: part.text, signature: part.signature });
    }
    if (step.message.text !== '') content.push({ type: 'text', text: step.message.text });
    for (const call of step.message.toolCalls)
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.args });
    const turns: AnthropicLoopMessage[] = [{ role: 'assistant', content }];
    if (step.toolResults.length > 0)
      turns.push({
        role: 'user',
        content: step.toolResults.map((result): AnthropicLoopBlock => {
          const block: AnthropicLoopBlock = {
            type: 'tool_result',
            tool_use_id: result.id,
            content: toolResultContent(result),
          };
          if (result.error !== undefined) block.is_error = true;
          return block;
        }),
      });
    return turns;
  });
}
