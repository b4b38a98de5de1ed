import { concat, config, of, Subject, throwError } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { messageReducer, type MessageAction, type MessageState } from '../../src/sinks/messageReducer';
import { toStore } from '../../src/sinks/toStore';
import { ev } from '../../src/testing/eventBuilders';

/**
 * Zustand's vanilla store, reduced to its documented contract (zustand is not a dependency):
 * `setState(partial | (state) => partial)` merges shallowly, listeners get (state, previous).
 */
function createZustandLike<S extends object>(initial: S) {
  let state = initial;
  const listeners = new Set<(state: S, previous: S) => void>();
  return {
    getState: () => state,
    setState: (partial: Partial<S> | ((state: S) => Partial<S>)) => {
      const next = typeof partial === 'function' ? partial(state) : partial;
      if (Object.is(next, state)) return;
      const previous = state;
      state = { ...state, ...next };
      for (const listener of listeners) listener(state, previous);
    },
    subscribe: (listener: (state: S, previous: S) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Redux's `createStore`, reduced to its contract: `dispatch(action)` runs the root reducer. */
function createReduxLike<S, A extends { type: string }>(reducer: (state: S | undefined, action: A) => S) {
  let state = reducer(undefined, { type: '@@init' } as A);
  return {
    getState: () => state,
    dispatch: (action: A) => {
      state = reducer(state, action);
      return action;
    },
  };
}

describe('toStore', () => {
  const stream = () =>
    of(ev.start({ model: 'm' }), ev.text('Hel'), ev.text('lo'), ev.usage(3, 2), ev.finish());

  it('feeds a store from createMessageStore: events, then the completion', () => {
    const store = createMessageStore();
    stream().subscribe(toStore(store));
    expect(store.getSnapshot()).toMatchObject({
      status: 'done',
      tracks: {
        default: {
          status: 'done',
          model: 'm',
          text: 'Hello',
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
          finishReason: 'stop',
        },
      },
    });
  });

  it('turns the stream error into the store error, keeping the text so far', () => {
    const store = createMessageStore();
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    concat(
      of(ev.text('part')),
      throwError(() => failure),
    ).subscribe(toStore(store));
    expect(store.getSnapshot()).toMatchObject({
      status: 'error',
      tracks: { default: { text: 'part', status: 'error' } },
    });
    expect(store.getSnapshot().error).toBe(failure);
  });

  it('hands a plain setter every action, the end of the stream included', () => {
    const actions: MessageAction[] = [];
    of(ev.text('a'), ev.finish()).subscribe(toStore((action: MessageAction) => actions.push(action)));
    expect(actions).toEqual([
      { type: 'text', text: 'a' },
      { type: 'finish', reason: 'stop' },
      { type: 'stream-complete' },
    ]);
  });

  it('marks the message cancelled when `subscribe(toStore(store))` is unsubscribed mid-stream', () => {
    const store = createMessageStore();
    const events$ = new Subject<RxllmEvent>();
    const subscription = events$.subscribe(toStore(store));
    events$.next(ev.text('Hel'));
    expect(store.getSnapshot().status).toBe('streaming');
    subscription.unsubscribe();
    expect(store.getSnapshot()).toMatchObject({
      status: 'cancelled',
      tracks: { default: { text: 'Hel', status: 'cancelled' } },
    });
    expect(events$.observed).toBe(false);
  });

  it('tells a setter of the cancel once, and nothing after a completed stream is unsubscribed', () => {
    const actions: MessageAction[] = [];
    const events$ = new Subject<RxllmEvent>();
    const subscription = events$.subscribe(toStore((action: MessageAction) => actions.push(action)));
    events$.next(ev.text('a'));
    subscription.unsubscribe();
    subscription.unsubscribe();
    expect(actions).toEqual([{ type: 'text', text: 'a' }, { type: 'stream-cancel' }]);

    const done: MessageAction[] = [];
    of(ev.text('a'))
      .subscribe(toStore((action: MessageAction) => done.push(action)))
      .unsubscribe();
    expect(done).toEqual([{ type: 'text', text: 'a' }, { type: 'stream-complete' }]);
  });

  it("keeps feeding the store when a listener throws, reporting the error as RxJS does (notify: 'sync')", async () => {
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      const store = createMessageStore({ notify: 'sync' });
      let calls = 0;
      store.subscribe(() => {
        calls += 1;
        if (calls === 2) throw new Error('listener broke');
      });
      stream().subscribe(toStore(store));
      expect(store.getSnapshot()).toMatchObject({ status: 'done', tracks: { default: { text: 'Hello' } } });
      await new Promise((turn) => setTimeout(turn, 0));
      expect(reported).toEqual([new Error('listener broke')]);
    } finally {
      config.onUnhandledError = previous;
    }
  });

  it("feeds a Zustand store through setState and an adapter, leaving the store's other fields alone", () => {
    const chat = createZustandLike({ message: messageReducer.initialState, draft: 'next question' });
    const changes: number[] = [];
    chat.subscribe(() => changes.push(changes.length));
    stream().subscribe(
      toStore(chat.setState, (action) => (state: { message: MessageState }) => ({
        message: messageReducer(state.message, action),
      })),
    );
    expect(chat.getState().draft).toBe('next question');
    expect(chat.getState().message).toMatchObject({ status: 'done', tracks: { default: { text: 'Hello' } } });
    expect(changes).toHaveLength(6); // five events and the completion
  });

  it('feeds a Redux store through dispatch and an adapter to an action', () => {
    type ChatAction = { type: '@@init' } | { type: 'chat/stream'; payload: MessageAction };
    const redux = createReduxLike((state: { message: MessageState } | undefined, action: ChatAction) => {
      const current = state ?? { message: messageReducer.initialState };
      return action.type === 'chat/stream'
        ? { message: messageReducer(current.message, action.payload) }
        : current;
    });
    stream().subscribe(
      toStore(redux.dispatch, (action): ChatAction => ({ type: 'chat/stream', payload: action })),
    );
    expect(redux.getState().message).toMatchObject({
      status: 'done',
      tracks: { default: { text: 'Hello' } },
    });
  });

  it('throws at once for a target that is neither a store nor a setter, or an adapter given with a store', () => {
    expect(() => toStore({} as never)).toThrow(
      'rxllm: toStore expects a message store or a setter function, got [object Object]',
    );
    expect(() => toStore(() => undefined, 'x' as never)).toThrow(
      'rxllm: toStore adapter must be a function, got x',
    );
    expect(() => (toStore as (...args: unknown[]) => unknown)(createMessageStore(), () => 1)).toThrow(
      /^rxllm: toStore takes an adapter only with a setter function$/,
    );
  });
});
