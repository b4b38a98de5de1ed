import { mkdtempSync, readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { configureStore } from '@reduxjs/toolkit';
import OpenAI from 'openai';
import {
  animationFrameScheduler,
  BehaviorSubject,
  firstValueFrom,
  from,
  lastValueFrom,
  Observable,
  type OperatorFunction,
} from 'rxjs';
import { filter, toArray } from 'rxjs/operators';
import { calcPrice } from '@pydantic/genai-prices';
import { createStore } from 'zustand/vanilla';
import { z } from 'zod';
import * as rxllm from '../../src/index';
import type { RxllmEvent } from '../../src/base/events';
import type { Message } from '../../src/base/message';
import { findClosedGate } from '../../src/flow/flow';
import type { MessageState } from '../../src/sinks/messageReducer';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { decodeChunks, fixtureBytes } from '../support/decodeFixture';
import { readmeExamples, runReadmeExample, type ReadmeExample } from './readmeExamples';

/**
 * Every TypeScript example of the README runs here as a reader would paste it: its imports are
 * real, the names it leaves to the reader (`messages`, `openai`, `render`, ...) are real objects
 * (SDK clients, stores, HTTP servers on 127.0.0.1 replaying recorded transcripts), and what it
 * did is checked. A README block without an `<!-- example: name -->` line, or with a name this
 * file does not know, fails, so no example goes untested.
 */

const { collect, createMessageStore, fromSSE, messageReducer, toSSE } = rxllm;
const examples = readmeExamples();
const openaiTranscript = fixtureBytes('openai-chat/text-include-usage.sse');
const openaiText = decodeChunks('openai-chat', [openaiTranscript]).message.text;
const anthropicTranscript = fixtureBytes('anthropic/text-basic-no-trailing-newline.sse');
const anthropicText = decodeChunks('anthropic', [anthropicTranscript]).message.text;
const ollamaTranscript = fixtureBytes('ollama/chat-text-docs.ndjson');
const ollamaText = decodeChunks('ollama', [ollamaTranscript]).message.text;
const messages = [{ role: 'user' as const, content: 'Weather in SF?' }];
const params = { model: 'gpt-4o-2024-08-06', messages };

let servers: ReplayServer[] = [];
const restore: Array<() => void> = [];
afterEach(async () => {
  for (const undo of restore.splice(0).reverse()) undo();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function replay(config: Parameters<typeof createReplayServer>[0]): Promise<ReplayServer> {
  const server = await createReplayServer(config);
  servers.push(server);
  return server;
}

interface WatchedFetch {
  /** Every URL requested, as the example meant it. */
  meantFor: string[];
  /** Resolves once `count` response bodies are done with: read to their end, or cancelled. */
  bodiesDone(count: number): Promise<void>;
}

/**
 * Replaces the global `fetch` (SDK clients created afterwards use it) with one that watches what
 * the example does: it records every URL, sends requests for a `127.0.0.1` port that no replay
 * server of this test listens on (Ollama's default 11434, a llama.cpp on 8080, ...) or for a
 * relative URL (`/api/chat` in a browser) to `server`, since the examples name those addresses
 * and nothing listens there, and tells when bodies are done with, so that a test
 * whose example keeps its subscriptions to itself knows when they are over. With `order`, a
 * request to `order.then` is sent only once a body from `order.first` delivered its first bytes:
 * an example whose outcome depends on which track shows text first gets that order from an event,
 * not from a head start on a clock that a loaded machine can eat.
 */
function watchFetch(
  server?: ReplayServer,
  order?: { first: ReplayServer; then: ReplayServer },
): WatchedFetch {
  const meantFor: string[] = [];
  let firstBytes!: () => void;
  const firstBytesArrived = new Promise<void>((resolve) => (firstBytes = resolve));
  let done = 0;
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const bodyDone = () => {
    done++;
    for (const waiter of waiting.filter((candidate) => candidate.count <= done)) waiter.resolve();
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const href = input instanceof Request ? input.url : String(input);
    const url = server ? new URL(href, server.url) : new URL(href);
    meantFor.push(url.href);
    const elsewhere = !servers.some((known) => known.url === url.origin);
    if (server && url.hostname === '127.0.0.1' && elsewhere) url.host = new URL(server.url).host;
    if (order && url.origin === order.then.url) await firstBytesArrived;
    const response = await realFetch(input instanceof Request ? new Request(url, input) : url, init);
    if (!response.body) return response;
    const fromFirst = order !== undefined && url.origin === order.first.url;
    // A source reads to the end, or cancels at its dialect's terminal message: both are done.
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (fromFirst) firstBytes();
        if (!done) return controller.enqueue(value);
        controller.close();
        bodyDone();
      },
      cancel(reason) {
        bodyDone();
        return reader.cancel(reason);
      },
    });
    return new Response(body, response);
  }) as typeof fetch;
  restore.push(() => (globalThis.fetch = realFetch));
  return {
    meantFor,
    bodiesDone: (count) =>
      done >= count ? Promise.resolve() : new Promise((resolve) => waiting.push({ count, resolve })),
  };
}

