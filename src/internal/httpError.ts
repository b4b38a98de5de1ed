import { RxllmError, type RxllmErrorCode } from '../errors';

/** Reads `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// Bounded gaps only (`.{0,200}`, not `.*`): on a hostile body every `max_tokens` would rescan to the end.
const contextLengthPattern =
  /context[ _-]?length|context window|maximum context|too many tokens|prompt is too long|input is too long|max_tokens.{0,200}exceed|exceeds? the (?:maximum|limit)/i;
/** Providers say it within their first sentences; a 1 MB error body is not read further. */
const contextLengthScan = 4096;

function mentionsContextLength(text: string): boolean {
  return contextLengthPattern.test(text.length > contextLengthScan ? text.slice(0, contextLengthScan) : text);
}

/** Maps an HTTP status (and the error body's words) to an error code. */
export function codeForStatus(status: number, body = ''): RxllmErrorCode {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if ((status === 400 || status === 413 || status === 422) && mentionsContextLength(body))
    return 'context-length';
  return 'http';
}

/** Maps a provider's error type or code string (in-band error events) to an error code. */
export function codeForProviderError(type: string | undefined, message = ''): RxllmErrorCode | undefined {
  switch (type) {
    case 'overloaded_error':
    case 'server_overloaded':
      return 'overloaded';
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
      return 'rate-limit';
    case 'authentication_error':
    case 'permission_error':
    case 'invalid_api_key':
      return 'auth';
    case 'context_length_exceeded':
    case 'string_above_max_length':
      return 'context-length';
    case 'timeout_error':
      return 'timeout';
    default:
      return mentionsContextLength(message) ? 'context-length' : undefined;
  }
}

/**
 * The error for a non-2xx HTTP response. The provider's own message is used when the body is
 * JSON in any of the usual shapes (`{error:{message}}`, `{error:"..."}`, `{message}`). `cause` is
 * the SDK's own error when an SDK made the request (see errorFromSdk).
 */
export function errorFromHttpResponse(
  status: number,
  bodyText: string,
  headers?: { get(name: string): string | null },
  dialect?: string,
  cause?: unknown,
): RxllmError {
  let message = bodyText.trim().slice(0, 500);
  let providerCode: string | undefined;
  try {
    const body = JSON.parse(bodyText) as { error?: unknown; message?: unknown };
    const inner = body.error;
    if (typeof inner === 'string') message = inner;
    else if (inner && typeof inner === 'object') {
      const { message: innerMessage, type, code } = inner as Record<string, unknown>;
      if (typeof innerMessage === 'string') message = innerMessage;
      if (typeof code === 'string') providerCode = code;
      else if (typeof type === 'string') providerCode = type;
    } else if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON: keep the text.
  }
  const code = codeForStatus(status, bodyText);
  const retryAfterMs = parseRetryAfter(headers);
  const requestId = headers?.get('x-request-id') ?? headers?.get('request-id') ?? undefined;
  return new RxllmError(`HTTP ${status}${message ? `: ${message}` : ''}`, {
    code,
    status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(providerCode !== undefined && { providerCode }),
    ...(requestId !== undefined && { requestId }),
    ...(dialect !== undefined && { dialect }),
    ...(cause !== undefined && { cause }),
    ...(providerCode === 'insufficient_quota' && { retryable: false }),
    ...(message !== '' && { providerMessage: message }),
  });
}
