import type { RxllmEvent } from '../../base/events';
import { jsonOr } from '../jsonOr';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';

/**
 * The event name of an error frame. Not `error`: a browser's `EventSource` fires its own `error`
 * event for a failed connection, so a frame named `error` would be mistaken for one (and vice versa).
 */
export const rxllmErrorEventName = 'rxllm-error';

/**
 * Encodes rxllm events losslessly: one SSE frame per event, the event as JSON (its `type` in the
 * JSON); `[DONE]` on completion; on failure a fatal error frame, which ends the stream for the
 * decoder (no `[DONE]` follows). Frames are named by the event's type (`event: text`, an error
 * `event: rxllm-error`, `[DONE]` `event: done`) for `addEventListener`, or, with `named: false`,
 * unnamed, so that a plain `EventSource`'s `onmessage` sees every frame. The decoder reads both.
 */
export function createRxllmEncoder(write: WriteFrame, options?: EncoderOptions): Encoder {
  const named = options?.named !== false;
  const frame = (event: string, data: string) => write(named ? { event, data } : { data });
  return {
    event(event) {
      if (event.type === 'error') {
        frame(rxllmErrorEventName, JSON.stringify({ ...withoutError(event), error: event.error.toJSON() }));
        return;
      }
      frame(event.type, eventJson(event));
    },
    error(error) {
      frame(rxllmErrorEventName, JSON.stringify({ type: 'error', error: error.toJSON(), fatal: true }));
    },
    end() {
      frame('done', '[DONE]');
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
