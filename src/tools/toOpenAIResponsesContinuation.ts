import { RxllmError } from '../base/errors';
import type { ToolLoopStep } from './runTools';
import { functionCallOutputs, type OpenAIResponsesLoopItem } from './toOpenAIResponsesInput';

/**
 * The `input` (and `previous_response_id`) of the next OpenAI Responses request of a tool loop,
 * in the stateful style: the first request sends `input` as given; each later one sends only the
 * last step's `function_call_output` items and the id of the response that called the tools (the
 * `resp_…` id of its `start` event), and the server recalls the rest, reasoning included. Spread
 * it into the request: `{ model, tools, ...toOpenAIResponsesContinuation(history, input) }`.
 * Needs stored responses (`store` left on); a step without a response id is an `invalid-argument`
 * RxllmError.
 */
export function toOpenAIResponsesContinuation<Input>(
  history: readonly ToolLoopStep[],
  input: Input,
): { input: Input } | { previous_response_id: string; input: OpenAIResponsesLoopItem[] } {
  const last = history[history.length - 1];
  if (last === undefined) return { input };
  const id = last.message.id;
  if (id === undefined)
    throw new RxllmError(
      `toOpenAIResponsesContinuation: step ${last.step} has no response id to continue from`,
      {
        code: 'invalid-argument',
      },
    );
  return { previous_response_id: id, input: functionCallOutputs(last) };
}
