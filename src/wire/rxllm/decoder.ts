import type { RxllmEvent } from '../../base/events';
import { RxllmError, type RxllmErrorOptions } from '../../base/errors';
import { parseJsonOrThrow } from '../malformed';
import type { Decoder, EmitEvent } from '../types';
import { validateWireEvent } from './validateWireEvent';

const dialect = 'rxllm';

/**
 * Decodes rxllm's own dialect: each SSE `data` is one event as JSON, `[DONE]` ends the stream.
 * Every event is checked (as `rxllmEventSchema` in `rxllm/schema` would, without zod), since this
 * dialect is often read from another process or another machine.
 */
export function createRxllmDecoder(emit: EmitEvent): Decoder {
  let done = false;
  return {
    message(data) {
      if (done) return; // after [DONE] (or a fatal error) the stream is finished
      if (data === '[DONE]') {
        done = true;
        return;
      }
      const event = validateWireEvent(parseJsonOrThrow(dialect, data), data);
      if (event === undefined) return; // not a type of this version's: newer producers may add types
      if (event.type === 'error') {
        // On the wire an error event carries the error as data (`rxllmErrorSchema`) and `fatal`.
        const {
          error: data,
          fatal,
          ...inBand
        } = event as unknown as {
          error: { message: string } & RxllmErrorOptions;
          fatal?: boolean;
        };
        // Never the wire's `partial`: the message so far is the reader's own, which the source
        // adds (Node's checker drops unknown fields already; a browser's leaves them).
        const error = new RxllmError(data.message, { ...data, partial: undefined });
        if (fatal) {
          done = true;
          throw error;
        }
        emit({ ...inBand, error } as RxllmEvent);
        return;
      }
      emit(event);
    },
    end() {
      if (!done) throw new RxllmError('rxllm: stream ended before [DONE]', { code: 'network', dialect });
    },
    ended: () => done,
  };
}