/** `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`, as a reader's environment would set them. */
function environment(variables: Record<string, string>): void {
  for (const [name, value] of Object.entries(variables)) {
    const before = process.env[name];
    process.env[name] = value;
    restore.push(() => (before === undefined ? delete process.env[name] : (process.env[name] = before)));
  }
}

/** Node has no animation frames; a browser's would come every 16 ms. */
function animationFrames(): void {
  const global = globalThis as { requestAnimationFrame?: unknown; cancelAnimationFrame?: unknown };
  global.requestAnimationFrame = (callback: (time: number) => void) =>
    setTimeout(() => callback(performance.now()), 16);
  global.cancelAnimationFrame = (handle: ReturnType<typeof setTimeout>) => clearTimeout(handle);
  restore.push(() => {
    delete global.requestAnimationFrame;
    delete global.cancelAnimationFrame;
  });
}

function run(name: string, context: Record<string, unknown>): Promise<Record<string, unknown>> {
  const example = examples.find((candidate) => candidate.name === name);
  if (!example) throw new Error(`README has no example named ${name}`);
  return runReadmeExample(example, context, require);
}

/** Resolves once `store`'s state satisfies `done`. */
function storeSettles(store: { subscribe(listener: () => void): () => void; getSnapshot(): MessageState }) {
  return new Promise<MessageState>((resolve) => {
    const check = () => {
      const state = store.getSnapshot();
      if (state.status !== 'idle' && state.status !== 'streaming') resolve(state);
    };
    store.subscribe(check);
    check();
  });
}

/** A promise and the function that settles it, for callbacks the examples call. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

const tested = new Set<string>();
/** Examples that need more than this file runs (a redis-server), and the test that runs each. */
const testedElsewhere: Record<string, string> = {
  resumable: 'test/redis/readmeExample.test.ts',
  'durable-streams-server': 'test/redis/durableStreams.test.ts',
  'durable-streams-client': 'test/redis/durableStreams.test.ts',
  'durable-streams-store': 'test/log/durableStreamLog.test.ts',
};
for (const [name, file] of Object.entries(testedElsewhere))
  if (readFileSync(resolve(__dirname, '../..', file), 'utf8').includes(`runReadmeExample`)) tested.add(name);
function example(name: string, title: string, body: () => Promise<void>): void {
  tested.add(name);
  it(`${name}: ${title}`, body);
}

