import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { fromEventSourceWith, type FromEventSourceConfig } from '../sources/engine/fromEventSourceWith';
import { resolveDialect } from '../wire/registry';

/**
 * `fromEventSource` of `rxllm/core`: the same source, but `dialect` is a dialect object
 * (`rxllmDialect` from `rxllm/dialects/rxllm`, ...) or the name of a registered one, so a bundle
 * holds only the dialects it imports. See `fromEventSource` in `rxllm` for the behaviour.
 */
export function fromEventSource(
  url: string | URL,
  config: FromEventSourceConfig = {},
): Observable<RxllmEvent> {
  return fromEventSourceWith(url, config, resolveDialect);
}
