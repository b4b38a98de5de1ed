import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { mergeTracks, type MergeStrategy } from '../../src/tracks/mergeTracks';
import { retryStream } from '../../src/operators/retryStream';
import { toSSE } from '../../src/operators/toSSE';
import { pipeToNodeResponse, type PipeToNodeResponseResult } from '../../src/sinks/pipeToNodeResponse';
import { toResponse } from '../../src/sinks/toResponse';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { sseEvents } from './clients';

/**
 * Issue: "The server never hears about failures." With toSSE's default `errors: 'frame'` the
 * client reads the failure from the stream, and the stream completes: toResponse's `onError` was
 * never called and pipeToNodeResponse resolved `upstream: 'complete'`. In race / hedge / handoff a
 * losing track's failure (a wrong cloud API key) left no trace at all.
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

/** Anthropic's real mid-stream overload, read by fromSSE over HTTP. */
async function overloadedMidStream(): Promise<Observable<RxllmEvent>> {
  const server = await replay({
    transcript: fixtureBytes('anthropic/error-overloaded-midstream-spliced.sse'),
  });
  return fromSSE((signal) => fetch(server.url, { signal }), { dialect: 'anthropic' });
}

describe('the server hears of a failure the client reads as a frame', () => {
  it("toResponse calls onError with the upstream error while the body carries the dialect's error frame", async () => {
    const events$ = await overloadedMidStream();
    const heard: unknown[] = [];
    const response = toResponse(events$.pipe(toSSE({ dialect: 'openai-chat' })), {
      onError: (error) => heard.push(error),
    });
    const body = await response.text();
    expect(body).toContain(`"content":"Hello"`);
    expect(body).toContain(
      '{"error":{"message":"Overloaded","type":"server_error","code":"server_overloaded"',
    );
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(heard).toHaveLength(1);
    expect(RxllmError.isInstance(heard[0])).toBe(true);
    expect(heard[0]).toMatchObject({ code: 'overloaded', providerCode: 'overloaded_error' });
  });

  it("pipeToNodeResponse resolves upstream: 'error' with the error, so the README's log(result.error) runs", async () => {
    const events$ = await overloadedMidStream();
    const logged: unknown[] = [];
    let resolveResult: (result: PipeToNodeResponseResult) => void;
    const settled = new Promise<PipeToNodeResponseResult>((resolve) => (resolveResult = resolve));
    const server: Server = createServer((_req, res) => {
      void (async () => {
        // As the README shows it:
        const result = await pipeToNodeResponse(events$.pipe(toSSE()), res, { heartbeatMs: 15_000 });
        if (result.upstream === 'error') logged.push(result.error);
        resolveResult(result);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toContain('event: rxllm-error');
      const result = await settled;
      expect(result.upstream).toBe('error');
      expect(result.error).toMatchObject({ code: 'overloaded' });
      expect(logged).toEqual([result.error]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('pipeToNodeResponse reports the stream a provider dialect had to end at a reset after output', async () => {
    const recorded = sseEvents('openai-chat/text-include-usage.sse');
    const upstream = await replay({
      routes: {
        '/v1/chat/completions': [
          { transcript: recorded.slice(0, 5).join('') },
          { transcript: recorded.join('') },
        ],
      },
    });
    const openai = new OpenAI({ apiKey: 'test', baseURL: upstream.openaiBaseURL, maxRetries: 0 });
    const events$ = fromOpenAI(openai, { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).pipe(
      retryStream({ initialDelayMs: 1, jitter: 0, afterOutput: 'reset' }),
    );
    let resolveResult: (result: PipeToNodeResponseResult) => void;
    const settled = new Promise<PipeToNodeResponseResult>((resolve) => (resolveResult = resolve));
    const server = createServer((_req, res) => {
      void pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'anthropic' })), res).then(resolveResult);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toContain('cannot take text back');
      const result = await settled;
      expect(result.upstream).toBe('error');
      expect(result.error).toMatchObject({ providerCode: 'stream_restarted' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("mergeTracks reports a losing track's failure (a wrong cloud API key)", () => {
  const strategies: Array<[MergeStrategy, Record<string, unknown>]> = [
    ['race', {}],
    ['hedge', { hedgeAfterMs: 0 }],
    ['handoff', {}],
    ['compare', {}],
    ['fallback', {}],
  ];

  it.each(strategies)('%s: onTrackError hears the 401 of the cloud track', async (strategy, extra) => {
    // The local model answers (slowly); the cloud one rejects the key at once.
    const local = await replay({
      transcript: fixtureBytes('openai-chat/text-include-usage.sse'),
      timing: { timeToFirstByteMs: 50 },
    });
    const cloud = await replay({
      fault: {
        kind: 'http-error',
        status: 401,
        body: {
          error: {
            message:
              'Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        },
      },
    });
    const client = (server: ReplayServer) =>
      new OpenAI({ apiKey: 'sk-wrong', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hi' }] };
    const heard: Array<[string, unknown]> = [];
    // In fallback the cloud track must be the one that runs (and fails) first.
    const [first, second] = strategy === 'fallback' ? [cloud, local] : [local, cloud];
    const events = await lastValueFrom(
      fromOpenAI(client(first), request).pipe(
        mergeTracks(
          { other: fromOpenAI(client(second), request) },
          {
            strategy,
            name: 'main',
            ...extra,
            onTrackError: (error, track) => heard.push([track, error]),
          },
        ),
        toArray(),
      ),
    );
    const failedTrack = strategy === 'fallback' ? 'main' : 'other';
    expect(heard).toHaveLength(1);
    expect(heard[0]![0]).toBe(failedTrack);
    expect(heard[0]![1]).toMatchObject({ code: 'auth', status: 401, providerCode: 'invalid_api_key' });
    // The answer still came from the healthy track.
    const text = events
      .filter((event) => event.type === 'text' && event.track !== failedTrack)
      .map((event) => (event as { text: string }).text)
      .join('');
    expect(text).toContain("I'm unable to provide real-time weather updates.");
  });
});