describe('README examples', () => {
  it('names every TypeScript block, and every name has a test here', () => {
    const unnamed = examples.filter((candidate) => candidate.name === undefined);
    expect(unnamed.map((candidate: ReadmeExample) => `README.md:${candidate.line}`)).toEqual([]);
    const names = examples.map((candidate) => candidate.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => !tested.has(name!))).toEqual([]);
  });

  example('headline', 'hands a local Ollama draft off to the cloud answer, into a store', async () => {
    const local = await replay({ transcript: ollamaTranscript, timing: { tokensPerSecond: 10 } });
    const cloud = await replay({
      transcript: openaiTranscript,
      timing: { timeToFirstByteMs: 150, tokensPerSecond: 200 },
    });
    const { meantFor } = watchFetch(local);
    animationFrames();
    const chatStore = createMessageStore();
    await run('headline', {
      ...rxllm,
      animationFrameScheduler,
      messages,
      openai: new OpenAI({ apiKey: 'test', baseURL: cloud.openaiBaseURL, maxRetries: 0 }),
      params,
      pricing: { 'gpt-4o': { input: 2.5, output: 10 } },
      chatStore,
    });
    const state = await storeSettles(chatStore);
    expect(meantFor[0]).toBe('http://127.0.0.1:11434/api/chat');
    expect(state.status).toBe('done');
    expect(state.tracks.cloud?.text).toBe(openaiText);
    expect(state.tracks.cloud?.usage?.cost).toBeCloseTo((14 * 2.5 + 30 * 10) / 1e6, 12);
    expect(state.tracks.primary?.text ?? '').toBe('');
  });

  example('request-function', 'posts the messages and reads the rxllm dialect back', async () => {
    const rxllmBytes = await lastValueFrom(
      from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
        toSSE({ dialect: 'rxllm' }),
        toArray(),
      ),
    );
    const server = await replay({ transcript: rxllmBytes.join('') });
    const { meantFor } = watchFetch(server);
    const { events$ } = await run('request-function', { messages });
    const message = await collect(events$ as Observable<RxllmEvent>);
    expect(message.text).toBe(openaiText);
    expect(meantFor).toEqual([`${server.url}/api/chat`]);
    expect(server.requests[0]!.json).toEqual({ messages });
  });

  example(
    'openai-compatible-servers',
    'reads llama.cpp, vLLM and LM Studio through the openai client',
    async () => {
      const server = await replay({ transcript: openaiTranscript });
      const { meantFor } = watchFetch(server);
      const sources = await run('openai-compatible-servers', { messages });
      const starts = await Promise.all(
        ['fromLlamaCpp$', 'fromVllm$', 'fromLmStudio$'].map(async (name) => {
          const events = await lastValueFrom((sources[name] as Observable<RxllmEvent>).pipe(toArray()));
          expect(
            events
              .filter((event) => event.type === 'text')
              .map((event) => event.text)
              .join(''),
          ).toBe(openaiText);
          return events.find((event) => event.type === 'start');
        }),
      );
      expect(starts.map((start) => start?.provider)).toEqual(['llama.cpp', 'vllm', 'lm-studio']);
      expect(meantFor.map((url) => new URL(url).port)).toEqual(['8080', '8000', '1234']);
      expect(server.requests.map((request) => (request.json as { model: string }).model)).toEqual([
        'local',
        'meta-llama/Llama-3.3-70B-Instruct',
        'qwen2.5-7b-instruct',
      ]);
    },
  );

  example('replay-server', 'replays a recorded transcript to the openai client', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rxllm-readme-'));
    mkdirSync(join(folder, 'fixtures'));
    writeFileSync(join(folder, 'fixtures/chat.sse'), openaiTranscript);
    const cwd = process.cwd();
    process.chdir(folder);
    restore.push(() => {
      process.chdir(cwd);
      rmSync(folder, { recursive: true, force: true });
    });
    const { message, server } = await run('replay-server', { messages });
    expect((message as Message).text).toBe(openaiText);
    expect((server as ReplayServer).requests[0]!.completed).toBe(true);
  });

  example('pacing', 'renders the paced stream and speaks it sentence by sentence', async () => {
    const server = await replay({ transcript: openaiTranscript });
    const watched = watchFetch();
    animationFrames();
    const rendered: RxllmEvent[] = [];
    const finished = signal();
    const spoken: string[] = [];
    const allSpoken = signal();
    await run('pacing', {
      openai: new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }),
      params,
      render: (event: RxllmEvent) => {
        rendered.push(event);
        if (event.type === 'finish') finished.resolve();
      },
      speak: (sentence: string) => {
        spoken.push(sentence);
        if (spoken.join('') === openaiText) allSpoken.resolve();
      },
    });
    await Promise.all([finished.promise, allSpoken.promise, watched.bodiesDone(2)]);
    expect(
      rendered
        .filter((event) => event.type === 'text')
        .map((event) => event.text)
        .join(''),
    ).toBe(openaiText);
    // Spoken a sentence at a time: the recorded answer has two.
    expect(spoken).toEqual([
      "I'm unable to provide real-time weather updates. ",
      'To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.',
    ]);
  });

  example('deadline-retry', 'retries an overloaded Anthropic stream and logs the retry', async () => {
    const server = await replay({
      routes: {
        '/v1/messages': [
          {
            fault: {
              kind: 'http-error',
              status: 529,
              body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
            },
          },
          { transcript: anthropicTranscript },
        ],
      },
    });
    const logged: unknown[][] = [];
    const { answer$ } = await run('deadline-retry', {
      anthropic: new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 }),
      params: { model: 'claude-sonnet-4-5', max_tokens: 256, messages },
      log: (...args: unknown[]) => logged.push(args),
    });
    const message = await collect(answer$ as Observable<RxllmEvent>);
    expect(message.text).toBe(anthropicText);
    expect(server.requests).toHaveLength(2);
    expect(logged).toHaveLength(1);
    expect(logged[0]![0]).toBe(1);
    expect((logged[0]![2] as rxllm.RxllmError).code).toBe('overloaded');
  });

  example('pricing', 'prices a stream with the rates given, and with a whole table', async () => {
    const usage$ = (operator: unknown) =>
      from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
        operator as OperatorFunction<RxllmEvent, RxllmEvent>,
        filter((event): event is rxllm.UsageEvent => event.type === 'usage'),
      );
    const myTable = { freeProviders: [], models: { 'gpt-4o': { input: 1, output: 1 } } };
    const { withOurRates, withOurTable } = await run('pricing', { myTable });
    // The recorded stream: gpt-4o-2024-08-06, 14 input and 30 output tokens.
    expect((await firstValueFrom(usage$(withOurRates))).cost).toBeCloseTo((14 * 2 + 30 * 8) / 1e6, 12);
    expect((await firstValueFrom(usage$(withOurTable))).cost).toBeCloseTo((14 + 30) / 1e6, 12);
  });

  example('handoff', 'shows the local draft, then the cloud answer, with usage', async () => {
    const local = await replay({ transcript: ollamaTranscript, timing: { tokensPerSecond: 10 } });
    const cloud = await replay({ transcript: openaiTranscript, timing: { tokensPerSecond: 200 } });
    // The cloud's request leaves once the draft's first bytes arrived, so the draft shows text
    // before the cloud takes over (an event, not the cloud's 150 ms head start it had).
    const watched = watchFetch(local, { first: local, then: cloud });
    environment({ OPENAI_BASE_URL: cloud.openaiBaseURL, OPENAI_API_KEY: 'test' });
    const seen: Array<[string | undefined, RxllmEvent]> = [];
    const done = signal();
    await run('handoff', {
      messages,
      render: (track: string | undefined, event: RxllmEvent) => {
        seen.push([track, event]);
        if (event.type === 'finish' && track === 'cloud') done.resolve();
      },
    });
    await Promise.all([done.promise, watched.bodiesDone(2)]);
    const textOf = (track: string) =>
      seen
        .filter(([name, event]) => name === track && event.type === 'text')
        .map(([, event]) => (event as rxllm.TextEvent).text)
        .join('');
    expect(textOf('cloud')).toBe(openaiText);
    expect(textOf('local').length).toBeGreaterThan(0);
    expect(ollamaText.startsWith(textOf('local'))).toBe(true);
    expect(seen.some(([name, event]) => name === 'local' && event.type === 'reset')).toBe(true);
    expect(seen.some(([name, event]) => name === 'cloud' && event.type === 'usage')).toBe(true);
  });

  example('proxy', 'answers an OpenAI client with what Claude streamed', async () => {
    const anthropic = await replay({ transcript: anthropicTranscript });
    const proxy = await listen(async (req, res) => {
      await run('proxy', {
        anthropicUrl: `${anthropic.url}/v1/messages`,
        headers: { 'content-type': 'application/json', 'x-api-key': 'test' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 256, messages, stream: true }),
        res,
      });
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ ...params, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(anthropicText);
    expect(anthropic.requests[0]!.json).toMatchObject({ model: 'claude-sonnet-4-5', stream: true });
  });

  example('handlers', 'appends tokens, saves the answer, and pauses and resumes on a click', async () => {
    const server = await replay({ transcript: openaiTranscript, timing: { tokensPerSecond: 200 } });
    const output: string[] = [];
    const saved = signal<[string, unknown]>();
    const pauseButton: { onclick?: () => void } = {};
    const stopButton: { onclick?: () => void } = {};
    const { stream } = await run('handlers', {
      openai: new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }),
      params,
      output: { append: (token: string) => output.push(token) },
      save: (text: string, usage: unknown) => saved.resolve([text, usage]),
      showError: (code: string) => {
        throw new Error(`unexpected error ${code}`);
      },
      pauseButton,
      stopButton,
    });
    const controller = stream as { status: string };
    pauseButton.onclick!();
    expect(controller.status).toBe('paused');
    pauseButton.onclick!();
    expect(controller.status).toBe('active');
    const [text, usage] = await saved.promise;
    expect(text).toBe(openaiText);
    expect(output.join('')).toBe(openaiText);
    expect(usage).toMatchObject({ inputTokens: 14, outputTokens: 30 });
    expect(typeof stopButton.onclick).toBe('function');
  });

  example(
    'http-responses',
    'serves a fetch Response and a Node response, and logs a failed upstream',
    async () => {
      const server = await replay({ transcript: openaiTranscript });
      const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
      const anthropicOverloaded = await replay({
        transcript: fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'),
      });
      const logged: unknown[] = [];
      const events$ = (url: string, dialect: 'openai-chat' | 'anthropic') =>
        fromSSE((signal) => fetch(url, { method: 'POST', body: '{}', signal }), { dialect });
      const created: Server[] = [];
      const node = {
        createServer: (...args: Parameters<typeof createServer>) => {
          const made = createServer(...args);
          created.push(made);
          return made;
        },
      };
      const good = await run('http-responses', {
        ...rxllm,
        openai,
        events$: events$(server.openaiBaseURL + '/chat/completions', 'openai-chat'),
        log: (error: unknown) => logged.push(error),
        createServer: node.createServer,
      });
      // The fetch-style handler.
      const response = await (good.POST as (request: Request) => Promise<Response>)(
        new Request('http://example.test/api/chat', { method: 'POST', body: JSON.stringify(params) }),
      );
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect((await collect(fromSSE(response, { dialect: 'openai-chat' }))).text).toBe(openaiText);
      // The Node server: its SSE decodes to the recorded answer.
      const nodeUrl = await listenOn(good.server as Server);
      expect((await collect(fromSSE(await fetch(nodeUrl), { dialect: 'rxllm' }))).text).toBe(openaiText);
      expect(logged).toEqual([]);
      // The same server over an upstream that fails mid-stream: the error is logged.
      const failing = await run('http-responses', {
        ...rxllm,
        openai,
        events$: events$(anthropicOverloaded.anthropicBaseURL + '/v1/messages', 'anthropic'),
        log: (error: unknown) => logged.push(error),
        createServer: node.createServer,
      });
      const failingUrl = await listenOn(failing.server as Server);
      await expect(collect(fromSSE(await fetch(failingUrl), { dialect: 'rxllm' }))).rejects.toMatchObject({
        code: 'overloaded',
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ code: 'overloaded' });
      for (const made of created) restore.push(() => made.close());
    },
  );

  example('stores', 'feeds a message store, a Zustand store and a Redux store', async () => {
    const server = await replay({ transcript: openaiTranscript });
    const events$ = fromSSE(
      (signal) => fetch(server.openaiBaseURL + '/chat/completions', { method: 'POST', signal }),
      {
        dialect: 'openai-chat',
      },
    );
    const store = createMessageStore();
    const useChat = createStore<{ message: MessageState }>(() => ({ message: messageReducer.initialState }));
    const reduxStore = configureStore({
      reducer: (
        state: MessageState = messageReducer.initialState,
        action: { type: string; payload?: unknown },
      ) =>
        action.type === 'chat/stream'
          ? messageReducer(state, action.payload as Parameters<typeof messageReducer>[1])
          : state,
    });
    const zustandDone = new Promise<MessageState>((resolve) =>
      useChat.subscribe((state) => state.message.status === 'done' && resolve(state.message)),
    );
    const reduxDone = new Promise<MessageState>((resolve) =>
      reduxStore.subscribe(() => reduxStore.getState().status === 'done' && resolve(reduxStore.getState())),
    );
    await run('stores', { ...rxllm, events$, store, useChat, reduxStore });
    const [own, zustand, redux] = await Promise.all([storeSettles(store), zustandDone, reduxDone]);
    for (const state of [own, zustand, redux]) expect(state.tracks.default?.text).toBe(openaiText);
    expect(server.requests).toHaveLength(3);
  });

  example('marbles', 'runs its marble assertion in virtual time', async () => {
    await run('marbles', {});
    // The example asserts by itself (a mismatch throws); prove the assertion can fail.
    const wrong = examples.find((candidate) => candidate.name === 'marbles')!;
    await expect(
      runReadmeExample(
        { ...wrong, code: wrong.code.replace("ev.text('Hello ')", "ev.text('Hello')") },
        {},
        require,
      ),
    ).rejects.toThrow();
  });

  example(
    'light-imports',
    'reads the rxllm dialect with rxllm/core and one dialect entry into a store',
    async () => {
      const rxllmBytes = await lastValueFrom(
        from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
          toSSE({ dialect: 'rxllm' }),
          toArray(),
        ),
      );
      const server = await replay({ transcript: rxllmBytes.join('') });
      const { meantFor } = watchFetch(server);
      const { store } = await run('light-imports', { body: JSON.stringify({ messages }) });
      const state = await storeSettles(store as ReturnType<typeof createMessageStore>);
      expect(state.tracks.default?.text).toBe(openaiText);
      expect(meantFor).toEqual([`${server.url}/api/chat`]);
    },
  );

  example('genai-prices', "prices usage with @pydantic/genai-prices' own figures", async () => {
    const { pricedByGenaiPrices } = await run('genai-prices', { ...rxllm });
    const usage = await firstValueFrom(
      from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
        pricedByGenaiPrices as OperatorFunction<RxllmEvent, RxllmEvent>,
        filter((event): event is rxllm.UsageEvent => event.type === 'usage'),
      ),
    );
    // The recorded stream: gpt-4o-2024-08-06 from openai, 14 input and 30 output tokens.
    const expected = calcPrice({ input_tokens: 14, output_tokens: 30 }, 'gpt-4o-2024-08-06', {
      providerId: 'openai',
    });
    expect(expected?.total_price).toBeGreaterThan(0);
    expect(usage.cost).toBeCloseTo(expected!.total_price, 12);
    // The day whose prices were applied: today (read before and after, in case midnight passed).
    const before = new Date().toISOString().slice(0, 10);
    expect([before, new Date().toISOString().slice(0, 10)]).toContain(usage.pricesAsOf);
  });

  example('track-errors', "logs a race loser's 401 while the winner answers", async () => {
    const cloud = await replay({
      fault: {
        kind: 'http-error',
        status: 401,
        body: {
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
      },
    });
    const warned: unknown[][] = [];
    const { raceLoggingFailures } = await run('track-errors', {
      ...rxllm,
      openai: new OpenAI({ apiKey: 'wrong', baseURL: cloud.openaiBaseURL, maxRetries: 0 }),
      params,
      log: { warn: (...args: unknown[]) => warned.push(args) },
    });
    // The local model answers after the cloud has failed, so the race sees the failure.
    const local$ = rxllm.fromTokens(['Hello', ' world'], { firstTokenDelayMs: 500, delayMs: 20 });
    const message = await collect(
      local$.pipe(raceLoggingFailures as OperatorFunction<RxllmEvent, RxllmEvent>),
    );
    expect(message.text).toBe('Hello world');
    expect(warned).toEqual([['cloud failed', 'auth']]);
  });

  example(
    'mark-flow',
    "keeps the consumer's flow gate visible through an operator that re-emits later",
    async () => {
      const { deferred } = await run('mark-flow', {});
      let sourceSubscriber: unknown;
      const source$ = new Observable<RxllmEvent>((subscriber) => {
        sourceSubscriber = subscriber;
        subscriber.next({ type: 'text', text: 'Hi' });
      });
      const delivered: RxllmEvent[] = [];
      const subscription = (deferred as (source: Observable<RxllmEvent>) => Observable<RxllmEvent>)(source$)
        .pipe(rxllm.pausable(new BehaviorSubject(true)))
        .subscribe((event) => delivered.push(event));
      // The source sees the paused consumer's closed gate through the example's operator...
      expect(findClosedGate(sourceSubscriber)?.paused).toBe(true);
      subscription.unsubscribe();
      // ...which an operator without the mark hides.
      const unmarked = new Observable<RxllmEvent>((subscriber) =>
        source$.subscribe({ next: (event) => queueMicrotask(() => subscriber.next(event)) }),
      );
      unmarked
        .pipe(rxllm.pausable(new BehaviorSubject(true)))
        .subscribe()
        .unsubscribe();
      expect(findClosedGate(sourceSubscriber)).toBeUndefined();
      expect(delivered).toEqual([]);
    },
  );

  example('retry-continue', 'continues a cut Anthropic answer from what was shown', async () => {
    const cut = Math.floor(anthropicTranscript.length * 0.6);
    const server = await replay({
      routes: {
        '/v1/messages': [
          { transcript: anthropicTranscript, fault: { kind: 'cut', afterBytes: cut } },
          { transcript: anthropicTranscript },
        ],
      },
    });
    const { continued$ } = await run('retry-continue', {
      ...rxllm,
      anthropic: new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 }),
      params: { model: 'claude-sonnet-4-5', max_tokens: 256, messages },
    });
    const message = await collect(continued$ as Observable<RxllmEvent>);
    const second = server.requests[1]!.json as { messages: Array<{ role: string; content: string }> };
    const shown = second.messages.at(-1)!;
    expect(shown.role).toBe('assistant');
    expect(shown.content.length).toBeGreaterThan(0);
    expect(anthropicText.startsWith(shown.content)).toBe(true);
    // One answer: what was shown, then the continuation (here the replay's whole answer again).
    expect(message.text).toBe(shown.content + anthropicText);
  });

  example('failure-logging', 'logs the upstream failure that the client received as a frame', async () => {
    const anthropicOverloaded = await replay({
      transcript: fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'),
    });
    const logged: unknown[] = [];
    const created: Server[] = [];
    const { server } = await run('failure-logging', {
      ...rxllm,
      events$: fromSSE(
        (signal) => fetch(`${anthropicOverloaded.url}/v1/messages`, { method: 'POST', body: '{}', signal }),
        {
          dialect: 'anthropic',
        },
      ),
      log: (error: unknown) => logged.push(error),
      createServer: (...args: Parameters<typeof createServer>) => {
        const made = createServer(...args);
        created.push(made);
        restore.push(() => made.close());
        return made;
      },
    });
    const url = await listenOn(server as Server);
    const openai = new OpenAI({ apiKey: 'test', baseURL: `${url}/v1`, maxRetries: 0 });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of await openai.chat.completions.create({ ...params, stream: true }))
          text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/Overloaded/);
    expect(text.length).toBeGreaterThan(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ code: 'overloaded' });
    expect(created).toHaveLength(1);
  });

  example('steps-usage', "counts a failed attempt's usage beside its retry's, step by step", async () => {
    // Attempt 1 is cut right after its message_start (which reports the prompt's tokens).
    const afterStart = Buffer.from(anthropicTranscript).indexOf('event: content_block_start');
    const server = await replay({
      routes: {
        '/v1/messages': [
          { transcript: anthropicTranscript, fault: { kind: 'cut', afterBytes: afterStart } },
          { transcript: anthropicTranscript },
        ],
      },
    });
    const { message } = await run('steps-usage', {
      ...rxllm,
      anthropic: new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 }),
      params: { model: 'claude-sonnet-4-5', max_tokens: 256, messages },
    });
    const whole = decodeChunks('anthropic', [anthropicTranscript]).message.usage!;
    const result = message as Message;
    expect(result.text).toBe(anthropicText);
    expect(server.requests).toHaveLength(2);
    expect(result.steps?.map((step) => step.step)).toEqual([0, 1]);
    // The cut attempt billed its prompt; the retry billed the whole exchange.
    expect(result.usage?.inputTokens).toBe(2 * whole.inputTokens);
    expect(result.usage?.outputTokens).toBeGreaterThanOrEqual(whole.outputTokens);
  });

  example('tool-loop', 'runs the weather tool between two model calls and answers', async () => {
    const server = await replay({
      routes: {
        '/v1/chat/completions': [
          { transcript: fixtureBytes('openai-chat/weather-agent-step0.sse') },
          { transcript: fixtureBytes('openai-chat/weather-agent-step1.sse') },
        ],
      },
    });
    const looked: string[] = [];
    const { agent$ } = await run('tool-loop', {
      ...rxllm,
      z,
      openai: new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }),
      messages,
      lookUp: async (city: string, signal: AbortSignal) => {
        looked.push(city);
        expect(signal).toBeInstanceOf(AbortSignal);
        return { city, celsius: 21 };
      },
    });
    const events = await lastValueFrom((agent$ as Observable<RxllmEvent>).pipe(toArray()));
    const finalText = decodeChunks('openai-chat', [fixtureBytes('openai-chat/weather-agent-step1.sse')])
      .message.text;
    expect(events.filter((event) => event.type === 'step-start')).toHaveLength(2);
    const results = events.filter((event) => event.type === 'tool-result');
    expect(results.some((event) => event.name === 'get_weather' && event.error === undefined)).toBe(true);
    expect(looked.length).toBeGreaterThan(0);
    const text = events
      .filter((event) => event.type === 'text')
      .map((event) => event.text)
      .join('');
    expect(text.endsWith(finalText)).toBe(true);
    // The second request carries the first call's tool results back to the model.
    const second = server.requests[1]!.json as { messages: Array<{ role: string }>; tools: unknown[] };
    expect(second.messages.some((message) => message.role === 'tool')).toBe(true);
    expect(second.tools).toHaveLength(1);
  });

  example('tool-loop-steps', 'runs the loop with the ready-made OpenAI Chat step factory', async () => {
    const server = await replay({
      routes: {
        '/v1/chat/completions': [
          { transcript: fixtureBytes('openai-chat/weather-agent-step0.sse') },
          { transcript: fixtureBytes('openai-chat/weather-agent-step1.sse') },
        ],
      },
    });
    const weather = rxllm.defineTool({
      name: 'get_weather',
      input: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, celsius: 21 }),
    });
    const { text, usage, steps } = await run('tool-loop-steps', {
      ...rxllm,
      openai: new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }),
      messages,
      weather,
    });
    expect(text).toBe("It's 21°C and sunny in Paris. I couldn't look up Oslo or the forecast.");
    expect(usage).toMatchObject({ inputTokens: 112 + 241, outputTokens: 61 + 18 });
    expect(steps).toHaveLength(2);
    const second = server.requests[1]!.json as { messages: Array<{ role: string }>; tools: unknown[] };
    expect(second.messages.slice(0, messages.length)).toEqual(messages);
    expect(second.messages.filter((message) => message.role === 'tool')).toHaveLength(3);
    expect(second.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', parameters: expect.objectContaining({ type: 'object' }) },
      },
    ]);
  });

  example(
    'tool-loop-responses',
    'continues with previous_response_id and only the tool outputs',
    async () => {
      const server = await replay({
        routes: {
          '/v1/responses': [
            { transcript: fixtureBytes('openai-responses/weather-agent-step0.sse') },
            { transcript: fixtureBytes('openai-responses/weather-agent-step1.sse') },
          ],
        },
      });
      const weather = rxllm.defineTool({
        name: 'get_weather',
        input: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, celsius: 21 }),
      });
      const { answer$ } = await run('tool-loop-responses', {
        ...rxllm,
        openai: new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }),
        weather,
      });
      const message = await collect(answer$ as Observable<RxllmEvent>);
      expect(message.text).toBe("It's 21°C and sunny in Paris. I couldn't look up Oslo or the forecast.");
      const [first, second] = server.requests.map((request) => request.json as Record<string, unknown>);
      expect(first!.input).toEqual([{ role: 'user', content: 'Weather in Paris?' }]);
      expect(second!.previous_response_id).toBe('resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9weatheragent0');
      // Three outputs: Paris's weather, and two errors (a call with a bad argument, an unknown tool).
      expect((second!.input as Array<{ type: string }>).map((item) => item.type)).toEqual([
        'function_call_output',
        'function_call_output',
        'function_call_output',
      ]);
    },
  );

  example(
    'from-event-source',
    'reads a posted stream once into a store and aborts on unsubscribe',
    async () => {
      const rxllmBytes = await lastValueFrom(
        from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
          toSSE({ dialect: 'rxllm', ids: true }),
          toArray(),
        ),
      );
      const server = await replay({ transcript: rxllmBytes.join('') });
      const { meantFor } = watchFetch(server);
      const { store, subscription } = await run('from-event-source', { messages });
      const state = await storeSettles(store as ReturnType<typeof createMessageStore>);
      expect(state.tracks.default?.text).toBe(openaiText);
      expect(meantFor).toEqual([`${server.url}/api/chat`]);
      expect(server.requests[0]!.json).toEqual({ messages });
      (subscription as { unsubscribe(): void }).unsubscribe();
      // A finished stream is never reopened.
      expect(server.requests).toHaveLength(1);
    },
  );
});

