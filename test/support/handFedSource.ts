import { Observable, Subject } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';

/**
 * A producer's source fed by hand (`tokens.next`) that never ends by itself, and that notes when
 * it is unsubscribed: what a cancel (from any store instance) must reach.
 */
export function handFedSource(): {
  tokens: Subject<RxllmEvent>;
  source: Observable<RxllmEvent>;
  /** Whether the source was unsubscribed. */
  unsubscribed: () => boolean;
} {
  let unsubscribed = false;
  const tokens = new Subject<RxllmEvent>();
  const source = new Observable<RxllmEvent>((subscriber) => {
    const inner = tokens.subscribe(subscriber);
    return () => {
      unsubscribed = true;
      inner.unsubscribe();
    };
  });
  return { tokens, source, unsubscribed: () => unsubscribed };
}
