import type { OperatorFunction } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { toSSEWith, type ToSSEConfig } from '../operators/toSSE';
import { resolveDialect } from '../wire/registry';
import { rxllmDialect } from '../wire/rxllm/dialect';

/**
 * `toSSE` of `rxllm/core`: `dialect` is a dialect object (`anthropicDialect` from
 * `rxllm/dialects/anthropic`, ...) or the name of an imported or registered one; without one it
 * writes the `rxllm` dialect, as `toSSE` does. See `toSSE` in `rxllm` for the behaviour.
 */
export function toSSE(config: ToSSEConfig = {}): OperatorFunction<RxllmEvent, string> {
  return toSSEWith({ ...config, dialect: config.dialect ?? rxllmDialect }, resolveDialect);
}
