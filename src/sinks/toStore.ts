import type { Observer } from 'rxjs';
import type { RxllmEvent } from '../events';
import type { MessageStore } from './createMessageStore';
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
 * Events are passed on as they come; completion becomes `{ type: 'stream-complete' }` and an
 * error `{ type: 'stream-error', error }`. An Observer does not hear of an unsubscribe: dispatch
 * `{ type: 'stream-cancel' }` when you stop the stream, or use `store.connect(events$)`, which does.
 *
 * @example
 * ```ts
 * import { createMessageStore, fromOllama, toStore } from 'rxllm';
 * const store = createMessageStore();
 * fromOllama({ model: 'llama3.2', messages }).subscribe(toStore(store));
 * ```
 */
export function toStore(store: MessageStore): Observer<RxllmEvent>;
export function toStore(setState: (action: MessageAction) => unknown): Observer<RxllmEvent>;
export function toStore<Update>(
  setState: (update: Update) => unknown,
  adapt: (action: MessageAction) => Update,
): Observer<RxllmEvent>;
export function toStore<Update>(
  target: MessageStore | ((update: Update) => unknown),
  adapt?: (action: MessageAction) => Update,
): Observer<RxllmEvent> {
  let apply: (action: MessageAction) => void;
  if (typeof target === 'function') {
    if (adapt !== undefined && typeof adapt !== 'function') {
      throw new TypeError(`rxllm: toStore adapter must be a function, got ${String(adapt)}`);
    }
    apply = adapt ? (action) => target(adapt(action)) : (action) => target(action as Update);
  } else if (typeof (target as MessageStore | null)?.dispatch === 'function') {
    if (adapt !== undefined) {
      throw new TypeError(
        'rxllm: toStore takes an adapter only with a setter function, not with a message store',
      );
    }
    apply = target.dispatch;
  } else {
    throw new TypeError(
      `rxllm: toStore expects a message store (createMessageStore) or a setter function, got ${String(target)}`,
    );
  }
  return {
    next: apply,
    error: (error: unknown) => apply({ type: 'stream-error', error }),
    complete: () => apply({ type: 'stream-complete' }),
  };
}
