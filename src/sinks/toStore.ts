import { Subscriber } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import type { MessageAction } from './messageReducer';

/**
 * An Observer that feeds a UI store: `events$.subscribe(toStore(store))`.
 *
 * Intuition: every event, and the stream's completion or error, becomes one store update.
 *
 * The target is either
 * - a store from `createMessageStore` (its `dispatch` is called), or
 * - any setter-based store, through an adapter from a {@link MessageAction} to what the setter
 *   takes. Both of these fold with `messageReducer`:
 *   - Zustand: `toStore(useChat.setState, (action) => (state) => ({ message: messageReducer(state.message, action) }))`
 *   - Redux: `toStore(store.dispatch, (action) => ({ type: 'chat/stream', payload: action }))`, with
 *     `message: messageReducer(state.message, payload)` in the slice's reducer.
 *   Without an adapter the setter receives the actions themselves.
 *
 * Events are passed on as they come; completion becomes `{ type: 'stream-complete' }`, an
 * error `{ type: 'stream-error', error }`, and unsubscribing before either (a stop button)
 * `{ type: 'stream-cancel' }`, so the message does not stay `streaming`. For that it is a
 * `Subscriber`, not a plain observer: `events$.subscribe(toStore(store))` returns it, and its
 * `unsubscribe()` is the cancel. Like any Subscriber it serves one subscription: make one per stream.
 * An exception thrown by the store (a listener) is reported as RxJS reports an observer's, without
 * breaking the stream.
 *
 * @example
 * ```ts
 * import { createMessageStore, fromOllama, toStore } from 'rxllm';
 * const store = createMessageStore();
 * fromOllama({ model: 'llama3.2', messages }).subscribe(toStore(store));
 * ```
 */
export function toStore(store: StoreLike): Subscriber<RxllmEvent>;
export function toStore(setState: (action: MessageAction) => unknown): Subscriber<RxllmEvent>;
export function toStore<Update>(
  setState: (update: Update) => unknown,
  adapt: (action: MessageAction) => Update,
): Subscriber<RxllmEvent>;
export function toStore<Update>(
  target: StoreLike | ((update: Update) => unknown),
  adapt?: (action: MessageAction) => Update,
): Subscriber<RxllmEvent> {
  let apply: (action: MessageAction) => void;
  if (typeof target === 'function') {
    if (adapt !== undefined && typeof adapt !== 'function') {
      throw new TypeError(`rxllm: toStore adapter must be a function, got ${String(adapt)}`);
    }
    apply = adapt ? (action) => target(adapt(action)) : (action) => target(action as Update);
  } else if (typeof (target as StoreLike | null)?.dispatch === 'function') {
    if (adapt !== undefined) {
      throw new TypeError('rxllm: toStore takes an adapter only with a setter function');
    }
    apply = target.dispatch;
  } else {
    throw new TypeError(`rxllm: toStore expects a message store or a setter function, got ${String(target)}`);
  }
  // RxJS's own safe subscribers (what `subscribe` makes of a plain observer). One applies the
  // actions: a throwing store (a listener) is reported as RxJS reports an observer's error, to
  // `config.onUnhandledError`, and the stream goes on (under RxJS's deprecated
  // `useDeprecatedSynchronousErrorHandling` it is rethrown from `subscribe` instead). The one
  // returned feeds it and, unsubscribed before the stream ended (a stop button), tells it of the
  // cancel. (`Subscriber.create` is marked deprecated as the `Subscriber` constructor is: rxjs 8,
  // outside the peer range.)
  const store = Subscriber.create<MessageAction>(apply as (action?: MessageAction) => void);
  let ended = false;
  const end = (action: MessageAction) => {
    ended = true;
    store.next(action);
  };
  const subscriber = Subscriber.create<RxllmEvent>(
    (event) => store.next(event!),
    (error: unknown) => end({ type: 'stream-error', error }),
    () => end({ type: 'stream-complete' }),
  );
  subscriber.add(() => ended || end({ type: 'stream-cancel' }));
  return subscriber;
}

/**
 * What `toStore` needs of a store: its `dispatch` (a `MessageStore` from `createMessageStore` has
 * one). Declared here rather than imported, as `createMessageStore` imports `toStore`.
 */
interface StoreLike {
  dispatch(action: MessageAction): void;
}
