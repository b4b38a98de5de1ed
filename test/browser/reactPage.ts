// The page test/browser/react.test.ts bundles (esbuild) and opens in Chromium: real React and
// react-dom, in development mode under StrictMode, reading a createMessageStore through
// useSyncExternalStore while an effect streams /chat into it with fromSSE (rxllm/core, as a
// browser app imports it). No JSX, so the repository's tsconfig type-checks it as is.
import { StrictMode, createElement as h, useEffect, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { createMessageStore, fromSSE } from '../../src/core';
import { openAIChatDialect } from '../../src/dialects/openai-chat';

const store = createMessageStore();

/** Every status the store passed through, in order, without repeats. */
const statuses: string[] = [];
/** Resolves when the message is done or failed (the store calls its listener at once, too). */
const finished = new Promise<string>((resolve) =>
  store.subscribe((state) => {
    if (statuses.at(-1) !== state.status) statuses.push(state.status);
    if (state.status === 'done' || state.status === 'error') resolve(state.status);
  }),
);

/** What the test reads back besides the DOM. */
const page = {
  /** How many times the effect connected the stream: 2 under StrictMode (mount, unmount, mount). */
  connections: 0,
  statuses,
  finished,
};
(window as unknown as { page: typeof page }).page = page;

function Answer({ id }: { id: string }) {
  const message = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
  return h('p', { id, 'data-status': message.status }, message.tracks.default?.text ?? '');
}

function Chat() {
  useEffect(() => {
    page.connections += 1;
    const subscription = store.connect(
      fromSSE((signal) => fetch('/chat', { signal }), { dialect: openAIChatDialect }),
    );
    return () => subscription.unsubscribe();
  }, []);
  return h('main', null, h(Answer, { id: 'first' }), h(Answer, { id: 'second' }));
}

createRoot(document.getElementById('root')!).render(h(StrictMode, null, h(Chat)));
