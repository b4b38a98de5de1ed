import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { deadline } from '../../src/operators/deadline';
import { mergeTracks } from '../../src/tracks/mergeTracks';
import { retryStream } from '../../src/operators/retryStream';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import {
  createReplayServer,
  type ReplayRoute,
  type ReplayServer,
} from '../../src/testing/createReplayServer';
import type { DialectName } from '../../src/wire/types';
import { serveEvents, type EventServer } from '../consumers/serveEvents';
import { fixtureBytes } from '../support/decodeFixture';
import {
  readWithAIChat,
  readWithAnthropic,
  readWithOpenAI,
  readWithStore,
  sseEvents,
  type Shown,
} from './clients';

/**
 * Issue: "Retries and fallbacks duplicate text." A retry or a fallback after the user had seen
 * output used to glue the old and the new answer together in every client but rxllm's own.
 * Each pipeline below reads a real recorded OpenAI stream (cut, failed or continued) from a
 * replay server through the `openai` SDK, is served by `toSSE` in a dialect over real HTTP, and is
 * read by a real client: the `openai` SDK, `@anthropic-ai/sdk`, the AI SDK's `Chat` with its
 * `DefaultChatTransport`, and rxllm's `fromSSE` into `createMessageStore`.
 */

const recorded = sseEvents('openai-chat/text-include-usage.sse');
const fullText =
  "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.";
/** The role chunk and four tokens: what a user saw before the connection broke. */
const shownEvents = 5;
const shownText = "I'm unable to provide";
/** The stream up to there and no further: EOF without [DONE] or a finish is a `network` error. */
const cutAfterOutput = recorded.slice(0, shownEvents).join('');
/** The rest of the same answer, as a server continuing it sends it. */
const continuation = recorded.slice(shownEvents).join('');
/** OpenAI's real mid-stream failure, before any token: `server_error` (a 500). */
const serverErrorBeforeOutput = `${recorded[0]}data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n`;
const whole = recorded.join('');

const messages = [{ role: 'user' as const, content: 'What is the weather in San Francisco?' }];

interface Upstream {
  events$: Observable<RxllmEvent>;
  servers: ReplayServer[];
}

/** A replay server answering successive chat requests with `routes`, and an `openai` client on it. */
async function openaiUpstream(...routes: ReplayRoute[]) {
  const server = await createReplayServer({ routes: { '/v1/chat/completions': routes } });
  const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
  const request = (extra: Array<{ role: 'assistant'; content: string }> = []) =>
    fromOpenAI(client, { model: 'gpt-4o', messages: [...messages, ...extra] });
  return { server, request };
}

const retryFast = { initialDelayMs: 1, jitter: 0 };

/** The pipelines, each built fresh (new replay servers) for every client that reads it. */
const pipelines: Record<string, () => Promise<Upstream>> = {
  async 'retry before output'() {
    const primary = await openaiUpstream({ transcript: serverErrorBeforeOutput }, { transcript: whole });
    return { events$: primary.request().pipe(retryStream(retryFast)), servers: [primary.server] };
  },
  async 'retry after output'() {
    const primary = await openaiUpstream({ transcript: cutAfterOutput }, { transcript: continuation });
    return {
      events$: primary.request().pipe(
        retryStream({
          ...retryFast,
          afterOutput: 'continue',
          // The request again, with what was shown as the assistant's prefix to continue.
          continueWith: (shown) => primary.request([{ role: 'assistant', content: shown.text }]),
        }),
      ),
      servers: [primary.server],
    };
  },
  async 'fallback after output'() {
    const primary = await openaiUpstream({ transcript: cutAfterOutput });
    const backup = await openaiUpstream({ transcript: continuation });
    return {
      events$: primary
        .request()
        .pipe(
          mergeTracks(
            { backup: (shown) => backup.request([{ role: 'assistant', content: shown.text }]) },
            { strategy: 'fallback', afterOutput: 'continue' },
          ),
        ),
      servers: [primary.server, backup.server],
    };
  },
  async 'every attempt failing'() {
    const primary = await openaiUpstream({ transcript: cutAfterOutput });
    return {
      events$: primary.request().pipe(retryStream({ ...retryFast, maxRetries: 2, afterOutput: 'reset' })),
      servers: [primary.server],
    };
  },
};

/** What each pipeline must show, once, in every client. */
const finalText: Record<string, string> = {
  'retry before output': fullText,
  'retry after output': fullText,
  'fallback after output': fullText,
  'every attempt failing': shownText,
};

let server: EventServer;
const running = new Map<string, Upstream>();

beforeAll(async () => {
  server = await serveEvents((path, body) => {
    const { model } = body as { model: string };
    const dialect: DialectName = path.includes('/chat/completions')
      ? 'openai-chat'
      : path.startsWith('/v1/messages')
        ? 'anthropic'
        : path.startsWith('/api/chat')
          ? 'ai-sdk-ui'
          : 'rxllm';
    return { events: running.get(model)!.events$, dialect };
  });
});

afterAll(() => server.close());

