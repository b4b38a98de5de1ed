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
      write({ event: event.type, data: JSON.stringify(event) });
    },
    error(error) {
      write({ event: 'error', data: JSON.stringify({ type: 'error', error: error.toJSON(), fatal: true }) });
    },
    end() {
      write({ event: 'done', data: '[DONE]' });
    },
  };
}

function withoutError<T extends { error: unknown }>(event: T): Omit<T, 'error'> {
  const { error: _error, ...rest } = event;
  return rest;
}
