import { Observable } from 'rxjs';
import type { RxllmEvent } from '../../base/events';
import { RxllmError } from '../../base/errors';
import { MessageAccumulator } from '../../base/message';
import type { EmitEvent } from '../../wire/types';
import { failedPartial } from '../../base/failedPartial';
import { DownstreamFlow } from '../../flow/flow';

/** Turns the items of one stream into rxllm events; a fresh one per subscription. */
export interface ItemDecoder<T> {
  /** One item of the stream; emits its events synchronously, throws an RxllmError on a bad one. */
  item(value: T): void;
  /** The stream ended: emit what was pending, or throw if it ended too early. */
  end(): void;
}

export interface SourceFromIterableOptions<T> {
  /** Names the source in errors (`fromBedrock`, `fromAISDK`, ...). */
  name: string;
  createDecoder: (emit: EmitEvent) => ItemDecoder<T>;
  /** Maps what the stream (or opening it) threw; `undefined` leaves it to `RxllmError.from` as `network`. */
  mapError?: (error: unknown) => RxllmError | undefined;
  /** Sees each event before it is stamped and sent (to fill in what the stream itself lacks). */
  decorate?: (event: RxllmEvent) => void;
}

/**
 * The object-stream sibling of `sourceFromBytes`, for sources whose SDK already decoded the wire
 * (the AWS SDK's Bedrock streams, an AI SDK `fullStream`, a LangChain chat model's chunks):
 * cold and lazy (`open(signal)` is called per subscription), the iterator pulled one item at a
 * time and only while the downstream flow gates are open (so `pausable` and the pulled sinks stop
 * the producer), `seq` stamped, a {@link MessageAccumulator} folded so that every failure carries
 * `partial`. Unsubscribing aborts `signal` and returns the iterator, silently.
 */
export function sourceFromIterable<T>(
  open: (signal: AbortSignal) => AsyncIterable<T> | Promise<AsyncIterable<T>>,
  options: SourceFromIterableOptions<T>,
): Observable<RxllmEvent> {
  const { createDecoder, mapError, decorate } = options;
  return new Observable<RxllmEvent>((subscriber) => {
    const flow = new DownstreamFlow(subscriber);
    const controller = new AbortController();
    let drained = false;
    let iterator: AsyncIterator<T> | undefined;
    const accumulator = new MessageAccumulator();
    let seq = 0;
    const decoder = createDecoder((event) => {
      decorate?.(event);
      event.seq = seq++;
      accumulator.apply(event);
      subscriber.next(event);
    });

    const fail = (thrown: unknown): void => {
      if (subscriber.closed) return; // unsubscribed: whatever the abort caused is not an error
      const error = RxllmError.isInstance(thrown)
        ? thrown
        : (mapError?.(thrown) ?? RxllmError.from(thrown, { code: 'network' }));
      error.partial ??= failedPartial(accumulator);
      subscriber.error(error);
    };

    const run = async (): Promise<void> => {
      const iterable = await open(controller.signal);
      if (subscriber.closed) {
        void Promise.resolve(iterable[Symbol.asyncIterator]().return?.()).catch(ignore);
        return;
      }
      const it = iterable[Symbol.asyncIterator]();
      iterator = it;
      for (;;) {
        const wait = flow.whenOpen();
        if (wait) await wait;
        if (subscriber.closed) return;
        const next = await it.next();
        if (subscriber.closed) return;
        if (next.done) break;
        flow.enter();
        try {
          decoder.item(next.value);
        } finally {
          flow.exit();
        }
      }
      drained = true;
      decoder.end();
      subscriber.complete();
    };

    run().catch(fail);

    return () => {
      flow.stop();
      if (drained) return;
      controller.abort();
      if (iterator?.return) Promise.resolve(iterator.return()).catch(ignore);
    };
  });
}

function ignore(): void {}
