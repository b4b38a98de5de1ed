import { sseHeaders } from '../wire/sseHeaders';
import { sseOutputOf } from '../wire/sseOutput';
import type { DialectName } from '../wire/types';

/**
 * The SSE response headers for `frames$`: for the dialect a sink was told (`dialect`, an
 * override), else for the one `toSSE` wrote `frames$` in (its output says so), else `rxllm`'s.
 * So a pipeline names its dialect once, in `toSSE`.
 */
export function responseHeaders(frames$: unknown, dialect: DialectName | undefined): Record<string, string> {
  if (dialect !== undefined) return sseHeaders(dialect);
  const output = sseOutputOf(frames$);
  return output === undefined ? sseHeaders() : { ...sseHeaders(), ...output.headers };
}
