import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import {
  fromOpenAIResponses,
  type FromOpenAIResponsesConfig,
  type FromOpenAIResponsesParams,
  type OpenAIResponsesClient,
} from '../sources/fromOpenAIResponses';
import type { StepFactory } from './runTools';
import { toOpenAIResponsesContinuation } from './toOpenAIResponsesContinuation';
import { toOpenAIResponsesInput } from './toOpenAIResponsesInput';
import { toOpenAIResponsesTools } from './toOpenAIResponsesTools';

export interface OpenAIResponsesStepsConfig<
  Client extends OpenAIResponsesClient,
> extends FromOpenAIResponsesConfig<Client> {
  /**
   * `stateless` (default): every request sends `params.input` and the whole loop
   * (`toOpenAIResponsesInput`). `previous-response`: after the first, a request sends only the
   * last step's outputs and its `previous_response_id` (`toOpenAIResponsesContinuation`).
   */
  mode?: 'stateless' | 'previous-response';
}

/**
 * The step factory of a tool loop on OpenAI Responses: each step is `fromOpenAIResponses` with
 * `params`, its `tools` followed by the loop's (`toOpenAIResponsesTools`), and as `input` either
 * the whole loop (stateless) or only the new outputs after `previous_response_id`.
 *
 * @example
 * ```ts
 * runTools(openAIResponsesSteps(client, { model: 'gpt-5-mini', input }, { mode: 'previous-response' }), { tools });
 * ```
 */
export function openAIResponsesSteps<Client extends OpenAIResponsesClient>(
  client: Client,
  params: FromOpenAIResponsesParams<Client>,
  config: OpenAIResponsesStepsConfig<Client> = {},
): StepFactory {
  const { mode = 'stateless', ...sourceConfig } = config;
  const base = params as { input?: string | readonly unknown[]; tools?: readonly unknown[] | null };
  // A string input is one user message: as an item it can be followed by the loop's items.
  const input: readonly unknown[] =
    typeof base.input === 'string' ? [{ role: 'user', content: base.input }] : (base.input ?? []);
  return (history, { tools }): Observable<RxllmEvent> =>
    fromOpenAIResponses(
      client,
      {
        ...params,
        ...(mode === 'previous-response'
          ? toOpenAIResponsesContinuation(history, input)
          : { input: [...input, ...toOpenAIResponsesInput(history)] }),
        tools: [...(base.tools ?? []), ...toOpenAIResponsesTools(tools)],
      } as FromOpenAIResponsesParams<Client>,
      sourceConfig as FromOpenAIResponsesConfig<Client>,
    );
}
