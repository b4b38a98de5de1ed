import { RxllmError, type RxllmErrorCode } from './errors';

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

/**
 * The HTTP status each provider's in-band error type stands for, as the provider documents it
 * (Anthropic's error types, OpenAI's `type`/`code`, Google's RPC `status`). An in-band error is
 * what the provider sends when the failure happens after the 200 headers went out; mapped
 * through this table it gets the code and retryability the same failure would have had as an
 * HTTP status (OpenAI's `server_error` mid-stream is a 500: retryable).
 */
const statusOfProviderCode: Readonly<Record<string, number>> = {
  server_error: 500,
  api_error: 500,
  internal_error: 500,
  internal_server_error: 500,
  INTERNAL: 500,
  UNKNOWN: 500,
  bad_gateway: 502,
  overloaded_error: 529,
  server_overloaded: 503,
  service_unavailable: 503,
  service_unavailable_error: 503,
  UNAVAILABLE: 503,
  engine_overloaded: 503,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  RESOURCE_EXHAUSTED: 429,
  authentication_error: 401,
  invalid_api_key: 401,
  UNAUTHENTICATED: 401,
  permission_error: 403,
  PERMISSION_DENIED: 403,
  billing_error: 402,
  not_found_error: 404,
  NOT_FOUND: 404,
  request_too_large: 413,
  invalid_request_error: 400,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  timeout_error: 504,
  DEADLINE_EXCEEDED: 504,
};

/** The HTTP status a provider's in-band error type or code stands for; `undefined` when unknown. */
export function statusForProviderCode(type: string | undefined): number | undefined {
  return type !== undefined && Object.prototype.hasOwnProperty.call(statusOfProviderCode, type)
    ? statusOfProviderCode[type]
    : undefined;
}

/** Maps a provider's error type or code string (in-band error events) to an error code. */
export function codeForProviderError(type: string | undefined, message = ''): RxllmErrorCode | undefined {
  switch (type) {
    case 'overloaded_error':
    case 'server_overloaded':
    case 'engine_overloaded':
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
    default: {
      if (mentionsContextLength(message)) return 'context-length';
      const status = statusForProviderCode(type);
      return status === undefined ? undefined : codeForStatus(status, message);
    }
  }
}

/** What a decoder read from an in-band error event. */
export interface InBandErrorFields {
  dialect: string;
  /** The provider's words. */
  message: string;
  /** Candidates for the provider's code, most specific first (`code`, then `type`, then `status`). */
  providerCodes: ReadonlyArray<string | undefined>;
  /** An HTTP status the event itself carries (OpenRouter's numeric `code`, Google's `code`). */
  status?: number;
  requestId?: string;
  /** Prefix of rxllm's message; default the dialect. */
  label?: string;
}

/**
 * The one mapping of in-band provider errors, shared by every decoder: the first provider code
 * that rxllm knows decides the error code (`server_error` and `api_error` are a 500, so
 * retryable; `overloaded_error` is `overloaded`), else the status the event carries, else
 * `provider`. The status is kept (the event's own, else the one the code stands for), so that
 * `retryable` follows the same rule as for an HTTP status.
 */
export function inBandError(fields: InBandErrorFields): RxllmError {
  const { dialect, message, providerCodes, requestId } = fields;
  let code: RxllmErrorCode | undefined;
  let mappedFrom: string | undefined;
  for (const candidate of providerCodes) {
    code = codeForProviderError(candidate, message);
    if (code !== undefined) {
      mappedFrom = candidate;
      break;
    }
  }
  const providerCode = providerCodes.find((candidate) => candidate !== undefined);
  const status = fields.status ?? statusForProviderCode(mappedFrom);
  code ??= status !== undefined ? codeForStatus(status, message) : 'provider';
  const label = fields.label ?? dialect;
  // Options left undefined are not set on the error (see RxllmError's constructor).
  return new RxllmError(`${label}: ${providerCode ?? status ?? 'error'}: ${message}`, {
    code,
    dialect,
    providerMessage: message,
    status,
    providerCode,
    requestId,
    retryable: retryableFor(providerCode),
  });
}

/**
 * How much of a non-2xx body a source reads for {@link errorFromHttpResponse}'s message (from a
 * fetch `Response` or a Node response alike); error bodies are small.
 */
export const maxErrorBodyBytes = 64 * 1024;

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
  // Options left undefined are not set on the error (see RxllmError's constructor).
  return new RxllmError(`HTTP ${status}${message ? `: ${message}` : ''}`, {
    code,
    status,
    retryAfterMs,
    providerCode,
    requestId,
    dialect,
    cause,
    retryable: retryableFor(providerCode),
    providerMessage: message || undefined,
  });
}

/** Topping up the account is not something a retry does; otherwise the code's default holds. */
function retryableFor(providerCode: string | undefined): false | undefined {
  return providerCode === 'insufficient_quota' ? false : undefined;
}
