import type { Message, MessageAccumulator } from './message';

/**
 * The `partial` a failed stream's error carries: the message as far as it got, with the finish
 * reason `error`, since that is how it ended (a finish reason the provider sent before failing,
 * OpenRouter's `length` ahead of its error chunk, is overruled). Other choices that had not
 * finished say `error` too.
 */
export function failedPartial(accumulator: MessageAccumulator): Message {
  const partial = accumulator.snapshot();
  partial.finishReason = 'error';
  if (partial.choices !== undefined) {
    for (const choice of partial.choices)
      if (choice.index === 0 || choice.finishReason === null) choice.finishReason = 'error';
  }
  return partial;
}
