import { RxllmError, withCauseMessage } from '../../base/errors';
import { errorFromHttpResponse } from '../../base/httpError';

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  headers?: unknown;
  error?: unknown;
  cause?: unknown;
}

/**
 * Maps an error thrown by the official OpenAI or Anthropic SDK while making a request to an
 * RxllmError, with the same status mapping as a raw HTTP response; `undefined` for anything else.
 *
 * Duck-typed on purpose: the SDKs are optional peers and must not be imported at runtime, and a
 * user may have two versions installed. The SDK's class is told by `name` (Anthropic sets it) or
 * by constructor name (OpenAI leaves `name` as `Error`).
 */
export function errorFromSdk(thrown: unknown, dialect: string): RxllmError | undefined {
  if (typeof thrown !== 'object' || thrown === null || RxllmError.isInstance(thrown)) return undefined;
  const error = thrown as SdkErrorShape;
  const kind =
    typeof error.name === 'string' && error.name !== 'Error' ? error.name : thrown.constructor?.name;
  const message = typeof error.message === 'string' ? error.message : String(thrown);
  switch (kind) {
    case 'APIUserAbortError':
      return new RxllmError(message, { code: 'aborted', cause: thrown, dialect });
    case 'APIConnectionTimeoutError':
      return new RxllmError(message, { code: 'timeout', cause: thrown, dialect });
    case 'APIConnectionError':
      return new RxllmError(withCauseMessage(message, error.cause), {
        code: 'network',
        cause: thrown,
        dialect,
      });
  }
  if (typeof error.status !== 'number') return undefined;
  const headers = hasGet(error.headers) ? error.headers : undefined;
  // OpenAI keeps the inner `{message, type, code}`; Anthropic the whole `{type, error: {...}}` body.
  const body =
    error.error === undefined || error.error === null
      ? message.replace(/^\d{3} /, '')
      : JSON.stringify(
          typeof error.error === 'object' && 'error' in error.error ? error.error : { error: error.error },
        );
  return errorFromHttpResponse(error.status, body, headers, dialect, thrown);
}

function hasGet(value: unknown): value is { get(name: string): string | null } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { get?: unknown }).get === 'function'
  );
}
