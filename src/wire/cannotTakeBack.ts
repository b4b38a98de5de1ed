import { RxllmError } from '../base/errors';
import type { DialectName } from './types';

/**
 * The error an encoder ends the stream with when a `reset` comes after it wrote output: its format
 * (or its clients: the provider SDKs, the AI SDK's `Chat`) cannot take text back, and writing the
 * new answer after the old one would show the client two answers glued together. Retryable: the
 * client may send the request again. `reset` before any output needs no take-back and is ignored.
 */
export function cannotTakeBack(dialect: DialectName, reason: string): RxllmError {
  return new RxllmError(
    `The answer was restarted (${reason}) after part of it had been sent, and the ${dialect} format cannot take text back: the stream ends here. Send the request again.`,
    { code: 'provider', retryable: true, providerCode: 'stream_restarted', dialect },
  );
}
