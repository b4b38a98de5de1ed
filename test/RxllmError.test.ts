import { runInNewContext } from 'node:vm';
import { RxllmError } from '../src/base/errors';
import { errorFromHttpResponse, parseRetryAfter } from '../src/base/httpError';

describe('RxllmError', () => {
  it('defaults retryable by code and by HTTP status', () => {
    expect(new RxllmError('x', { code: 'overloaded' }).retryable).toBe(true);
    expect(new RxllmError('x', { code: 'auth' }).retryable).toBe(false);
    expect(new RxllmError('x', { code: 'http', status: 502 }).retryable).toBe(true);
    expect(new RxllmError('x', { code: 'http', status: 404 }).retryable).toBe(false);
    expect(new RxllmError('x', { code: 'rate-limit', retryable: false }).retryable).toBe(false);
  });

  it('is recognized across copies by its symbol marker, not by instanceof', () => {
    const foreign = Object.assign(new Error('other copy'), { [Symbol.for('rxllm.error')]: true });
    expect(RxllmError.isInstance(foreign)).toBe(true);
    expect(RxllmError.isInstance(new Error('plain'))).toBe(false);
    expect(RxllmError.isInstance(null)).toBe(false);
  });

  it('wraps foreign errors: AbortError as aborted, socket failures as network, keeping the cause', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(RxllmError.from(abort).code).toBe('aborted');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const wrapped = RxllmError.from(reset);
    expect(wrapped.code).toBe('network');
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.cause).toBe(reset);
    const same = new RxllmError('x', { code: 'timeout' });
    expect(RxllmError.from(same)).toBe(same);
  });
});

describe('errorFromHttpResponse', () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it('maps statuses to codes and reads the provider message', () => {
    expect(
      errorFromHttpResponse(401, '{"error":{"message":"bad key","type":"authentication_error"}}').code,
    ).toBe('auth');
    expect(errorFromHttpResponse(403, '').code).toBe('auth');
    expect(
      errorFromHttpResponse(
        529,
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      ).message,
    ).toBe('HTTP 529: Overloaded');
    expect(errorFromHttpResponse(503, 'busy').code).toBe('overloaded');
    expect(errorFromHttpResponse(500, 'oops').code).toBe('http');
    expect(errorFromHttpResponse(500, 'oops').retryable).toBe(true);
  });

  it('recognizes a context-length 400 by its body and leaves other 400s as http', () => {
    const body = JSON.stringify({
      error: {
        message: "This model's maximum context length is 8192 tokens.",
        code: 'context_length_exceeded',
      },
    });
    const error = errorFromHttpResponse(400, body);
    expect(error.code).toBe('context-length');
    expect(error.providerCode).toBe('context_length_exceeded');
    expect(errorFromHttpResponse(400, '{"error":{"message":"bad temperature"}}').code).toBe('http');
  });

  it('carries retry-after for rate limits, in seconds or milliseconds', () => {
    const error = errorFromHttpResponse(429, '{"error":"slow down"}', headers({ 'retry-after': '7' }));
    expect(error.code).toBe('rate-limit');
    expect(error.retryAfterMs).toBe(7000);
    expect(error.message).toBe('HTTP 429: slow down');
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(parseRetryAfter(headers({}))).toBeUndefined();
  });
});

describe('RxllmError.from across realms', () => {
  it('recognizes a fetch failure from another realm by its shape', () => {
    const foreign = runInNewContext(
      "Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })",
    ) as unknown;
    expect(foreign instanceof Error).toBe(false);
    const wrapped = RxllmError.from(foreign);
    expect(wrapped.code).toBe('network');
    expect(wrapped.message).toBe('fetch failed');
  });

  it('adds the words of a network failure’s cause, which say why ("fetch failed" alone does not)', () => {
    const failure = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    const wrapped = RxllmError.from(failure, { dialect: 'openai-chat' });
    expect(wrapped).toMatchObject({
      code: 'network',
      retryable: true,
      dialect: 'openai-chat',
      cause: failure,
    });
    expect(wrapped.message).toBe('fetch failed (connect ECONNREFUSED 127.0.0.1:9)');
    // Not for any other error: its message is its own.
    expect(RxllmError.from(new Error('boom', { cause: new Error('inner') })).message).toBe('boom');
  });
});

describe('providerMessage', () => {
  it('keeps the provider’s own words apart from rxllm’s prefixed message', () => {
    const error = errorFromHttpResponse(
      429,
      '{"error":{"message":"Rate limit reached for gpt-4o","code":"rate_limit_exceeded"}}',
    );
    expect(error.message).toBe('HTTP 429: Rate limit reached for gpt-4o');
    expect(error.providerMessage).toBe('Rate limit reached for gpt-4o');
    expect(error.toJSON()).toMatchObject({ providerMessage: 'Rate limit reached for gpt-4o' });
  });
});
