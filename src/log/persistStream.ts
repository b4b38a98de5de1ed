import type { Observable, Subscription } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { recordStream, type RecordStreamConfig } from './recordStream';
import type { StreamLogStore } from './StreamLogStore';

/**
 * Runs `source` as a producer detached from any reader: subscribes it through
 * {@link recordStream} and resolves once the stream is registered, so that a reader started next
 * (`serveStreamLog`, `fromStreamLog`) finds it. Rejects when the id is already in use. The
 * returned subscription stops the producer (readers then see `finish` with reason `cancelled`);
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
  config: Omit<RecordStreamConfig, 'onOpen'> = {},
): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    let opened = false;
    const subscription = source
      .pipe(recordStream(store, id, { ...config, onOpen: () => ((opened = true), resolve(subscription)) }))
      .subscribe({
        error(error: unknown) {
          if (!opened) reject(error);
        },
      });
  });
}