/** Builds `pipeline`, lets `read` read it through the pipeline server, closes its upstreams. */
async function through(pipeline: string, read: (url: string, model: string) => Promise<Shown>) {
  const upstream = await pipelines[pipeline]!();
  running.set(pipeline, upstream);
  try {
    return await read(server.url, pipeline);
  } finally {
    running.delete(pipeline);
    await Promise.all(upstream.servers.map((replay) => replay.close()));
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

const clients: Array<[string, (url: string, model: string) => Promise<Shown>]> = [
  ['the openai SDK (openai-chat)', (url, model) => readWithOpenAI(`${url}/v1`, model)],
  ['@anthropic-ai/sdk (anthropic)', readWithAnthropic],
  ['the AI SDK Chat with DefaultChatTransport (ai-sdk-ui)', readWithAIChat],
  ['fromSSE into createMessageStore (rxllm)', readWithStore],
];

describe('retries and fallbacks never show a client text twice', () => {
  it('reproduction: deadline → retryStream → mergeTracks fallback served as openai-chat shows the draft once, then the error (it showed "I\'m unable to provideI\'m unable to provideHello there!")', async () => {
    const stalled = await createReplayServer({
      routes: {
        '/v1/chat/completions': {
          transcript: whole,
          fault: { kind: 'stall', afterBytes: Buffer.byteLength(cutAfterOutput) },
        },
      },
    });
    const claude = await createReplayServer({
      transcript: fixtureBytes('anthropic/text-basic-no-trailing-newline.sse'),
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: stalled.openaiBaseURL, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: claude.anthropicBaseURL, maxRetries: 0 });
    running.set('reproduction', {
      events$: fromOpenAI(openai, { model: 'gpt-4o', messages }).pipe(
        deadline({ betweenTokensMs: 200 }),
        retryStream({ maxRetries: 1, ...retryFast }),
        mergeTracks(
          { cloud: fromAnthropic(anthropic, { model: 'claude', max_tokens: 100, messages }) },
          { strategy: 'fallback', name: 'local' },
        ),
      ),
      servers: [],
    });
    try {
      const shown = await readWithOpenAI(`${server.url}/v1`, 'reproduction');
      expect(shown.text).toBe(shownText);
      expect(shown.error).toBeInstanceOf(OpenAI.APIError);
      expect((shown.error as Error).message).toContain('no token for 200 ms');
      // Nothing was retried or fallen back to after the user saw the draft.
      expect(stalled.requests).toHaveLength(1);
      expect(claude.requests).toHaveLength(0);
    } finally {
      running.delete('reproduction');
      await Promise.all([stalled.close(), claude.close()]);
    }
  });

  it('reproduction: the AI SDK Chat keeps one copy of the draft when every attempt fails (it kept three)', async () => {
    const primary = await openaiUpstream({ transcript: cutAfterOutput });
    running.set('every attempt, default options', {
      events$: primary.request().pipe(retryStream({ maxRetries: 2, ...retryFast })),
      servers: [primary.server],
    });
    try {
      const shown = await readWithAIChat(server.url, 'every attempt, default options');
      expect(shown.text).toBe(shownText);
      expect(shown.parts).toBe(1);
      expect(shown.error).toBeInstanceOf(Error);
      expect(primary.server.requests).toHaveLength(1);
    } finally {
      running.delete('every attempt, default options');
      await primary.server.close();
    }
  });

  describe.each(clients)('read by %s', (_client, read) => {
    it.each(Object.keys(pipelines))('%s: shows the final text exactly once', async (pipeline) => {
      const shown = await through(pipeline, read);
      const expected = finalText[pipeline]!;
      expect(shown.text).toBe(expected);
      expect(occurrences(shown.text, shownText)).toBe(1);
      if (expected === fullText) expect(shown.error).toBeUndefined();
      else expect(shown.error).toBeDefined();
      // One message; a continuation is a second request, so a second step, and the AI SDK
      // starts a new text part in each step (as it does for its own multi-step streamText).
      const continued = pipeline === 'retry after output' || pipeline === 'fallback after output';
      if ('parts' in shown) expect(shown.parts).toBe(continued ? 2 : 1);
    });
  });

  it("a reset after output ('reset' mode) is honoured by the rxllm dialect and the store, and a clear error elsewhere", async () => {
    const build = async () => {
      const primary = await openaiUpstream({ transcript: cutAfterOutput }, { transcript: whole });
      return {
        events$: primary.request().pipe(retryStream({ ...retryFast, afterOutput: 'reset' })),
        servers: [primary.server],
      };
    };
    pipelines['reset then recover'] = build;
    try {
      const store = await through('reset then recover', readWithStore);
      expect(store).toEqual({ text: fullText });
      for (const [, read] of clients.slice(0, 3)) {
        const shown = await through('reset then recover', read);
        expect(shown.text).toBe(shownText);
        expect(String((shown.error as Error).message)).toContain('cannot take text back');
      }
    } finally {
      delete pipelines['reset then recover'];
    }
  });

  it("'continue' asks the continuation with what was shown", async () => {
    const primary = await openaiUpstream({ transcript: cutAfterOutput }, { transcript: continuation });
    running.set('continue request', {
      events$: primary.request().pipe(
        retryStream({
          ...retryFast,
          afterOutput: 'continue',
          continueWith: (shown) => primary.request([{ role: 'assistant', content: shown.text }]),
        }),
      ),
      servers: [primary.server],
    });
    try {
      await readWithOpenAI(`${server.url}/v1`, 'continue request');
      const second = primary.server.requests[1]!.json as {
        messages: Array<{ role: string; content: string }>;
      };
      expect(second.messages.at(-1)).toEqual({ role: 'assistant', content: shownText });
    } finally {
      running.delete('continue request');
      await primary.server.close();
    }
  });
});
