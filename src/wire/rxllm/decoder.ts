import type { RxllmEvent } from '../../events';
import { RxllmError } from '../../errors';
import { malformed, parseJsonOrThrow } from '../../internal/malformed';
import type { Decoder, EmitEvent } from '../types';
import { rxllmEventSchema } from './schema';

const dialect = 'rxllm';

/**
 * Decodes rxllm's own dialect: each SSE `data` is one event as JSON, `[DONE]` ends the stream.
 * Every event is checked against {@link rxllmEventSchema}, since this dialect is often read from
 * another process or another machine.
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
      const json = parseJsonOrThrow(dialect, data);
      const type = (json as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !knownTypes.has(type)) return; // newer producers may add types
      const parsed = rxllmEventSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw malformed(
          dialect,
          data,
          `invalid ${type} event at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        );
      }
      const event = parsed.data;
      if (event.type === 'error') {
        const { message, ...options } = event.error;
        const error = new RxllmError(message, options);
        if (event.fatal) {
          done = true;
          throw error;
        }
        const inBand: RxllmEvent = { type: 'error', error };
        if (event.track !== undefined) inBand.track = event.track;
        if (event.seq !== undefined) inBand.seq = event.seq;
        emit(inBand);
        return;
      }
      emit(event as RxllmEvent);
    },
    end() {
      if (!done) throw new RxllmError('rxllm: stream ended before [DONE]', { code: 'network', dialect });
    },
    ended: () => done,
  };
}

const knownTypes = new Set(rxllmEventSchema.options.map((option) => option.shape.type.value as string));
