import { filter, map, tap, type Observable } from 'rxjs';
import { toSSE, type ToSSEConfig } from '../operators/toSSE';
import { fromStreamLogEntries } from './fromStreamLog';
import type { StreamLogStore } from './StreamLogStore';

/** Options of {@link streamLogToSSE}. */
export interface StreamLogToSSEConfig extends Omit<ToSSEConfig, 'ids' | 'errors'> {
  /**
   * Writes only the frames after this event position: the `Last-Event-ID` the client sent. Default
   * -1, everything.
   */
  after?: number;
  /** See `fromStreamLog`. */
  waitMs?: number;
}

/**
 * A logged stream as SSE frames in any dialect, each with `id: <seq>` (the position of the event
 * that produced it; the end's frames carry the position after the last event), so that a client
 * that reconnects with `Last-Event-ID` (as `EventSource` does by itself) gets exactly the frames it
 * had not seen.
 *
 * The encoder always reads the log from the start and only the frames after `after` are written:
 * dialects whose frames depend on what came before (Anthropic's content blocks, OpenAI's role
 * chunk) stay correct on resume. Frames of one event share its id.
 *
 * @example
 * ```ts
 * streamLogToSSE(log, chatId, { after: Number(req.headers['last-event-id'] ?? -1), dialect: 'openai-chat' })
 * ```
 */
export function streamLogToSSE(
  store: StreamLogStore,
  id: string,
  config: StreamLogToSSEConfig = {},
): Observable<string> {
  const { after = -1, waitMs, ...sse } = config;
  let position = 0;
  let framePosition = 0;
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
        framePosition = position;
        return String(position);
      },
    }),
    // `: keep-alive` comments carry no id and are always written.
    filter((frame) => frame.startsWith(':') || framePosition > after),
  );
}
