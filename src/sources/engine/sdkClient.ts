import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import type { StreamLimits } from '../../base/limits';
import type { Dialect } from '../../wire/types';
import { errorFromSdk } from './sdkError';
import { createSSEDecoder } from '../../wire/createSSEDecoder';
import { decoderOptionsOf, sourceFromBytes } from './sourceFromBytes';
import { requestStepStart } from './requestStepStart';

/**
 * The one method of an official SDK client that rxllm calls: `create(body, options)`, returning
 * the SDK's APIPromise, of which only `.asResponse()` is used.
 *
 * Structural on purpose: rxllm's type declarations never import `openai` or `@anthropic-ai/sdk`
 * (optional peers), so a user who streams only from Ollama compiles without either installed.
 * The parameter types are read off the client the user passes, so they are exactly that SDK
 * version's own.
 */
export interface SdkCreateMethod {
  // A function property, not a method signature: with `create(body: never, options?: never)` as
  // the constraint, TypeScript resolves the SDK's options type to `never`.
  create: (...args: never) => { asResponse(): Promise<Response> };
}

/** The request body type of the client's `create` (the SDK's widest overload). */
export type SdkBody<M extends SdkCreateMethod> = Parameters<M['create']>[0];

/** The client's per-request options (headers, timeout, maxRetries, ...), less the signal, which is rxllm's. */
export type SdkRequestOptions<M extends SdkCreateMethod> = Omit<
  NonNullable<Parameters<M['create']>[1]>,
  'signal'
>;

/** Calls `create` with a body and options whose types were checked against the client's at the call site. */
function createResponse(method: SdkCreateMethod, body: object, options: object): Promise<Response> {
  return (method.create as unknown as (body: object, options: object) => { asResponse(): Promise<Response> })
    .call(method, body, options)
    .asResponse();
}

/**
 * The source behind fromOpenAI, fromOpenAIResponses and fromAnthropic: each subscription calls
 * `method.create(body, { ...config.request, signal })` and reads the raw response with the
 * dialect's decoder, the SDK's own errors mapped by {@link errorFromSdk}.
 */
export function sdkSource(
  name: string,
  dialect: Dialect,
  method: SdkCreateMethod,
  body: object,
  config: { provider?: string; request?: object; limits?: Partial<StreamLimits> },
  provider = config.provider,
): Observable<RxllmEvent> {
  const model = (body as { model?: unknown }).model;
  return sourceFromBytes((signal) => createResponse(method, body, { ...config.request, signal }), {
    dialect,
    name,
    mapError: (error) => errorFromSdk(error, dialect.name),
    first: () => requestStepStart(typeof model === 'string' ? model : undefined, provider),
    decoderOptions: decoderOptionsOf(config, name),
    createStreamDecoder: createSSEDecoder,
  });
}
