import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { createSSEDecoder } from '../wire/createSSEDecoder';
import { framedSource } from '../sources/engine/sourceFromBytes';
import type { FromSSEConfig, StreamInput } from '../sources/fromSSE';
import { resolveDialect } from '../wire/registry';

/**
 * `fromSSE` of `rxllm/core`: the same source, but `dialect` is a dialect object
 * (`import { openAIChatDialect } from 'rxllm/dialects/openai-chat'`) or the name of one imported
 * from `rxllm/dialects/<name>` or registered, so a bundle holds only the dialects it uses.
 * See `fromSSE` in `rxllm` for the behaviour.
 */
export function fromSSE(input: StreamInput, config: FromSSEConfig): Observable<RxllmEvent> {
  if (config?.reconnect !== undefined) return config.reconnect.source(input, config, resolveDialect);
  return framedSource('fromSSE', 'sse', createSSEDecoder, input, config, resolveDialect);
}
