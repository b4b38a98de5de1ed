import type { RxllmEvent } from '../../events';
import { jsonOr } from '../../internal/jsonOr';
import type { Encoder, WriteFrame } from '../types';

/**
 * Encodes rxllm events losslessly: one SSE frame per event, named by its type, the event as
 * JSON; `[DONE]` on completion; on failure a fatal `error` frame, which ends the stream for the
 * decoder (no `[DONE]` follows).
 */
export function createRxllmEncoder(write: WriteFrame): Encoder {
  return {
    event(event) {
      if (event.type === 'error') {
        write({
          event: 'error',
          data: JSON.stringify({ ...withoutError(event), error: event.error.toJSON() }),
        });
        return;
      }
      write({ event: event.type, data: eventJson(event) });
    },
    error(error) {
      write({ event: 'error', data: JSON.stringify({ type: 'error', error: error.toJSON(), fatal: true }) });
    },
    end() {
      write({ event: 'done', data: '[DONE]' });
    },
  };
}

/**
 * The event as JSON. A value with no JSON text (tool arguments nested deeper than the stack
 * allows) cannot throw here or go out invalid: the call is written without `args` and marked
 * `incomplete`, its `argsText` intact, as a call whose arguments could not be parsed would be.
 */
function eventJson(event: RxllmEvent): string {
  const json = jsonOr(event, undefined);
  if (json !== undefined) return json;
  if (event.type === 'tool-call') {
    const { args: _args, ...rest } = event;
    return jsonOr({ ...rest, incomplete: true }, `{"type":"tool-call"}`);
  }
  return JSON.stringify({ type: event.type });
}

function withoutError<T extends { error: unknown }>(event: T): Omit<T, 'error'> {
  const { error: _error, ...rest } = event;
  return rest;
}
