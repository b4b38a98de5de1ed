import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { count, isObject } from '../wire/json';
import { sourceFromIterable } from '../sources/engine/sourceFromIterable';
import { bedrockError } from '../wire/bedrock/bedrockError';
import { createBedrockAnthropicDecoder } from '../wire/bedrock/anthropicDecoder';
import { createBedrockConverseDecoder, type BedrockDecoder } from '../wire/bedrock/converseDecoder';

/**
 * What fromBedrock needs of a `@aws-sdk/client-bedrock-runtime` client: `send(command, { abortSignal })`.
 * Any `new BedrockRuntimeClient(...)` is one; the SDK is not imported by rxllm.
 */
export interface BedrockClient {
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** A `ConverseStreamCommand` or `InvokeModelWithResponseStreamCommand` (Anthropic models). */
export interface BedrockStreamCommand {
  input: object;
}

export interface FromBedrockConfig {
  /** The `provider` of the `start` event. Default: `bedrock`. */
  provider?: string;
}

/**
 * Streams from Amazon Bedrock through the official `@aws-sdk/client-bedrock-runtime` client as
 * rxllm events: `ConverseStreamCommand` for any model (text, reasoning with signature or redacted,
 * tool use, stop reason, usage), or `InvokeModelWithResponseStreamCommand` for Anthropic models
 * (their Messages events, read by the `anthropic` decoder).
 *
 * Intuition: `client.send(command)` and a `for await` over its stream, as an Observable.
 *
 * The SDK makes the request (credentials, region, endpoint, retries of the initial request stay
 * yours) and decodes the event stream; rxllm maps the events. Cold and lazy: each subscription
 * sends the command once. The stream is pulled one event at a time and only while downstream
 * flow gates are open, so a paused consumer stops reading the socket. Unsubscribing aborts the
 * request through the SDK's `abortSignal`, silently. Errors are RxllmErrors with `partial`,
 * Bedrock's exceptions classified like their HTTP statuses, whether they arrive as the response
 * (HTTP 429 `ThrottlingException`) or inside the stream (`throttlingException` after some text):
 * `rate-limit`, `overloaded` (503), `http` (500, retryable; 400, not), `context-length`, `auth`,
 * `timeout`; `modelStreamErrorException` by the model's own `originalStatusCode`. The `start`
 * event's `model` is the command's `modelId`.
 *
 * @example
 * ```ts
 * import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
 * import { fromBedrock } from 'rxllm/bedrock';
 * const client = new BedrockRuntimeClient({ region: 'us-east-1' });
 * fromBedrock(client, new ConverseStreamCommand({
 *   modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
 *   messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
 * })).subscribe(console.log);
 * ```
 */
export function fromBedrock(
  client: BedrockClient,
  command: BedrockStreamCommand,
  config: FromBedrockConfig = {},
): Observable<RxllmEvent> {
  if (typeof client?.send !== 'function')
    throw new TypeError(`rxllm: fromBedrock: client must be a BedrockRuntimeClient, got ${typeof client}`);
  if (!isObject(command) || !isObject((command as BedrockStreamCommand).input))
    throw new TypeError(
      'rxllm: fromBedrock: command must be a ConverseStreamCommand or InvokeModelWithResponseStreamCommand',
    );
  const modelId = (command as BedrockStreamCommand).input as { modelId?: unknown };
  const model = typeof modelId.modelId === 'string' ? modelId.modelId : undefined;
  const decoderOptions = config.provider === undefined ? undefined : { provider: config.provider };
  let dialect = 'bedrock-converse';

  return sourceFromIterable<Record<string, unknown>>(
    async (signal) => {
      const output = await (client.send as (command: unknown, options: object) => Promise<unknown>).call(
        client,
        command,
        { abortSignal: signal },
      );
      const body = isObject(output) ? output : {};
      if (isAsyncIterable(body.stream)) {
        dialect = 'bedrock-converse';
        return body.stream as AsyncIterable<Record<string, unknown>>;
      }
      if (isAsyncIterable(body.body)) {
        dialect = 'bedrock-anthropic';
        return body.body as AsyncIterable<Record<string, unknown>>;
      }
      throw new RxllmError(
        'rxllm: fromBedrock: the command returned no event stream (use a *Stream command)',
        {
          code: 'provider',
          retryable: false,
        },
      );
    },
    {
      name: 'fromBedrock',
      createDecoder: (emit) => {
        let inner: BedrockDecoder | undefined;
        // Which decoder depends on the output, known once the first item arrives.
        const current = () =>
          (inner ??=
            dialect === 'bedrock-anthropic'
              ? createBedrockAnthropicDecoder(emit, decoderOptions)
              : createBedrockConverseDecoder(emit, decoderOptions));
        return {
          item(value) {
            for (const key of Object.keys(value)) {
              const payload = value[key];
              if (payload === undefined || key === '$unknown') continue;
              if (key.endsWith('Exception')) throw bedrockError(key, payload, dialect);
              current().event(key, payload);
            }
          },
          end() {
            current().end();
          },
        };
      },
      mapError: (error) => sdkError(error, dialect),
      decorate: (event) => {
        if (event.type === 'start' && event.model === undefined && model !== undefined) event.model = model;
      },
    },
  );
}

/** An error the AWS SDK threw: a modeled Bedrock exception (with `$metadata`) or a transport failure. */
function sdkError(thrown: unknown, dialect: string): RxllmError | undefined {
  if (!isObject(thrown) && !(thrown instanceof Error)) return undefined;
  const error = thrown as { name?: unknown; message?: unknown; $metadata?: unknown; $fault?: unknown };
  const name = typeof error.name === 'string' ? error.name : '';
  if (name === 'AbortError')
    return new RxllmError(String(error.message), { code: 'aborted', cause: thrown, dialect });
  if (!isObject(error.$metadata) && error.$fault === undefined && !name.endsWith('Exception'))
    return undefined;
  const status = isObject(error.$metadata) ? count(error.$metadata.httpStatusCode) : undefined;
  return bedrockError(
    name || 'unknownException',
    { message: typeof error.message === 'string' ? error.message : name },
    dialect,
    status !== undefined && status >= 400 ? status : undefined,
    thrown,
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    isObject(value) &&
    typeof (value as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}
