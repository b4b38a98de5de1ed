import type { ToolLoopStep } from './runTools';
import { toolResultContent } from './toolResultContent';

/** An input item of an OpenAI Responses request, as the tool loop's steps become. */
export type OpenAIResponsesLoopItem =
  | { type: 'reasoning'; id: string; encrypted_content: string; summary: [] }
  | { role: 'assistant'; content: string }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

/**
 * The steps of a tool loop as OpenAI Responses input items, to append to the request's own
 * `input` (stateless: every request carries the whole conversation). Per step: its encrypted
 * reasoning items (`reasoning`, with the `rs_…` id and `encrypted_content` as they came: ask for
 * them with `include: ['reasoning.encrypted_content']`, which `store: false` needs), the
 * assistant's text, a `function_call` per call (arguments exactly as streamed), then a
 * `function_call_output` per result. Reasoning that came only as summary text has no item to
 * send; `toOpenAIResponsesContinuation` lets the server keep it instead.
 */
export function toOpenAIResponsesInput(history: readonly ToolLoopStep[]): OpenAIResponsesLoopItem[] {
  return history.flatMap((step) => [...stepOutput(step), ...functionCallOutputs(step)]);
}

/** The items the model produced in one step, as input. */
function stepOutput(step: ToolLoopStep): OpenAIResponsesLoopItem[] {
  const items: OpenAIResponsesLoopItem[] = [];
  for (const part of step.reasoning)
    if ('redacted' in part && part.itemId !== undefined)
      items.push({ type: 'reasoning', id: part.itemId, encrypted_content: part.redacted, summary: [] });
  if (step.message.text !== '') items.push({ role: 'assistant', content: step.message.text });
  for (const call of step.message.toolCalls)
    items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.argsText });
  return items;
}

/** A step's tool results as `function_call_output` items. */
export function functionCallOutputs(step: ToolLoopStep): OpenAIResponsesLoopItem[] {
  return step.toolResults.map((result) => ({
    type: 'function_call_output',
    call_id: result.id,
    output: toolResultContent(result),
  }));
}
