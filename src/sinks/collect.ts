import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { failedPartial } from '../base/failedPartial';
import { MessageAccumulator, type Message } from '../base/message';

/**
 * Subscribes and resolves with the final {@link Message}: text, reasoning, refusal, tool calls,
 * usage and finish reason.
 *
 * On a failed stream the promise rejects with an {@link RxllmError} whose `partial` holds the
 * message as far as it got, finish reason `error` (a non-rxllm error is wrapped first, keeping it as `cause`).
 * A reset event clears what was collected so far, as a UI would.
 *
 * @example
 * ```ts
 * import { collect, fromOpenAI } from 'rxllm';
 * const message = await collect(fromOpenAI(openai, { model: 'gpt-4o-mini', messages }));
 * console.log(message.text, message.usage?.totalTokens);
 * ```
 */
export function collect(events$: Observable<RxllmEvent>): Promise<Message> {
  return new Promise((resolve, reject) => {
    const message = new MessageAccumulator();
    events$.subscribe({
      next: (event) => message.apply(event),
      error: (error: unknown) => {
        const failure = RxllmError.from(error);
        failure.partial ??= failedPartial(message);
        reject(failure);
      },
      complete: () => resolve(message.snapshot()),
    });
  });
}
