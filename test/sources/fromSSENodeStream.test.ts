import { readFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { run, joinedText, unsubscribeAt } from './helpers';

// fromSSE reads a Node `http.IncomingMessage` with `read()` and its events instead of its async
// iterator (much less memory per open stream on a relay): the same events, errors and teardown.
const fixture = readFileSync(join(__dirname, '../fixtures/openai-chat/text-obfuscation-usage.sse'));

function open(url: string, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, signal }, resolve);
    request.on('error', reject);
  });
}

describe('fromSSE reading a node:http IncomingMessage', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('gives the events a fetch Response gives, from bytes or from text (setEncoding)', async () => {
    // Slices of 23 bytes split frames, lines and UTF-8 sequences at every kind of place; 7-byte
    // slices (28,000 writes) took over 30 s on a loaded machine.
    server = await createReplayServer({ transcript: fixture, timing: { sliceBytes: 23 } });
    const url = server.url;
    const expected = await run(fromSSE(new Response(fixture), { dialect: 'openai-chat' }));
    expect(expected.completed).toBe(true);
    expect(await run(fromSSE((signal) => open(url, signal), { dialect: 'openai-chat' }))).toEqual(expected);
    const text = fromSSE(
      async (signal) => {
        const res = await open(url, signal);
        res.setEncoding('utf8');
        return res;
      },
      { dialect: 'openai-chat' },
    );
    expect(await run(text)).toEqual(expected);
    expect(server.requests.every((request) => request.completed)).toBe(true);
  });

  it('fails with network and the text so far when the connection is cut mid-body', async () => {
    const afterBytes = Math.floor(fixture.length / 2);
    server = await createReplayServer({ transcript: fixture, fault: { kind: 'cut', afterBytes } });
    const url = server.url;
    const outcome = await run(fromSSE((signal) => open(url, signal), { dialect: 'openai-chat' }));
    expect(outcome.completed).toBe(false);
    expect(outcome.error?.code).toBe('network');
    const full = joinedText((await run(fromSSE(new Response(fixture), { dialect: 'openai-chat' }))).events);
    const partial = outcome.error?.partial?.text ?? '';
    expect(partial).not.toBe('');
    expect(full.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(full.length);
  });

  it('closes the connection on unsubscribe, even with no signal passed to the request', async () => {
    server = await createReplayServer({ transcript: fixture, fault: { kind: 'stall', afterBytes: 2000 } });
    const url = server.url;
    const outcome = await unsubscribeAt(
      fromSSE(() => open(url), { dialect: 'openai-chat' }),
      'text',
    );
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
    expect(joinedText(outcome.seen)).not.toBe('');
    expect(outcome.errored).toBe(false);
  });

  it('stops reading at the terminal message: the rest of the body is not waited for', async () => {
    // [DONE], then a stall: a reader that waited for the body's end would never complete.
    const stalled = Buffer.concat([fixture, Buffer.from(': more\n\n'.repeat(200))]);
    server = await createReplayServer({
      transcript: stalled,
      framing: 'sse',
      fault: { kind: 'stall', afterBytes: fixture.length + 16 },
    });
    const url = server.url;
    const outcome = await run(fromSSE(() => open(url), { dialect: 'openai-chat' }));
    expect(outcome.completed).toBe(true);
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
  });
});
