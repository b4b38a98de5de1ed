import type { DialectName } from './types';

/**
 * The HTTP response headers for an SSE stream that `toSSE({ dialect })` writes:
 * `content-type: text/event-stream`, no caching, no proxy buffering, and for `ai-sdk-ui` the
 * `x-vercel-ai-ui-message-stream: v1` header that the AI SDK's `useChat` checks.
 *
 * @example
 * ```ts
 * import { sseHeaders, toSSE } from 'rxllm';
 * res.writeHead(200, sseHeaders('ai-sdk-ui'));
 * events$.pipe(toSSE({ dialect: 'ai-sdk-ui' })).subscribe({ next: (f) => res.write(f), complete: () => res.end() });
 * ```
 */
export function sseHeaders(dialect: DialectName | (string & {}) = 'rxllm'): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to; a buffered stream arrives all at once.
    'x-accel-buffering': 'no',
  };
  if (dialect === 'ai-sdk-ui') headers['x-vercel-ai-ui-message-stream'] = 'v1';
  return headers;
}
