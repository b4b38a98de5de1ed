import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import {
  fromAnthropic,
  type AnthropicMessagesClient,
  type FromAnthropicConfig,
  type FromAnthropicParams,
} from '../sources/fromAnthropic';
import type { StepFactory } from './runTools';
import { toAnthropicMessages } from './toAnthropicMessages';
import { toAnthropicTools } from './toAnthropicTools';

/**
 * The step factory of a tool loop on Anthropic Messages: each step is `fromAnthropic` with
 * `params`, its `messages` followed by the loop's steps (`toAnthropicMessages`: signed thinking,
 * `tool_use`, `tool_result`) and its `tools` followed by the loop's (`toAnthropicTools`).
 *
 * @example
 * ```ts
 * const message = await collect(runTools(anthropicSteps(client, { model, max_tokens: 1024, messages }), { tools }));
 * ```
 */
export function anthropicSteps<Client extends AnthropicMessagesClient>(
  client: Client,
  params: FromAnthropicParams<Client>,
  config?: FromAnthropicConfig<Client>,
): StepFactory {
  const base = params as { messages?: readonly unknown[]; tools?: readonly unknown[] };
  return (history, { tools }): Observable<RxllmEvent> =>
    fromAnthropic(
      client,
      {
        ...params,
        messages: [...(base.messages ?? []), ...toAnthropicMessages(history)],
        tools: [...(base.tools ?? []), ...toAnthropicTools(tools)],
      } as FromAnthropicParams<Client>,
      config,
    );
}
