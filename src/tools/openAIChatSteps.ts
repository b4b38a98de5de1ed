import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import {
  fromOpenAI,
  type FromOpenAIConfig,
  type FromOpenAIParams,
  type OpenAIChatClient,
} from '../sources/fromOpenAI';
import type { StepFactory } from './runTools';
import { toOpenAIChatMessages } from './toOpenAIChatMessages';
import { toOpenAIChatTools } from './toOpenAIChatTools';

/**
 * The step factory of a tool loop on OpenAI Chat Completions: each step is `fromOpenAI` with
 * `params`, its `messages` followed by the loop's steps (`toOpenAIChatMessages`) and its `tools`
 * followed by the loop's (`toOpenAIChatTools`). So `runTools(openAIChatSteps(client, params),
 * { tools })` is the whole loop; write the factory by hand to change the request per step.
 *
 * @example
 * ```ts
 * const message = await collect(runTools(openAIChatSteps(client, { model: 'gpt-4o', messages }), { tools }));
 * ```
 */
export function openAIChatSteps<Client extends OpenAIChatClient>(
  client: Client,
  params: FromOpenAIParams<Client>,
  config?: FromOpenAIConfig<Client>,
): StepFactory {
  const base = params as { messages?: readonly unknown[]; tools?: readonly unknown[] | null };
  return (history, { tools }): Observable<RxllmEvent> =>
    fromOpenAI(
      client,
      {
        ...params,
        messages: [...(base.messages ?? []), ...toOpenAIChatMessages(history)],
        tools: [...(base.tools ?? []), ...toOpenAIChatTools(tools)],
      } as FromOpenAIParams<Client>,
      config,
    );
}
