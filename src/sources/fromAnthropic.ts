import type { PartialMode } from '../wire/types';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { sdkSource, type SdkBody, type SdkCreateMethod, type SdkRequestOptions } from './engine/sdkClient';
import type { StreamLimits } from '../base/limits';
import { anthropicDialect } from '../wire/anthropic/dialect';

/**
 * What fromAnthropic needs of an `@anthropic-ai/sdk` client: `messages.create`. Any
 * `new Anthropic(...)` is one; the SDK is not imported by rxllm's types.
 */
export interface AnthropicMessagesClient {
  messages: SdkCreateMethod;
}

/**
 * Messages API parameters, typed by the `@anthropic-ai/sdk` version of the client you pass;
 * `stream` is set by {@link fromAnthropic}.
 */
export type FromAnthropicParams<Client extends AnthropicMessagesClient = AnthropicMessagesClient> = Omit<
  SdkBody<Client['messages']>,
  'stream'
> & {
  stream?: boolean;
};

export interface FromAnthropicConfig<Client extends AnthropicMessagesClient = AnthropicMessagesClient> {
  /** The `provider` of the `start` event (an Anthropic-compatible gateway). Default: `anthropic`. */
  provider?: string;
  /** Per-request options passed to the SDK (headers, timeout, maxRetries, ...). */
  request?: SdkRequestOptions<Client['messages']>;
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
 * Streams a message from Anthropic's Messages API through the official `@anthropic-ai/sdk`
 * client as rxllm events: text, thinking (with its signature, or redacted), tool use and usage.
 *
 * Intuition: `client.messages.create({ ...params, stream: true })`, as an Observable.
 *
 * The SDK makes the request (its auth, `baseURL` and retries of the initial request stay yours);
 * rxllm reads the raw body with its own decoder. Cold and lazy: each subscription makes one
 * request. Every event carries `seq`. Errors with an {@link RxllmError} whose `partial` holds the
 * message so far: the SDK's `APIError` mapped by status (529 is `overloaded`), a dropped
 * connection (`network`), an in-band `event: error` (`overloaded_error` is `overloaded`), a
 * malformed event. Unsubscribing aborts the request, silently.
 *
 * @example
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { fromAnthropic, collect } from 'rxllm';
 * const message = await collect(
 *   fromAnthropic(new Anthropic(), {
 *     model: 'claude-sonnet-4-5',
 *     max_tokens: 1024,
 *     messages: [{ role: 'user', content: 'Hi' }],
 *   }),
 * );
 * ```
 */
export function fromAnthropic<Client extends AnthropicMessagesClient>(
  client: Client,
  params: FromAnthropicParams<Client>,
  config: FromAnthropicConfig<Client> = {},
): Observable<RxllmEvent> {
  if (typeof client?.messages?.create !== 'function') {
    throw new TypeError(
      `rxllm: fromAnthropic: client must be an Anthropic client (new Anthropic(...)), got ${typeof client}`,
    );
  }
  if (typeof params !== 'object' || params === null) {
    throw new TypeError(
      `rxllm: fromAnthropic: params must be Messages API parameters, got ${String(params)}`,
    );
  }
  return sdkSource(
    'fromAnthropic',
    anthropicDialect,
    client.messages,
    { ...params, stream: true },
    config,
    config.provider ?? 'anthropic',
  );
}
