import type { Observable, Subscription } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { recordStream, type RecordStreamConfig } from './recordStream';
import type { StreamLogStore } from './StreamLogStore';

/**
 * Runs `source` as a producer detached from any reader: subscribes it through
 * {@link recordStream} and resolves once the stream is registered, so that a reader started next
 * (`serveStreamLog`, `fromStreamLog`) finds it. A source that ends or fails before that (a provider
 * answering at once with an error) still resolves: its end is in the log, for readers to read.
 * Rejects only when the registration fails (the id is already in use, the store is unreachable).
 * The returned subscription stops the producer (readers then see `finish` with reason `cancelled`);
 * a reader leaving does not.
 *
 * @example
 * ```ts
 * await persistStream(fromOpenAI(openai, params), log, chatId);
 * await serveStreamLog(log, chatId, req, res);
 * ```
 */
export function persistStream(
  source: Observable<RxllmEvent>,
  store: StreamLogStore,
  id: string,
  config: Omit<RecordStreamConfig, 'onOpen' | 'onOpenFailed'> = {},
): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const subscription: Subscription = source
      .pipe(recordStream(store, id, { ...config, onOpen: () => resolve(subscription), onOpenFailed: reject }))
      // The producer has no reader of its own: its error is in the log (or, before the
      // registration, is the rejection above), not an unhandled error.
      .subscribe({ error: () => {} });
  });
}
