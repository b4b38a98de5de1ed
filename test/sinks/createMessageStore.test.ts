import { Subject, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { RxllmEvent } from '../../src/base/events';
import { fromSSE } from '../../src/sources/fromSSE';
import { createMessageStore } from '../../src/sinks/createMessageStore';
import { messageReducer, type MessageState } from '../../src/sinks/messageReducer';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { ev } from '../../src/testing/eventBuilders';

/** Svelte's `get(store)`: subscribe, take the value the contract delivers at once, unsubscribe. */
function svelteGet<T>(store: { subscribe(run: (value: T) => void): () => void }): T {
  let value: T | undefined;
  let delivered = false;
  const unsubscribe = store.subscribe((next) => {
    value = next;
    delivered = true;
  });
  unsubscribe();
  if (!delivered) throw new Error('the store did not call run synchronously on subscribe');
  return value as T;
}

/**
 * What React's useSyncExternalStore does with a store, reduced to its contract: subscribe with
 * a callback that ignores its arguments and re-renders only when getSnapshot() changed by Object.is.
 * The functions are taken off the store unbound, as React calls them.
 */
function renderWithExternalStore(
  subscribe: (onChange: () => void) => () => void,
  getSnapshot: () => MessageState,
) {
  const renders: MessageState[] = [getSnapshot()];
  const unsubscribe = subscribe(() => {
    const next = getSnapshot();
    if (!Object.is(next, renders.at(-1))) renders.push(next);
  });
  return { renders, unsubscribe };
}

describe('createMessageStore', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('starts from the initial state and folds dispatched events with messageReducer', () => {
    const store = createMessageStore();
    expect(store.getSnapshot()).toBe(messageReducer.initialState);
    store.dispatch(ev.text('Hel'));
    store.dispatch(ev.text('lo'));
    expect(store.getSnapshot().tracks.default!.text).toBe('Hello');
    expect(store.getSnapshot().status).toBe('streaming');
  });

  it('keeps the snapshot the same object until something changes', () => {
    const store = createMessageStore();
    store.dispatch(ev.text('a'));
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    store.dispatch({ type: 'reasoning', text: '', signature: 'sig' });
    expect(store.getSnapshot()).toBe(first);
    store.dispatch(ev.text('b'));
    expect(store.getSnapshot()).not.toBe(first);
    expect(first.tracks.default!.text).toBe('a');
  });

  it("serves React's useSyncExternalStore: unbound methods, one render per real change (notify: 'sync')", () => {
    const store = createMessageStore({ notify: 'sync' });
    const { subscribe, getSnapshot, getServerSnapshot } = store;
    const { renders, unsubscribe } = renderWithExternalStore(subscribe, getSnapshot);
    store.dispatch(ev.text('a'));
    store.dispatch({ type: 'reasoning', text: '', signature: 'sig' }); // no change, no render
    store.dispatch(ev.text('b'));
    unsubscribe();
    store.dispatch(ev.text('c'));
    expect(renders.map((state) => state.tracks.default?.text)).toEqual([undefined, 'a', 'ab']);
    expect(getServerSnapshot()).toBe(getSnapshot());
  });

  it("keeps the Svelte store contract: run is called at once with the value, then on every change (notify: 'sync')", () => {
    const store = createMessageStore({ notify: 'sync' });
    const seen: Array<string | undefined> = [];
    const unsubscribe = store.subscribe((state) => seen.push(state.tracks.default?.text));
    expect(seen).toEqual([undefined]);
    store.dispatch(ev.text('x'));
    store.dispatch(ev.text('y'));
    unsubscribe();
    store.dispatch(ev.text('z'));
    expect(seen).toEqual([undefined, 'x', 'xy']);
    expect(svelteGet(store).tracks.default!.text).toBe('xyz');
  });

  it('treats the same function subscribed twice as two subscriptions', () => {
    const store = createMessageStore({ notify: 'sync' });
    let calls = 0;
    const listener = () => (calls += 1);
    const first = store.subscribe(listener);
    store.subscribe(listener);
    first();
    calls = 0;
    store.dispatch(ev.text('a'));
    expect(calls).toBe(1);
  });

  it("calls every listener even when one throws, then rethrows the first error from dispatch (notify: 'sync')", () => {
    const store = createMessageStore({ notify: 'sync' });
    const seen: string[] = [];
    let armed = false;
    store.subscribe(() => {
      if (armed) throw new Error('listener broke');
    });
    store.subscribe((state) => seen.push(state.tracks.default?.text ?? ''));
    armed = true;
    expect(() => store.dispatch(ev.text('a'))).toThrow('listener broke');
    expect(seen).toEqual(['', 'a']);
    expect(store.getSnapshot().tracks.default!.text).toBe('a');
  });

  it('goes back to the initial state on reset() and tells its listeners', () => {
    const store = createMessageStore({ notify: 'sync' });
    store.dispatch(ev.text('a'));
    const seen: MessageState[] = [];
    store.subscribe((state) => seen.push(state));
    store.reset();
    expect(store.getSnapshot()).toBe(messageReducer.initialState);
    expect(seen).toHaveLength(2);
    store.reset();
    expect(seen).toHaveLength(2);
  });

  it('starts from and resets to a given initial state', () => {
    const initial = messageReducer(undefined, ev.text('restored'));
    const store = createMessageStore({ initialState: initial });
    store.dispatch(ev.text(' more'));
    store.reset();
    expect(store.getSnapshot()).toBe(initial);
    expect(() => createMessageStore({ initialState: 'x' as never })).toThrow(
      'rxllm: createMessageStore initialState must be a MessageState, got x',
    );
  });

  it('connect() feeds the store and marks the end of the stream', () => {
    const store = createMessageStore();
    store.connect(of(ev.text('Hi'), ev.finish('stop')));
    expect(store.getSnapshot()).toMatchObject({
      status: 'done',
      tracks: { default: { text: 'Hi', status: 'done' } },
    });
  });

  it('connect() marks the message cancelled when its subscription is unsubscribed mid-stream', () => {
    const store = createMessageStore();
    const events = new Subject<RxllmEvent>();
    const subscription = store.connect(events);
    events.next(ev.text('partial'));
    subscription.unsubscribe();
    expect(events.observed).toBe(false);
    expect(store.getSnapshot()).toMatchObject({
      status: 'cancelled',
      tracks: { default: { text: 'partial', status: 'cancelled' } },
    });
  });

  it('connect() leaves a finished message as it is when unsubscribed afterwards', () => {
    const store = createMessageStore();
    const subscription = store.connect(of(ev.text('done')));
    const finished = store.getSnapshot();
    subscription.unsubscribe();
    expect(store.getSnapshot()).toBe(finished);
    expect(finished.status).toBe('done');
  });

  it('shows a real streamed answer, and the error with the partial text when the connection is cut', async () => {
    const transcript =
      'event: start\ndata: {"type":"start","id":"r1","model":"m"}\n\n' +
      'event: text\ndata: {"type":"text","text":"Hello"}\n\n' +
      'event: text\ndata: {"type":"text","text":" world"}\n\n' +
      'event: usage\ndata: {"type":"usage","inputTokens":7,"outputTokens":2,"totalTokens":9}\n\n' +
      'event: finish\ndata: {"type":"finish","reason":"stop"}\n\n' +
      'event: done\ndata: [DONE]\n\n';
    server = await createReplayServer({
      routes: {
        '/ok': { transcript },
        // Cut right after the first text frame (the start frame is 59 bytes, the text frame 50).
        '/cut': { transcript, fault: { kind: 'cut', afterBytes: 109 } },
      },
    });
    const url = server.url;

    const store = createMessageStore();
    const statuses: string[] = [];
    store.subscribe((state) => statuses.push(state.status));
    await new Promise<void>((resolve) =>
      store
        .connect(fromSSE((signal) => fetch(`${url}/ok`, { signal }), { dialect: 'rxllm' }))
        .add(() => resolve()),
    );
    expect(store.getSnapshot().tracks.default).toMatchObject({
      status: 'done',
      id: 'r1',
      model: 'm',
      text: 'Hello world',
      usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 },
      finishReason: 'stop',
    });
    expect(statuses[0]).toBe('idle');
    expect(statuses.at(-1)).toBe('done');

    store.reset();
    await new Promise<void>((resolve) =>
      store
        .connect(fromSSE((signal) => fetch(`${url}/cut`, { signal }), { dialect: 'rxllm' }))
        .add(() => resolve()),
    );
    const failed = store.getSnapshot();
    expect(failed.status).toBe('error');
    expect(failed.error!.code).toBe('network');
    expect(failed.tracks.default).toMatchObject({ status: 'error', text: 'Hello' });
  });

  describe('coalesces notifications', () => {
    const texts = { a: ev.text('a'), b: ev.text('b'), c: ev.text('c'), d: ev.text('d'), e: ev.text('e') };

    it('notifies once per scheduler tick, with every change of that tick, in virtual time', () => {
      const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      const heard: Array<[number, string, string]> = [];
      scheduler.run(({ cold }) => {
        const store = createMessageStore({ notify: scheduler });
        store.subscribe((state) =>
          heard.push([scheduler.now(), state.status, state.tracks.default?.text ?? '-']),
        );
        // Three events in frame 0, one in frame 6, two in frame 8, then the end in frame 12.
        store.connect(cold('(abc)-d-(de)|', texts));
      });
      expect(heard).toEqual([
        [0, 'idle', '-'], // subscribe: the state at once
        [0, 'streaming', 'abc'],
        [6, 'streaming', 'abcd'],
        [8, 'streaming', 'abcdde'],
        [12, 'done', 'abcdde'],
      ]);
    });

    it('tells nothing of changes undone within a tick, and nothing after unsubscribe', () => {
      const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      const heard: Array<[number, string]> = [];
      scheduler.run(({ cold }) => {
        const store = createMessageStore({ notify: scheduler });
        const stop = store.subscribe((state) =>
          heard.push([scheduler.now(), state.tracks.default?.text ?? '-']),
        );
        store.connect(cold('a-b--c', texts));
        // Frame 1: the store goes back to its initial state and forward again before the tick ends.
        scheduler.schedule(() => {
          const before = store.getSnapshot();
          store.reset();
          store.dispatch(ev.text('x'));
          store.reset();
          store.dispatch(ev.text('a'));
          expect(store.getSnapshot()).not.toBe(before);
        }, 1);
        scheduler.schedule(() => stop(), 3);
      });
      // Frame 1's state is a new object with the same text: one notification. 'c' in frame 5
      // comes after the listener stopped in frame 3.
      expect(heard).toEqual([
        [0, '-'],
        [0, 'a'],
        [1, 'a'],
        [2, 'ab'],
      ]);
    });

    it('sends no notification when the state listeners know comes back within a tick', async () => {
      const store = createMessageStore();
      const calls: number[] = [];
      store.subscribe(() => calls.push(calls.length));
      store.dispatch(ev.text('x'));
      store.reset();
      await Promise.resolve();
      expect(calls).toEqual([0]);
    });

    it("defaults, without requestAnimationFrame, to one notification per microtask ('tick')", async () => {
      const store = createMessageStore();
      const seen: string[] = [];
      store.subscribe((state) => seen.push(state.tracks.default?.text ?? '-'));
      store.dispatch(ev.text('a'));
      store.dispatch(ev.text('b'));
      store.dispatch(ev.text('c'));
      expect(store.getSnapshot().tracks.default!.text).toBe('abc'); // the snapshot is current at once
      expect(seen).toEqual(['-']);
      await Promise.resolve();
      expect(seen).toEqual(['-', 'abc']);
      store.dispatch(ev.text('d'));
      await Promise.resolve();
      expect(seen).toEqual(['-', 'abc', 'abcd']);
    });

    it("notifies once per animation frame with 'frame' (a 16 ms timer where there is none)", () => {
      jest.useFakeTimers();
      try {
        const store = createMessageStore({ notify: 'frame' });
        const seen: string[] = [];
        store.subscribe((state) => seen.push(state.tracks.default?.text ?? '-'));
        store.dispatch(ev.text('a'));
        jest.advanceTimersByTime(10);
        store.dispatch(ev.text('b'));
        expect(seen).toEqual(['-']);
        jest.advanceTimersByTime(6);
        expect(seen).toEqual(['-', 'ab']);
        jest.advanceTimersByTime(100);
        expect(seen).toEqual(['-', 'ab']);
      } finally {
        jest.useRealTimers();
      }
    });

    it('renders a streamed answer a handful of times, not once per token', async () => {
      server = await createReplayServer({
        routes: {
          '/long': {
            // Written in one piece: it arrives in as many reads as TCP and undici make of 16 KB.
            timing: { sliceBytes: 1 << 20 },
            transcript:
              Array.from({ length: 400 }, (_, i) => `data: {"type":"text","text":"t${i} "}\n\n`).join('') +
              'data: {"type":"finish","reason":"stop"}\n\n',
          },
        },
      });
      const url = server.url;
      const store = createMessageStore();
      const { subscribe, getSnapshot } = store;
      const { renders, unsubscribe } = renderWithExternalStore(subscribe, getSnapshot);
      await new Promise<void>((resolve) =>
        store
          .connect(fromSSE((signal) => fetch(`${url}/long`, { signal }), { dialect: 'rxllm' }))
          .add(() => resolve()),
      );
      await Promise.resolve();
      unsubscribe();
      expect(renders.at(-1)!.tracks.default!.text).toBe(
        Array.from({ length: 400 }, (_, i) => `t${i} `).join(''),
      );
      // One render per read of the socket, not one per token: a handful of reads of 16 KB.
      expect(renders.length).toBeLessThan(20);
    });

    it('rejects a notify it does not know', () => {
      expect(() => createMessageStore({ notify: 'often' as never })).toThrow(
        "rxllm: createMessageStore notify must be 'tick', 'frame', 'sync' or a scheduler, got often",
      );
    });
  });
});
