import type { Message } from './messageTypes';
// Node's fetch and sockets; nothing in a browser bundle (package.json's `imports`, `#nodeNetworkFailure`).
import { isNodeNetworkFailure } from './isNodeNetworkFailure';

/** What went wrong, as one string a program can switch on. */
export type RxllmErrorCode =
  | 'network'
  | 'http'
  | 'auth'
  | 'rate-limit'
  | 'overloaded'
  | 'context-length'
  | 'timeout'
  | 'malformed'
  | 'provider'
  | 'aborted'
  /** Misuse: a source's input or an option is not what it must be. Never retryable. */
  | 'invalid-argument'
  /** A bound was exceeded: a buffer's `maxBuffered`, a size limit, input nested too deeply. */
  | 'limit-exceeded'
  /** A tool of a tool loop failed and the loop was told to fail (`onToolError: 'fail'`). */
  | 'tool';

/** Every {@link RxllmErrorCode}, once: the wire decoders and validators read this list. */
export const rxllmErrorCodes = [
  'network',
  'http',
  'auth',
  'rate-limit',
  'overloaded',
  'context-length',
  'timeout',
  'malformed',
  'provider',
  'aborted',
  'invalid-argument',
  'limit-exceeded',
  'tool',
] as const satisfies readonly RxllmErrorCode[];

export interface RxllmErrorOptions {
  code: RxllmErrorCode;
  /** Defaults by code: network, rate-limit, overloaded and timeout are retryable, as are HTTP 5xx. */
  retryable?: boolean;
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
  /** The message as far as it got before the failure. */
  partial?: Message;
  /** The wire dialect whose input failed (`openai-chat`, `anthropic`, ...). */
  dialect?: string;
  /** The provider's own error code or type (`overloaded_error`, `insufficient_quota`, ...). */
  providerCode?: string;
  /** The offending input, for `malformed` (truncated to a readable length). */
  line?: string;
  /** The provider's request id, when it gives one. */
  requestId?: string;
  /**
   * The provider's own words, without rxllm's prefix (`Overloaded`, where `message` says
   * `anthropic: overloaded_error: Overloaded`): what an encoder writes when it passes the error on.
   */
  providerMessage?: string;
  /** For `limit-exceeded`: the name of the limit (`maxEventSize`, `maxMessageSize`, ...). */
  limit?: string;
}

const marker = Symbol.for('rxllm.error');

/** The optional fields `toJSON` writes (undefined ones too, as `JSON.stringify` drops them), in order. */
const jsonFields = [
  'status',
  'retryAfterMs',
  'dialect',
  'providerCode',
  'requestId',
  'providerMessage',
  'limit',
] as const;
/** The options the constructor copies onto the error when given. A loop, not nine `if`s: fewer bytes. */
const optionalFields = [...jsonFields, 'line', 'partial'] as const;
type OptionalField = (typeof optionalFields)[number];

const retryableByDefault: ReadonlySet<RxllmErrorCode> = new Set([
  'network',
  'rate-limit',
  'overloaded',
  'timeout',
]);

/**
 * The one error rxllm raises. Every failure of a stream (HTTP status, provider error event,
 * malformed chunk, cut connection, deadline) arrives on the error channel as an `RxllmError`
 * whose `partial` holds what had arrived before it, so nothing already streamed is lost.
 *
 * Use {@link RxllmError.isInstance} rather than `instanceof`: it still holds when two copies of
 * rxllm are installed side by side.
 */
export class RxllmError extends Error {
  override readonly name = 'RxllmError';
  readonly code: RxllmErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly dialect?: string;
  readonly providerCode?: string;
  readonly line?: string;
  readonly requestId?: string;
  /** The provider's own words, without rxllm's prefix; see {@link RxllmErrorOptions.providerMessage}. */
  readonly providerMessage?: string;
  /** For `limit-exceeded`: the name of the limit that was exceeded (see `StreamLimits`). */
  readonly limit?: string;
  /** The message as far as it got; set by the source (or `collect`) that saw the failure. */
  partial?: Message;
  readonly [marker] = true;

