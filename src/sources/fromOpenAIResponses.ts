import type OpenAI from 'openai';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../events';
import { errorFromSdk } from '../internal/sdkError';
import { sourceFromBytes } from '../internal/sourceFromBytes';
import { getDialect } from '../wire/dialects';

/** Responses API parameters; `stream` is set by {@link fromOpenAIResponses}. */
export type FromOpenAIResponsesParams = Omit<OpenAI.Responses.ResponseCreateParamsStreaming, 'stream'> & {
  stream?: boolean | null;
};

export interface FromOpenAIResponsesConfig {
  /** The `provider` of the `start` event (a Responses-compatible gateway). Default: `openai`. */
  provider?: string;
  /** Per-request options passed to the SDK (headers, timeout, maxRetries, ...). */
  request?: Omit<NonNullable<Parameters<OpenAI['responses']['create']>[1]>, 'signal'>;
}

/**
 * Streams a response of OpenAI's Responses API through the official `openai` client as rxllm
 * events: output text, reasoning summaries, function calls and usage.
 *
 * Intuition: `client.responses.create({ ...params, stream: true })`, as an Observable.
 *
 * The SDK makes the request (its auth, `baseURL` and retries of the initial request stay yours);
 * rxllm reads the raw body with its own decoder. Cold and lazy: each subscription makes one
 * request. Every event carries `seq`. Errors with an {@link RxllmError} whose `partial` holds the
 * message so far: the SDK's `APIError` mapped by status, a dropped connection (`network`), an
 * in-band `error` or `response.failed` event (its code mapped: `insufficient_quota` is a
 * non-retryable `rate-limit`), a malformed event. Unsubscribing aborts the request, silently.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { fromOpenAIResponses, collect } from 'rxllm';
 * const message = await collect(fromOpenAIResponses(new OpenAI(), { model: 'gpt-5-mini', input: 'Hi' }));
 * ```
 */
export function fromOpenAIResponses(
  client: Pick<OpenAI, 'responses'>,
  params: FromOpenAIResponsesParams,
  config: FromOpenAIResponsesConfig = {},
): Observable<RxllmEvent> {
  if (typeof client?.responses?.create !== 'function') {
    throw new TypeError(
      `rxllm: fromOpenAIResponses: client must be an OpenAI client (new OpenAI(...)), got ${typeof client}`,
    );
  }
  if (typeof params !== 'object' || params === null) {
    throw new TypeError(
      `rxllm: fromOpenAIResponses: params must be Responses API parameters, got ${String(params)}`,
    );
  }
  const dialect = getDialect('openai-responses', 'decode');
  const body: OpenAI.Responses.ResponseCreateParamsStreaming = { ...params, stream: true };
  return sourceFromBytes(
    (signal) => client.responses.create(body, { ...config.request, signal }).asResponse(),
    {
      dialect,
      name: 'fromOpenAIResponses',
      mapError: (error) => errorFromSdk(error, dialect.name),
      ...(config.provider !== undefined && { decoderOptions: { provider: config.provider } }),
    },
  );
}
