import type { RxllmEvent } from '../base/events';
import { RxllmError, type RxllmErrorCode } from '../base/errors';

/**
 * One event as one line of JSON (JSON.stringify escapes line breaks, so a batch can be stored as
 * lines). An `error` event's RxllmError is written as its plain form and revived by {@link decodeEvent}.
 */
export function encodeEvent(event: RxllmEvent): string {
  return JSON.stringify(event);
}

/** The event {@link encodeEvent} wrote. */
export function decodeEvent(entry: string): RxllmEvent {
  const event = JSON.parse(entry) as RxllmEvent;
  if (event.type === 'error') {
    return { ...event, error: reviveError(event.error as unknown as Record<string, unknown>) };
  }
  return event;
}

/** An RxllmError back from its `toJSON()` form. */
export function reviveError(plain: Record<string, unknown>): RxllmError {
  const text = (key: string): string | undefined =>
    typeof plain[key] === 'string' ? (plain[key] as string) : undefined;
  const number = (key: string): number | undefined =>
    typeof plain[key] === 'number' ? (plain[key] as number) : undefined;
  return new RxllmError(text('message') ?? 'rxllm: stream failed', {
    code: (text('code') ?? 'provider') as RxllmErrorCode,
    ...(typeof plain.retryable === 'boolean' && { retryable: plain.retryable }),
    status: number('status'),
    retryAfterMs: number('retryAfterMs'),
    dialect: text('dialect'),
    providerCode: text('providerCode'),
    requestId: text('requestId'),
    providerMessage: text('providerMessage'),
    limit: text('limit'),
  });
}
