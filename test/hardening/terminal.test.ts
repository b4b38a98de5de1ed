import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromSSE } from '../../src/sources/fromSSE';
import type { DialectName } from '../../src/wire/types';
import { run } from '../sources/helpers';
import { decode, sse, texts } from './support';

// Issue 12, item 8: data after the terminal event was appended to a finished message, and a late
// Anthropic `error` after message_stop failed a stream that had finished. Decision: everything
// after a dialect's terminal message is ignored, and the source stops reading there.

const chatChunk = (content: string, finish: string | null = null) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

const anthropicDone = [
  [
    { type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 3, output_tokens: 0 } } },
    'message_start',
  ],
  [
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    'content_block_start',
  ],
  [
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'done' } },
    'content_block_delta',
  ],
  [{ type: 'content_block_stop', index: 0 }, 'content_block_stop'],
  [
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
    'message_delta',
  ],
  [{ type: 'message_stop' }, 'message_stop'],
] as const;

const responsesDone = [
  [{ type: 'response.created', response: { id: 'r', model: 'm' } }],
  [{ type: 'response.output_text.delta', item_id: 'i', delta: 'done' }],
  [{ type: 'response.completed', response: { status: 'completed' } }],
] as const;

const cases: [DialectName, string, string][] = [
  ['openai-chat', sse([chatChunk('done', 'stop')], ['[DONE]']), sse([chatChunk(' late')])],
  [
    'anthropic',
    sse(...anthropicDone),
    sse([
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' late' } },
      'content_block_delta',
    ]),
  ],
  [
    'openai-responses',
    sse(...responsesDone),
    sse([{ type: 'response.output_text.delta', item_id: 'i', delta: ' late' }]),
  ],
  [
    'rxllm',
    sse([{ type: 'text', text: 'done' }, 'text'], ['[DONE]', 'done']),
    sse([{ type: 'text', text: ' late' }, 'text']),
  ],
  [
    'ollama',
    '{"model":"m","response":"done","done":true}\n',
    '{"model":"m","response":" late","done":false}\n',
  ],
];

describe.each(cases)('%s: after the terminal message', (dialect, finished, late) => {
  it('content is not appended to the finished message', async () => {
    const outcome = await decode(dialect, [finished, late]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.completed).toBe(true);
    expect(texts(outcome.events)).toBe('done');
  });

  it('in the same chunk, too', async () => {
    const outcome = await decode(dialect, finished + late);
    expect(texts(outcome.events)).toBe('done');
  });
});

it('anthropic: a late error after message_stop does not fail the finished stream', async () => {
  const late = sse([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error']);
  const outcome = await decode('anthropic', [sse(...anthropicDone), late]);
  expect(outcome.error).toBeUndefined();
  expect(outcome.completed).toBe(true);
  expect(texts(outcome.events)).toBe('done');
});

it('openai-responses: a late error after response.completed does not fail the finished stream', async () => {
  const late = sse([{ type: 'error', code: 'server_error', message: 'late' }]);
  const outcome = await decode('openai-responses', [sse(...responsesDone), late]);
  expect(outcome.error).toBeUndefined();
  expect(texts(outcome.events)).toBe('done');
});

describe('the source stops reading at the terminal message', () => {
  let server: Server;
  let closed: Promise<void>;
  let url: string;

  beforeEach(async () => {
    let markClosed!: () => void;
    closed = new Promise((resolve) => (markClosed = resolve));
    // Writes a finished Anthropic message, then keeps the response open forever, as a hostile or
    // broken upstream might: only a source that stops at message_stop completes.
    server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sse(...anthropicDone));
      response.on('close', markClosed);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('completes without waiting for EOF and closes the connection', async () => {
    const outcome = await run(fromSSE((signal) => fetch(url, { signal }), { dialect: 'anthropic' }));
    expect(outcome.completed).toBe(true);
    expect(texts(outcome.events)).toBe('done');
    await closed; // the server saw the client close the connection
  });
});
