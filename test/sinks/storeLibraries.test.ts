import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configureStore, createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { buildSync } from 'esbuild';
import type { Observer } from 'rxjs';
import { createStore } from 'zustand/vanilla';
import {
  createMessageStore,
  fromSSE,
  messageReducer,
  toStore,
  type MessageAction,
  type MessageState,
  type RxllmEvent,
} from '../../src/index';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';

/**
 * rxllm's store sinks against the real state libraries (Node; React runs in Chromium, in
 * test/browser/react.test.ts): Svelte's store contract, Zustand and Redux Toolkit, each fed by a
 * recorded stream replayed over local HTTP through `fromSSE`.
 */

const root = resolve(__dirname, '../..');
const transcript = readFileSync(join(root, 'test/fixtures/openai-chat/text-include-usage.sse'), 'utf8');

/** The answer as the recording spells it, read from its frames (not through rxllm). */
const recordedText = transcript
  .split('\n')
  .filter((line) => line.startsWith('data: {'))
  .map((line) => JSON.parse(line.slice(5)) as { choices: Array<{ delta?: { content?: string } }> })
  .map((frame) => frame.choices[0]?.delta?.content ?? '')
  .join('');

let server: ReplayServer;
/** Each read of the stream is a new HTTP request to the replay server, slice by slice. */
const events$ = () =>
  fromSSE((signal) => fetch(`${server.url}/chat`, { signal }), { dialect: 'openai-chat' });

/** Streams the recording into `observer` (a store sink) and resolves once it has completed. */
function feed(observer: Observer<RxllmEvent>): Promise<void> {
  return new Promise((resolve, reject) =>
    events$().subscribe({
      next: (event) => observer.next(event),
      error: (error) => (observer.error(error), reject(error)),
      complete: () => (observer.complete(), resolve()),
    }),
  );
}

beforeAll(async () => {
  server = await createReplayServer({ routes: { '/chat': { transcript, timing: { sliceBytes: 97 } } } });
});
afterAll(() => server.close());

it('the recording has an answer to compare with', () => {
  expect(recordedText.length).toBeGreaterThan(50);
});

describe('Svelte stores (svelte/store)', () => {
  // Svelte 5 ships ES modules only and jest here runs CommonJS: esbuild (tsup's) bundles the real
  // svelte/store into one CommonJS file for this test, unchanged.
  let svelte: typeof import('svelte/store');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxllm-svelte-'));
    const outfile = join(dir, 'svelteStore.cjs');
    buildSync({
      stdin: { contents: "export * from 'svelte/store';", resolveDir: root },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      outfile,
      logLevel: 'silent',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle made just above
    svelte = require(outfile);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('get(store) reads the state, and a derived store follows the text to the end', async () => {
    const store = createMessageStore();
    expect(svelte.get(store).status).toBe('idle');

    const text = svelte.derived(store, (state) => state.tracks.default?.text ?? '');
    const seen: string[] = [];
    const stop = text.subscribe((value) => seen.push(value));
    // Svelte's contract: the subscriber hears the current value at once.
    expect(seen).toEqual(['']);

    await feed(toStore(store));

    expect(svelte.get(store).status).toBe('done');
    expect(svelte.get(text)).toBe(recordedText);
    expect(seen.at(-1)).toBe(recordedText);
    // Streamed in pieces, each value a prefix of the next, none repeated (derived dedupes equal strings).
    expect(seen.length).toBeGreaterThan(3);
    seen.slice(1).forEach((value, i) => expect(value.startsWith(seen[i]!) && value !== seen[i]).toBe(true));

    // Unsubscribing from the derived store unsubscribes it from ours: no more calls.
    stop();
    const calls = seen.length;
    store.reset();
    expect(seen.length).toBe(calls);
    expect(svelte.get(text)).toBe('');
  });
});

describe('Zustand (zustand/vanilla)', () => {
  it("streams into the store through toStore(setState, adapt), the README's form", async () => {
    const useChat = createStore<{ message: MessageState }>(() => ({ message: messageReducer.initialState }));
    const statuses = new Set<string>();
    useChat.subscribe((state) => statuses.add(state.message.status));

    await feed(
      toStore(useChat.setState, (action: MessageAction) => (state: { message: MessageState }) => ({
        message: messageReducer(state.message, action),
      })),
    );

    const { message } = useChat.getState();
    expect(message.status).toBe('done');
    expect(message.tracks.default?.text).toBe(recordedText);
    expect(message.tracks.default?.finishReason).toBe('stop');
    expect([...statuses]).toEqual(['streaming', 'done']);
  });
});

describe('Redux Toolkit (configureStore)', () => {
  it('streams into a slice that reduces the payload with messageReducer', async () => {
    const chat = createSlice({
      name: 'chat',
      initialState: messageReducer.initialState,
      reducers: {
        stream: (state, action: PayloadAction<MessageAction>) =>
          messageReducer(state as MessageState, action.payload),
      },
    });
    const reduxStore = configureStore({ reducer: { chat: chat.reducer } });
    const texts: string[] = [];
    reduxStore.subscribe(() => texts.push(reduxStore.getState().chat.tracks.default?.text ?? ''));

    await feed(toStore(reduxStore.dispatch, (action) => chat.actions.stream(action)));

    const { chat: message } = reduxStore.getState();
    expect(message.status).toBe('done');
    expect(message.tracks.default?.text).toBe(recordedText);
    expect(texts.at(-1)).toBe(recordedText);
    expect(texts.length).toBeGreaterThan(3);
  });
});
