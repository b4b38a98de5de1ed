import { RxllmError } from '../../base/errors';
import { codeForStatus } from '../../base/httpError';
import { count, isObject } from '../json';

/**
 * The HTTP status Bedrock documents for each of its errors, so that an exception in the middle
 * of a stream is classified like the same error as an HTTP response (429 `rate-limit`, 503
 * `overloaded`, 5xx retryable, ...).
 */
const statusByException: Record<string, number> = {
  throttlingException: 429,
  serviceQuotaExceededException: 429,
  modelNotReadyException: 429,
  serviceUnavailableException: 503,
  internalServerException: 500,
  validationException: 400,
  accessDeniedException: 403,
  unrecognizedClientException: 403,
  expiredTokenException: 403,
  resourceNotFoundException: 404,
  modelTimeoutException: 408,
  modelErrorException: 424,
  modelStreamErrorException: 424,
};

/**
 * The RxllmError for a Bedrock exception: an event-stream message of type `exception`
 * (`exceptionType` from its `:exception-type` header, `payload` its JSON body), or an error the
 * AWS SDK threw (its `name`, `message`, `$metadata.httpStatusCode`). `modelStreamErrorException`
 * and `modelErrorException` carry the model's own `originalStatusCode`, which wins.
 */
export function bedrockError(
  exceptionType: string,
  payload: unknown,
  dialect: string,
  httpStatus?: number,
  cause?: unknown,
): RxllmError {
  const type = exceptionType.charAt(0).toLowerCase() + exceptionType.slice(1);
  const body = isObject(payload) ? payload : {};
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof body.Message === 'string'
        ? body.Message
        : typeof body.originalMessage === 'string'
          ? body.originalMessage
          : exceptionType;
  const status = count(body.originalStatusCode) ?? httpStatus ?? statusByException[type];
  const code = status === undefined ? 'provider' : codeForStatus(status, message);
  return new RxllmError(`${dialect}: ${exceptionType}: ${message}`, {
    code,
    dialect,
    providerCode: exceptionType,
    providerMessage: message,
    ...(status !== undefined && { status }),
    ...(cause !== undefined && { cause }),
  });
}
