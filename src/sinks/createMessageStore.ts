import type { Observable, Subscription } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { messageReducer, type MessageAction, type MessageState } from './messageReducer';
import { toStore } from './toStore';

/** Options of {@link createMessageStore}. */
export interface CreateMessageStoreConfig {
  /** The state to start from (and to go back to on `reset()`). Default `messageReducer.initialState`. */
  initialState?: MessageState;
}

/**
 * A store of one streamed message's UI state. One `subscribe` serves both React and Svelte:
 *
 * - React: `useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)`.
 *   The methods are bound, and a snapshot is the same object until something changes.
 * - Svelte: the store contract. `subscribe(run)` calls `run` at once with the current state and
 *   after every change, and returns the unsubscriber; `$store` works in components.
 *
 * React ignores the argument and the immediate call (it compares snapshots with `Object.is`), so
 * neither contract costs the other anything.
 */
export interface MessageStore {
  /** The current state: immutable, and the same object until the next change. */
  getSnapshot(): MessageState;
  /** The same as `getSnapshot`, for React's server rendering. */
  getServerSnapshot(): MessageState;
  /**
   * Calls `listener` now with the current state and then after every change; returns the
   * function that stops it. A listener that throws does not keep the others from being called;
   * the first error is rethrown after all were called.
   */
  subscribe(listener: (state: MessageState) => void): () => void;
  /** Applies one event or stream action through `messageReducer`; listeners hear of real changes only. */
  dispatch(action: MessageAction): void;
  /** Back to the initial state (before the next message). */
  reset(): void;
  /**
   * Subscribes to `events$` and feeds this store: events, then `stream-complete` or
   * `stream-error`; unsubscribing the returned Subscription (a stop button) marks the stream
   * `cancelled`, which an Observer alone cannot know.
   */
  connect(events$: Observable<RxllmEvent>): Subscription;
}

/**
 * Creates a {@link MessageStore}: the UI state of a streamed message, fed by `connect(events$)`
 * or `events$.subscribe(toStore(store))`, read by React, Svelte, Vue or plain code.
 *
 * Intuition: a tiny Redux store whose reducer is `messageReducer`, with the subscribe contract
 * that React and Svelte both accept.
 *
 * @example
 * ```tsx
 * import { createMessageStore, fromOpenAI } from 'rxllm';
 * const store = createMessageStore();
 * const subscription = store.connect(fromOpenAI(openai, params));
 * function Answer() {
 *   const message = useSyncExternalStore(store.subscribe, store.getSnapshot);
 *   const track = message.tracks.default;
 *   return <p aria-busy={message.status === 'streaming'}>{track?.text}</p>;
 * }
 * // Svelte: <p>{$store.tracks.default?.text}</p>
 * ```
 */
export function createMessageStore(config: CreateMessageStoreConfig = {}): MessageStore {
  const initial = config.initialState ?? messageReducer.initialState;
  if (typeof initial !== 'object' || initial === null || typeof initial.tracks !== 'object') {
    throw new TypeError(
      `rxllm: createMessageStore initialState must be a MessageState, got ${String(initial)}`,
    );
  }
  let state = initial;
  const listeners = new Set<(state: MessageState) => void>();

  const notify = () => {
    let failed = false;
    let failure: unknown;
    const current = state;
    for (const listener of listeners) {
      try {
        listener(current);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
  };

  const set = (next: MessageState) => {
    if (next === state) return;
    state = next;
    notify();
  };

  const getSnapshot = () => state;

  const dispatch = (action: MessageAction) => set(messageReducer(state, action));

  const store: MessageStore = {
    getSnapshot,
    getServerSnapshot: getSnapshot,
    subscribe(listener) {
      if (typeof listener !== 'function') {
        throw new TypeError(`rxllm: message store subscribe expects a function, got ${String(listener)}`);
      }
      // A wrapper per subscription, so that the same function subscribed twice is two subscriptions.
      const entry = (value: MessageState) => listener(value);
      listener(state);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    dispatch,
    reset: () => set(initial),
    connect(events$) {
      // toStore marks the stream cancelled when unsubscribed before it ended.
      return events$.subscribe(toStore(store));
    },
  };
  return store;
}
