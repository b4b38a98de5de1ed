import { filter, map, tap, type Observable } from 'rxjs';
import { toSSE, type ToSSEConfig } from '../operators/toSSE';
import { fromStreamLogEntries } from './fromStreamLog';
import type { StreamLogStore } from './StreamLogStore';

/** Options of {@link streamLogToSSE}. */
export interface StreamLogToSSEConfig extends Omit<ToSSEConfig, 'ids' | 'errors'> {
  /**
   * Writes only the frames after this one: the `Last-Event-ID` the client sent (`"12"`, `"12.1"`),
   * or a position, after all of whose frames to start. Default: everything.
   */
  after?: number | string;
  /** See `fromStreamLog`. */
  waitMs?: number;
}

/** `"<seq>"` or `"<seq>.<n>"` as `[seq, n]`; undefined for anything else. */
export function parseFrameId(id: string): [seq: number, frame: number] | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(id.trim());
  return match === null ? undefined : [Number(match[1]), Number(match[2] ?? 0)];
}

/**
 * A logged stream as SSE frames in any dialect, each with an `id:` unique in the stream: the
 * position (`seq`) of the event that produced it, and `.1`, `.2`, ... for the further frames of
 * one event (the end's frames carry the position after the last event). A client that reconnects
 * with `Last-Event-ID` (as `EventSource` does by itself) gets exactly the frames it had not seen,
 * also when the connection dropped between two frames of one event (Anthropic's block stop and
 * message delta, OpenAI's last chunk and `[DONE]`).
 *
 * The encoder always reads the log from the start and only the frames after `after` are written:
 * dialects whose frames depend on what came before (Anthropic's content blocks, OpenAI's role
 * chunk) stay correct on resume.
 *
 * @example
 * ```ts
 * streamLogToSSE(log, chatId, { after: req.headers['last-event-id'], dialect: 'openai-chat' })
 * ```
 */
export function streamLogToSSE(
  store: StreamLogStore,
  id: string,
  config: StreamLogToSSEConfig = {},
): Observable<string> {
  const { after = -1, waitMs, ...sse } = config;
  const [afterSeq, afterFrame] =
    typeof after === 'number' ? [after, Infinity] : (parseFrameId(after) ?? [-1, Infinity]);
  let position = 0;
  let framePosition = -1;
  let frameIndex = 0;
  return fromStreamLogEntries(store, id, waitMs === undefined ? {} : { waitMs }).pipe(
    tap({
      next: (entry) => (position = entry.seq),
      complete: () => position++,
      error: () => position++,
    }),
    map((entry) => entry.event),
    toSSE({
      ...sse,
      ids: () => {
        frameIndex = position === framePosition ? frameIndex + 1 : 0;
        framePosition = position;
        return frameIndex === 0 ? String(position) : `${position}.${frameIndex}`;
      },
    }),
    // `: keep-alive` comments carry no id and are always written.
    filter(
      (frame) =>
        frame.startsWith(':') ||
        framePosition > afterSeq ||
        (framePosition === afterSeq && frameIndex > afterFrame),
    ),
  );
}
