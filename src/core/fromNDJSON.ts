import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { createNDJSONDecoder } from '../wire/createNDJSONDecoder';
import { framedSource } from '../sources/engine/sourceFromBytes';
import type { FromNDJSONConfig } from '../sources/fromNDJSON';
import type { StreamInput } from '../sources/fromSSE';
import { resolveDialect } from '../wire/registry';

/**
 * `fromNDJSON` of `rxllm/core`: `dialect` is a dialect object (`ollamaDialect` from
 * `rxllm/dialects/ollama`) or the name of an imported or registered one. See `fromNDJSON` in `rxllm`.
 */
export function fromNDJSON(input: StreamInput, config: FromNDJSONConfig): Observable<RxllmEvent> {
  return framedSource('fromNDJSON', 'ndjson', createNDJSONDecoder, input, config, resolveDialect);
}