describe('README: fromSSE reconnect', () => {
  example(
    'fromsse-reconnect',
    'resumes a connection dropped mid-frame with the last event id: every event once',
    async () => {
      const frames = await lastValueFrom(
        from(decodeChunks('openai-chat', [openaiTranscript]).events).pipe(
          toSSE({ dialect: 'rxllm', ids: true }),
          toArray(),
        ),
      );
      const asked: (string | undefined)[] = [];
      const server = await listen((req, res) => {
        const header = req.headers['last-event-id'];
        asked.push(typeof header === 'string' ? header : undefined);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (asked.length === 1) {
          // The first connection drops in the middle of a frame.
          const half = Math.floor(frames.length / 2);
          res.write(frames.slice(0, half).join('') + frames[half]!.slice(0, 10), () => res.socket?.destroy());
          return;
        }
        // A resuming server: the frames after the one named.
        const after = Number(header);
        res.end(frames.filter((frame) => Number(/^id: (\d+)/m.exec(frame)?.[1]) > after).join(''));
      });
      watchFetch({ url: server.url } as ReplayServer);
      const { message } = await run('fromsse-reconnect', { chatId: 'c1' });
      expect((message as Message).text).toBe(openaiText);
      expect(asked).toHaveLength(2);
      expect(asked[0]).toBeUndefined();
      expect(Number(asked[1])).toBeGreaterThan(0);
    },
  );
});

async function listen(handler: RequestListener): Promise<{ url: string }> {
  const server = createServer(handler);
  restore.push(() => server.close());
  return { url: await listenOn(server) };
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
