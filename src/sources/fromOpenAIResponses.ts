import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { sdkSource, type SdkBody, type SdkCreateMethod, type SdkRequestOptions } from './engine/sdkClient';
import type { StreamLimits } from '../base/limits';
import { openAIResponsesDialect } from '../wire/openai-responses/dialect';

/** What fromOpenAIResponses needs of an `openai` client: `responses.create`. */
export interface OpenAIResponsesClient {
  responses: SdkCreateMethod;
}

/**
 * Responses API parameters, typed by the `openai` version of the client you pass; `stream` is
 * set by {@link fromOpenAIResponses}.
 */
export type FromOpenAIResponsesParams<Client extends OpenAIResponsesClient = OpenAIResponsesClient> = Omit<
  SdkBody<Client['responses']>,
  'stream'
> & {
  stream?: boolean | null;
};

export interface FromOpenAIResponsesConfig<Client extends OpenAIResponsesClient = OpenAIResponsesClient> {
  /** The `provider` of the `start` event (a Responses-compatible gateway). Default: `openai`. */
  provider?: string;
  /** Per-request options passed to the SDK (headers, timeout, maxRetries, ...). */
  request?: SdkRequestOptions<Client['responses']>;
  /**
   * Size limits for this stream (see `StreamLimits`, docs/SECURITY.md): raise one where a
   * legitimate stream needs more. Unset ones keep `defaultLimits`.
   */
  limits?: Partial<StreamLimits>;
  /**
   * What is kept for a failed stream's `partial`: `'full'` (default) the whole message, `'text'`
   * the answer without reasoning or tool calls, `'none'` nothing (no token is held once passed on).
   */
  partial?: PartialMode;
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
export function fromOpenAIResponses<Client extends OpenAIResponsesClient>(
  client: Client,
  params: FromOpenAIResponsesParams<Client>,
  config: FromOpenAIResponsesConfig<Client> = {},
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
  return sdkSource(
    'fromOpenAIResponses',
    openAIResponsesDialect,
    client.responses,
    { ...params, stream: true },
    config,
  );
}
