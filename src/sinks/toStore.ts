import { config as rxjsConfig, Subscriber } from 'rxjs';
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
  return new StoreSubscriber(apply);
}

/**
 * What `toStore` needs of a store: its `dispatch` (a `MessageStore` from `createMessageStore` has
 * one). Declared here rather than imported, as `createMessageStore` imports `toStore`.
 */
interface StoreLike {
  dispatch(action: MessageAction): void;
}

/** Feeds the store, and tells it of an unsubscribe before the stream ended. */
class StoreSubscriber extends Subscriber<RxllmEvent> {
  // `#` fields: names a minifier shortens (and no clash with Subscriber's own members).
  #ended = false;

  readonly #apply: (action: MessageAction) => void;

  constructor(apply: (action: MessageAction) => void) {
    super();
    this.#apply = apply;
    this.add(() => {
      if (!this.#ended) {
        this.#ended = true;
        this.#dispatch({ type: 'stream-cancel' });
      }
    });
  }

  protected override _next(event: RxllmEvent): void {
    this.#dispatch(event);
  }

  protected override _error(error: unknown): void {
    this.#ended = true;
    try {
      this.#dispatch({ type: 'stream-error', error });
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    this.#ended = true;
    try {
      this.#dispatch({ type: 'stream-complete' });
    } finally {
      this.unsubscribe();
    }
  }

  /** A throwing store must not break the source (a plain observer's errors are reported, not thrown). */
  #dispatch(action: MessageAction): void {
    try {
      this.#apply(action);
    } catch (error) {
      // As RxJS reports an error thrown by an observer: on a later turn, to `config.onUnhandledError` or thrown.
      setTimeout(() => {
        const report = rxjsConfig.onUnhandledError;
        if (!report) throw error;
        report(error);
      });
    }
  }
}
