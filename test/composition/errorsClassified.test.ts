import OpenAI from 'openai';
import { BehaviorSubject, from, lastValueFrom, map, materialize, toArray, type Observable } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { mergeTracks } from '../../src/tracks/mergeTracks';
import { pausable } from '../../src/operators/pausable';
import { retryStream } from '../../src/operators/retryStream';
import { collect } from '../../src/sinks/collect';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { decodeFixture, fixtureBytes } from '../support/decodeFixture';
import { sseEvents } from './clients';

/**
 * Issue: "Errors are misclassified." Any TypeError was a network failure, so a bug in user code
 * was retried; OpenAI's in-band `server_error` was `provider` (not retried); misuse was `provider`;
 * pausable's overflow was a plain Error. Each case here runs the pipeline a user writes.
 */

let replays: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(replays.map((replay) => replay.close()));
  replays = [];
});

async function replay(config: Parameters<typeof createReplayServer>[0]): Promise<ReplayServer> {
  const server = await createReplayServer(config);
  replays.push(server);
  return server;
}

async function failureOf(events$: Observable<unknown>): Promise<unknown> {
  const notifications = await lastValueFrom(events$.pipe(materialize(), toArray()));
  return notifications.find((notification) => notification.kind === 'E')?.error;
}

const retryFast = { initialDelayMs: 1, jitter: 0 };
const messages = [{ role: 'user' as const, content: 'What is the weather in San Francisco?' }];

describe('errors say what happened', () => {
  it("OpenAI's in-band server_error is retried like an HTTP 500", async () => {
    const recorded = sseEvents('openai-chat/text-include-usage.sse');
    const server = await replay({
      routes: {
        '/v1/chat/completions': [
          {
            transcript: `${recorded[0]}data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n`,
          },
          { transcript: recorded.join('') },
        ],
      },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const message = await collect(
      fromOpenAI(openai, { model: 'gpt-4o', messages }).pipe(retryStream(retryFast)),
    );
    expect(message.text).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(server.requests).toHaveLength(2);
  });

  it('an input function that returns 42 is invalid-argument and asked once, not retried three times', async () => {
    let calls = 0;
    const error = await failureOf(
      fromSSE(
        () => {
          calls++;
          return 42 as unknown as Response;
        },
        { dialect: 'openai-chat' },
      ).pipe(retryStream({ maxRetries: 3, ...retryFast })),
    );
    expect(error).toMatchObject({ code: 'invalid-argument', retryable: false });
    expect(calls).toBe(1);
  });

  it("a bug in the user's map reaches the user unchanged through mergeTracks and is not retried as network", async () => {
    const server = await replay({ transcript: fixtureBytes('openai-chat/text-include-usage.sse') });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    // A rendering step with a bug: it reads a field text events do not have.
    const render = map((event: RxllmEvent) =>
      event.type === 'text'
        ? { ...event, text: (event as unknown as { delta: string }).delta.trim() }
        : event,
    );
    const track = () => fromOpenAI(openai, { model: 'gpt-4o', messages }).pipe(render);
    const error = await failureOf(
      track().pipe(
        mergeTracks({ backup: track() }, { strategy: 'fallback' }),
        retryStream({ maxRetries: 2, ...retryFast }),
      ),
    );
    expect((error as Error).name).toBe('TypeError');
    expect(RxllmError.isInstance(error)).toBe(false);
    // Each track asked once; nothing retried.
    expect(server.requests).toHaveLength(2);
  });

  it('a 200 with a web page is an http error keeping the page, not a retried network failure', async () => {
    const server = await replay({
      transcript: '<html><head><title>Gateway error</title></head><body>upstream connect error</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const error = await failureOf(
      fromOpenAI(openai, { model: 'gpt-4o', messages }).pipe(retryStream(retryFast)),
    );
    expect(error).toMatchObject({ code: 'http', status: 200, retryable: false });
    expect((error as Error).message).toContain('upstream connect error');
    expect(server.requests).toHaveLength(1);
  });

  it("pausable's overflow is an RxllmError (limit-exceeded), as the README promises every failure is", async () => {
    // A source that cannot be held back (a plain RxJS one: rxllm sources stop reading instead).
    const { events } = decodeFixture('openai-chat', 'openai-chat/text-include-usage.sse');
    const error = await failureOf(
      from(events).pipe(pausable(new BehaviorSubject(true), { policy: 'buffer', maxBuffered: 3 })),
    );
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'limit-exceeded', retryable: false });
  });
});
