import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { concat, from, throwError } from 'rxjs';
import { decodeChunks } from '../support/decodeFixture';
import { fixtureSource, serveByModel, type EventServer } from './serveEvents';

/**
 * Streams the wider decoding reads (Magistral content parts, Vertex AI streamed arguments, a
 * stream that ended without a finish reason), re-encoded by toSSE and read by the official
 * Anthropic and OpenAI clients over real HTTP: what rxllm decoded must make a valid stream.
 */

/** A tool call streamed by an OpenAI-compatible server that ended with [DONE] and no finish_reason. */
const noFinishSSE = [
  {
    id: 'chatcmpl-nf',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'compat-model',
    choices: [
      {
        index: 0,
        delta: {
          role: 'assistant',
          tool_calls: [
            { index: 0, id: 'call_nf', type: 'function', function: { name: 'lookup', arguments: '' } },
          ],
        },
        finish_reason: null,
      },
    ],
  },
  {
    id: 'chatcmpl-nf',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'compat-model',
    choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":"rx"}' } }] } }],
  },
]
  .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
  .concat('data: [DONE]\n\n')
  .join('');

function sourceOf(decoded: ReturnType<typeof decodeChunks>) {
  const events$ = decoded.error
    ? concat(
        from(decoded.events),
        throwError(() => decoded.error),
      )
    : from(decoded.events);
  return { ...decoded, events$ };
}

const sources = {
  magistral: fixtureSource('openai-chat', 'mistral/magistral-thinking-content-parts.sse'),
  vertexArgs: fixtureSource('gemini', 'vertex/stream-function-call-args-two-calls.sse'),
  noFinish: sourceOf(decodeChunks('openai-chat', [noFinishSSE])),
};
type SourceName = keyof typeof sources;

describe('wider decoding read back by the @anthropic-ai/sdk client', () => {
  let server: EventServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await serveByModel(sources, 'anthropic');
    client = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
  });

  afterAll(() => server.close());

  const finalMessage = (model: SourceName) =>
    client.messages
      .stream({ model, max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();

  it('gives a tool_use stop reason to a stream that ended without a finish reason', async () => {
    const message = await finalMessage('noFinish');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_nf', name: 'lookup', input: { q: 'rx' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it("serves Magistral's thinking parts as a thinking block before the text", async () => {
    const message = await finalMessage('magistral');
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking: 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.',
        signature: '',
      },
      { type: 'text', text: '2 + 2 = 4' },
    ]);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('serves Vertex AI streamed arguments as two tool_use blocks with their inputs', async () => {
    const message = await finalMessage('vertexArgs');
    expect(message.content.filter((block) => block.type === 'tool_use')).toEqual([
      { type: 'tool_use', id: 'call_0', name: 'getWeather', input: { location: 'Boston' } },
      { type: 'tool_use', id: 'call_1', name: 'getWeather', input: { location: 'San Francisco' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });
});

describe('wider decoding read back by the openai client', () => {
  let server: EventServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await serveByModel(sources, 'openai-chat');
    client = new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1`, maxRetries: 0 });
  });

  afterAll(() => server.close());

  it('finishes a stream that ended without a finish reason with tool_calls', async () => {
    const completion = await client.chat.completions
      .stream({ model: 'noFinish', messages: [{ role: 'user', content: 'Hi' }] })
      .finalChatCompletion();
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls).toMatchObject([
      { id: 'call_nf', function: { name: 'lookup', arguments: '{"q":"rx"}' } },
    ]);
  });
});
