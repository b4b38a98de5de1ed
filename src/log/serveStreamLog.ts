import { pipeToNodeResponse, type NodeServerResponse } from '../sinks/pipeToNodeResponse';
import { sseHeaders } from '../wire/sseHeaders';
import type { DialectName } from '../wire/types';
import { parseFrameId, streamLogToSSE, type StreamLogToSSEConfig } from './streamLogToSSE';
import type { StreamLogStore } from './StreamLogStore';

/** The parts of a Node request {@link serveStreamLog} reads. */
export interface NodeRequestLike {
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Options of {@link serveStreamLog}. */
export interface ServeStreamLogConfig extends Omit<StreamLogToSSEConfig, 'after' | 'dialect'> {
  dialect?: DialectName;
}

/**
 * Where a reconnecting client resumes: after its `Last-Event-ID` header (a frame id,
 * `"<seq>"` or `"<seq>.<n>"`, returned as is), else before the `?from=` query parameter's position
 * (returned as the position before it), else from the start (-1).
 */
export function resumeAfter(req: NodeRequestLike): number | string {
  const header = req.headers['last-event-id'];
  const lastEventId = Array.isArray(header) ? header[0] : header;
  if (lastEventId !== undefined && parseFrameId(lastEventId) !== undefined) return lastEventId.trim();
  const from = new URL(req.url ?? '/', 'http://localhost').searchParams.get('from');
  if (from !== null && /^\d{1,15}$/.test(from)) return Number(from) - 1;
  return -1;
}

/**
 * Answers an HTTP request for the logged stream `id` on whichever process receives it: SSE from
 * where the client left off ({@link resumeAfter}), then live until the end. A finished stream is
 * replayed and ends; an unknown id is answered 404 (never a new model call); a client that leaves
 * stops only its own reading. Resolves when the response is over.
 *
 * @example
 * ```ts
 * // GET /chat/:id/stream on any instance
 * await serveStreamLog(log, id, req, res, { dialect: 'openai-chat' });
 * ```
 */
export async function serveStreamLog(
  store: StreamLogStore,
  id: string,
  req: NodeRequestLike,
  res: NodeServerResponse & { end(chunk?: string): unknown },
  config: ServeStreamLogConfig = {},
): Promise<void> {
  if ((await store.state(id)) === 'unknown') {
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error: { message: `unknown stream ${JSON.stringify(id)}` } }));
    return;
  }
  const dialect = config.dialect ?? 'rxllm';
  await pipeToNodeResponse(streamLogToSSE(store, id, { ...config, after: resumeAfter(req) }), res, {
    dialect,
    headers: sseHeaders(dialect),
  });
}