  constructor(message: string, options: RxllmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable =
      options.retryable ??
      (retryableByDefault.has(options.code) ||
        (options.code === 'http' && options.status !== undefined && options.status >= 500));
    for (const key of optionalFields) {
      if (options[key] !== undefined) (this as Record<OptionalField, unknown>)[key] = options[key];
    }
  }

  /** True for any rxllm error, including one thrown by another installed copy of rxllm. */
  static isInstance(value: unknown): value is RxllmError {
    return typeof value === 'object' && value !== null && (value as { [marker]?: boolean })[marker] === true;
  }

  /**
   * Returns `error` itself when it is already an RxllmError, and otherwise wraps it (keeping it as
   * `cause`): an AbortError becomes `aborted`, a failed fetch or socket `network` (its cause's
   * words added to the message: "fetch failed" alone says nothing of why), a stack overflow
   * `limit-exceeded`, anything else `provider` (not retryable: a bug is not fixed by asking again).
   */
  static from(error: unknown, fallback: Partial<RxllmErrorOptions> = {}): RxllmError {
    if (RxllmError.isInstance(error)) return error;
    const name = (error as { name?: string } | null)?.name;
    const network = isNetworkFailure(error);
    // Shape, not instanceof: errors from another realm (undici under a test VM, an iframe) are
    // not instances of this realm's Error.
    const message = network
      ? withCauseMessage(error.message, error.cause)
      : isErrorLike(error)
        ? error.message
        : String(error);
    const code: RxllmErrorCode =
      name === 'AbortError' || name === 'APIUserAbortError'
        ? 'aborted'
        : (fallback.code ?? (network ? 'network' : isStackOverflow(error) ? 'limit-exceeded' : 'provider'));
    return new RxllmError(message, { ...fallback, code, cause: error });
  }

  /** A plain-object form for logs and for the `rxllm` wire dialect. */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
    };
    for (const key of jsonFields) json[key] = this[key];
    return json;
  }
}

/**
 * `message`, with the cause's own message in parentheses when it has one ("fetch failed" alone
 * says nothing). Internal, shared with the sources.
 */
export function withCauseMessage(message: string, cause: unknown): string {
  const inner = (cause as { message?: unknown } | null | undefined)?.message;
  return typeof inner === 'string' && inner !== '' ? `${message} (${inner})` : message;
}

function isErrorLike(value: unknown): value is { name?: unknown; message: string; cause?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * What browsers' `fetch` throws when the request or the body read fails in transit: Chromium
 * ("Failed to fetch"), Firefox ("NetworkError when attempting to fetch resource."), Safari ("Load
 * failed", "The network connection was lost."). Any other TypeError is a bug, not the network.
 * Node's and Deno's words, and socket error codes, are isNodeNetworkFailure's.
 */
const fetchFailureMessage =
  /^(?:failed to fetch|load failed|networkerror when attempting to fetch resource\.?|the network connection was lost\.?|network ?error)$/i;

/**
 * A failed fetch or socket: the TypeError fetch throws for a network failure (recognized by its
 * words, see above, and Node's and Deno's in isNodeNetworkFailure), an SDK's APIConnectionError, a
 * DOMException `NetworkError`, or a socket error code on the error or its causes (Node's: a
 * browser bundle has none of isNodeNetworkFailure but a stub). Duck-typed: errors from another realm (undici, test
 * runners) fail `instanceof`. A TypeError from a bug ("x is not a function") is not one.
 * Internal, shared with the sources.
 */
export function isNetworkFailure(
  error: unknown,
): error is { name?: unknown; message: string; cause?: unknown } {
  if (!isErrorLike(error)) return false;
  if (error.name === 'APIConnectionError' || error.name === 'NetworkError') return true;
  if (error.name === 'TypeError' && fetchFailureMessage.test(error.message)) return true;
  // undici's and Deno's words, socket error codes: Node-only, a browser bundle gets a stub.
  return isNodeNetworkFailure(error);
}

/** V8's, SpiderMonkey's and JavaScriptCore's words for a stack overflow. Internal. */
export function isStackOverflow(error: unknown): boolean {
  return (
    isErrorLike(error) &&
    (error.name === 'RangeError' || error.name === 'InternalError') &&
    /call stack|too much recursion/i.test(error.message)
  );
}
