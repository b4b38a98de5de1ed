import { fromNDJSON } from '../../src/sources/fromNDJSON';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { run } from './helpers';

const lines = [
  '{"model":"gemma4","created_at":"2025-10-26T17:15:24.097767Z","response":"Hi","done":false}\n',
  '{"model":"gemma4","created_at":"2025-10-26T17:15:24.109172Z","response":" 世界","done":false}\n',
  '{"model":"gemma4","created_at":"2025-10-26T17:15:24.121485Z","response":"","done":true,"done_reason":"length","prompt_eval_count":3,"eval_count":2}\n',
];

function oneByteAtATime(text: string): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return {
    async *[Symbol.asyncIterator]() {
      for (const byte of bytes) yield Uint8Array.of(byte);
    },
  };
}

describe('fromNDJSON', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('decodes lines split anywhere, CJK text intact, stamping seq', async () => {
    const outcome = await run(fromNDJSON(oneByteAtATime(lines.join('')), { dialect: 'ollama' }));
    expect(outcome).toEqual({
      completed: true,
      events: [
        { type: 'start', provider: 'ollama', model: 'gemma4', created: 1761498924097, seq: 0 },
        { type: 'text', text: 'Hi', seq: 1 },
        { type: 'text', text: ' 世界', seq: 2 },
        { type: 'finish', reason: 'length', rawReason: 'length', seq: 3 },
        { type: 'usage', inputTokens: 3, outputTokens: 2, totalTokens: 5, seq: 4 },
      ],
    });
  });

  it('reads a fetched NDJSON response lazily, and labels the provider as configured', async () => {
    server = await createReplayServer({
      transcript: fixtureBytes('ollama/generate-docs-done-on-last-token.ndjson'),
      timing: { sliceBytes: 6 },
    });
    const url = server.url;
    const events$ = fromNDJSON((signal) => fetch(url, { method: 'POST', body: '{}', signal }), {
      dialect: 'ollama',
      provider: 'my-ollama',
    });
    expect(server.requests).toHaveLength(0);
    const outcome = await run(events$);
    expect(outcome.events[0]).toMatchObject({ type: 'start', provider: 'my-ollama', model: 'gemma4' });
    expect(
      outcome.events
        .filter((event) => event.type === 'text')
        .map((event) => event.text)
        .join(''),
    ).toBe("That's a fantastic question!");
    expect(outcome.events.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
    expect(server.requests[0]!.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });

  it('serves its content type from the replay server as NDJSON', async () => {
    server = await createReplayServer({ transcript: lines.join('') });
    const response = await fetch(server.url);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect((await run(fromNDJSON(response, { dialect: 'ollama' }))).completed).toBe(true);
  });

  it('reports a line that is not JSON as malformed, keeping what arrived', async () => {
    const outcome = await run(
      fromNDJSON(oneByteAtATime(`${lines[0]}{"model":"gemma4","response":\n${lines[2]}`), {
        dialect: 'ollama',
      }),
    );
    expect(outcome.error).toMatchObject({
      code: 'malformed',
      dialect: 'ollama',
      line: '{"model":"gemma4","response":',
    });
    expect(outcome.error?.partial?.text).toBe('Hi');
  });

  it('throws at once for an SSE dialect or a missing dialect', () => {
    expect(() => fromNDJSON(oneByteAtATime(''), { dialect: 'openai-chat' })).toThrow(
      "rxllm: fromNDJSON: dialect 'openai-chat' is framed as sse, not NDJSON; use fromSSE",
    );
    expect(() => fromNDJSON(oneByteAtATime(''), {} as never)).toThrow(
      /fromNDJSON: config.dialect is required/,
    );
    expect(() => fromNDJSON('text' as never, { dialect: 'ollama' })).toThrow(/fromNDJSON expects a Response/);
  });
});
