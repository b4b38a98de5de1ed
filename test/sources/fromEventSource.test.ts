import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { filter, lastValueFrom, take, toArray } from 'rxjs';
import { toSSE } from '../../src/operators/toSSE';
import { fromEventSource } from '../../src/sources/fromEventSource';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import type { DialectName } from '../../src/wire/types';
import { joinedText, run, withoutSeq } from './helpers';

/** A recorded provider stream, decoded and written again in the rxllm dialect (with `id:` lines when asked). */
async function rxllmWire(file: string, dialect: DialectName, ids: boolean): Promise<string> {
  const text = readFileSync(resolve(__dirname, '../fixtures', file), 'utf8');
  const frames = await lastValueFrom(
    fromSSE(
      (async function* () {
        yield text;
      })(),
      { dialect },
    ).pipe(toSSE({ dialect: 'rxllm', ids }), toArray()),
  );
  return frames.join('');
}

/** The `id:` of the last frame wholly inside the first `bytes` bytes of `wire`. */
function lastIdWithin(wire: string, bytes: number): string | undefined {
  let at = 0;
  let last: string | undefined;
  for (const frame of wire.split('\n\n')) {
    at += Buffer.byteLength(`${frame}\n\n`);
    if (at > bytes) break;
    last = /^id: (.*)$/m.exec(frame)?.[1] ?? last;
  }
  return last;
}

const textFixture = 'openai-chat/text-include-usage.sse';
const fullText =
  "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
  'I recommend checking a reliable weather website or a weather app.';

describe('fromEventSource', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('reads a whole stream in one request, POSTing the body, and never reconnects after [DONE]', async () => {
    const wire = await rxllmWire(textFixture, 'openai-chat', true);
    server = await createReplayServer({
      routes: { '/chat': { transcript: wire, timing: { sliceBytes: 50 } } },
    });
    const outcome = await run(
      fromEventSource(`${server.url}/chat`, {
        body: JSON.stringify({ prompt: 'weather?' }),
        headers: { 'content-type': 'application/json' },
        retryDelayMs: 0,
      }),
    );
    expect(outcome.completed).toBe(true);
    expect(joinedText(outcome.events)).toBe(fullText);
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    const request = await server.requests[0]!.closed;
    expect(request).toMatchObject({ method: 'POST', json: { prompt: 'weather?' }, completed: true });
    expect(request.headers['accept']).toBe('text/event-stream');
    expect(request.headers['last-event-id']).toBeUndefined();
    expect(server.requests).toHaveLength(1);
  });

  it('reconnects after a cut with Last-Event-ID and drops the frames it already has', async () => {
    const wire = await rxllmWire(textFixture, 'openai-chat', true);
    const expected = await run(fromSSE(new Response(wire), { dialect: 'rxllm' }));
    // Mid-frame: the unfinished frame of the first connection must be dropped, not glued to the next.
    const afterBytes = Math.floor(Buffer.byteLength(wire) / 2);
    const lastId = lastIdWithin(wire, afterBytes);
    expect(lastId).toMatch(/^\d+$/);
    server = await createReplayServer({
      routes: {
        // The second answer replays from the start, as a server that ignores the header would:
        // the ids tell the client what it already has.
        '/chat': [
          { transcript: wire, fault: { kind: 'cut', afterBytes }, timing: { sliceBytes: 40 } },
          { transcript: wire, timing: { sliceBytes: 40 } },
        ],
      },
    });
    const outcome = await run(fromEventSource(`${server.url}/chat`, { retryDelayMs: 0 }));
    expect(outcome.completed).toBe(true);
    expect(outcome.events).toEqual(expected.events);
    expect(joinedText(outcome.events)).toBe(fullText);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(server.requests[1]!.headers['last-event-id']).toBe(lastId);
  });

  it('reconnects when the body ends before the terminal message, at most maxReconnects times', async () => {
    const wire = await rxllmWire(textFixture, 'openai-chat', true);
    const cutAt = Math.floor(Buffer.byteLength(wire) / 3);
    server = await createReplayServer({
      routes: { '/chat': { transcript: wire, fault: { kind: 'cut', afterBytes: cutAt } } },
    });
    const outcome = await run(fromEventSource(`${server.url}/chat`, { retryDelayMs: 0, maxReconnects: 2 }));
    expect(outcome.error).toMatchObject({ code: 'network' });
    expect(server.requests).toHaveLength(3);
    // Every attempt replays the same first third: what was delivered once is not delivered again.
    const expected = await run(fromSSE(new Response(wire), { dialect: 'rxllm' }));
    const prefix = joinedText(expected.events.slice(0, outcome.events.length));
    expect(joinedText(outcome.events)).toBe(prefix);
    expect(outcome.error!.partial?.text).toBe(prefix);
  });

  it('does not reconnect after an error frame: the error is final', async () => {
    const wire = await rxllmWire('anthropic/error-overloaded-midstream-spliced.sse', 'anthropic', true);
    server = await createReplayServer({ routes: { '/chat': { transcript: wire } } });
    const outcome = await run(fromEventSource(`${server.url}/chat`, { retryDelayMs: 0 }));
    expect(outcome.error).toMatchObject({ code: 'overloaded', retryable: true });
    expect(outcome.error!.partial?.text).toBe('Hello there');
    await server.requests[0]!.closed;
    expect(server.requests).toHaveLength(1);
  });

  it('does not reopen a stream without ids once frames arrived (a new request would start over)', async () => {
    const wire = await rxllmWire(textFixture, 'openai-chat', false);
    server = await createReplayServer({
      routes: {
        '/chat': { transcript: wire, fault: { kind: 'cut', afterBytes: Math.floor(wire.length / 2) } },
      },
    });
    const outcome = await run(fromEventSource(`${server.url}/chat`, { retryDelayMs: 0 }));
    expect(outcome.error).toMatchObject({ code: 'network' });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an HTTP error status without reconnecting', async () => {
    server = await createReplayServer({
      routes: { '/chat': { fault: { kind: 'http-error', status: 429, headers: { 'retry-after': '2' } } } },
    });
    const outcome = await run(fromEventSource(`${server.url}/chat`, { retryDelayMs: 0 }));
    expect(outcome.error).toMatchObject({ code: 'rate-limit', status: 429, retryAfterMs: 2000 });
    expect(server.requests).toHaveLength(1);
  });

  it('aborts the request on unsubscribe: the server sees the connection close', async () => {
    const wire = await rxllmWire(textFixture, 'openai-chat', true);
    server = await createReplayServer({
      routes: { '/chat': { transcript: wire, timing: { tokensPerSecond: 20 } } },
    });
    const firstText = await lastValueFrom(
      fromEventSource(`${server.url}/chat`).pipe(
        filter((event) => event.type === 'text'),
        take(1),
      ),
    );
    expect(withoutSeq([firstText])).toEqual([{ type: 'text', text: "I'm" }]);
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
  });

  it('throws at once for a bad option', () => {
    expect(() => fromEventSource('/x', { maxReconnects: -1 })).toThrow(/maxReconnects/);
    expect(() => fromEventSource('/x', { dialect: 'ollama' })).toThrow(/not framed as SSE/);
  });
});
