import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { messageReducer, type MessageAction, type MessageState } from './messageReducer';
import { toStore } from './toStore';

/** Options of {@link createMessageStore}. */
export interface CreateMessageStoreConfig {
  /** The state to start from (and to go back to on `reset()`). Default `messageReducer.initialState`. */
  initialState?: MessageState;
  /**
   * When listeners hear of changes. Every change is in `getSnapshot()` at once; listeners are
   * called once for all the changes of a moment, so that a render per token (which reads the whole
   * text: quadratic over an answer) becomes a render per network read or per frame:
   *
   * - `'frame'` (default where there is `requestAnimationFrame`: browsers): once per animation
   *   frame, so at most one render per frame whatever the token rate (where there is no
   *   `requestAnimationFrame`, a 16 ms timer). A hidden tab's frames pause, and its listeners
   *   with them: the snapshot stays current;
   * - `'tick'` (default elsewhere: Node, workers): once per microtask, after the events that one
   *   read of the input delivered (`queueMicrotask`);
   * - `'sync'`: after every change, before `dispatch` returns (tests, or code that needs each state);
   * - a `SchedulerLike`: your own pacing (a `TestScheduler` in marble tests).
   */
  notify?: 'tick' | 'frame' | 'sync' | SchedulerLike;
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
   * Calls `listener` now with the current state and then after changes (one call for the changes
   * of a moment, see `notify`); returns the function that stops it. A listener that throws does
   * not keep the others from being called; the first error is rethrown after all were called
   * (from `dispatch` with `notify: 'sync'`, else from the scheduled call, as an uncaught error).
   */
  subscribe(listener: (state: MessageState) => void): () => void;
  /**
   * Applies one event or stream action through `messageReducer`: `getSnapshot()` has it at once,
   * listeners hear of it as `notify` says, and of real changes only.
   */
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
  const schedule = schedulerOf(config.notify);
  let state = initial;
  /** The state listeners were last told of: a change undone within a moment is no change. */
  let told = initial;
  /** A notification is scheduled for the changes of this moment. */
  let pending = false;
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

  const flush = () => {
    pending = false;
    if (state === told) return;
    told = state;
    notify();
  };

  const set = (next: MessageState) => {
    if (next === state) return;
    state = next;
    if (schedule === undefined) flush();
    else if (!pending) {
      pending = true;
      schedule(flush);
    }
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

/** How a store schedules its notification; undefined for at once. */
function schedulerOf(notify: CreateMessageStoreConfig['notify']): ((run: () => void) => void) | undefined {
  if (notify === undefined) notify = typeof requestAnimationFrame === 'function' ? 'frame' : 'tick';
  if (notify === 'tick') return queueMicrotask;
  if (notify === 'sync') return undefined;
  if (notify === 'frame')
    return typeof requestAnimationFrame === 'function'
      ? (run) => requestAnimationFrame(() => run())
      : (run) => setTimeout(run, 16);
  if (typeof notify === 'object' && notify !== null && typeof notify.schedule === 'function')
    return (run) => notify.schedule(run);
  throw new TypeError(
    `rxllm: createMessageStore notify must be 'tick', 'frame', 'sync' or a scheduler, got ${String(notify)}`,
  );
}
