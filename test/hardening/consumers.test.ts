import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { from } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import type { DialectName } from '../../src/wire/types';
import { serveEvents, type EventServer } from '../consumers/serveEvents';

// Issue 12, item 4, read by the real clients: an upstream whose ids, model and text carry line
// breaks and forged SSE fields is re-encoded by toSSE, and each official SDK reads exactly the
// one response it was sent, its text intact, with no injected error.

const forged =
  'x\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"injected"}}\n\n';

const events: RxllmEvent[] = [
  { type: 'start', id: `resp_${forged}`, model: `model${forged}`, provider: 'p' },
  { type: 'text', text: `hello ${forged}` },
  { type: 'tool-call-start', id: `call_${forged}`, name: 'lookup', index: 0 },
  { type: 'tool-call-delta', id: `call_${forged}`, index: 0, argsText: JSON.stringify({ q: forged }) },
  {
    type: 'tool-call',
    id: `call_${forged}`,
    name: 'lookup',
    index: 0,
    args: { q: forged },
    argsText: JSON.stringify({ q: forged }),
  },
  { type: 'finish', reason: 'tool-calls' },
  { type: 'usage', inputTokens: 3, outputTokens: 4, totalTokens: 7 },
];

let server: EventServer;
let dialect: DialectName;
beforeAll(async () => {
  server = await serveEvents(() => ({ events: from(events), dialect }));
});
afterAll(() => server.close());

it('openai responses.stream() reads one response with the text and the call intact', async () => {
  dialect = 'openai-responses';
  const client = new OpenAI({ apiKey: 'k', baseURL: `${server.url}/v1`, maxRetries: 0 });
  const runner = client.responses.stream({ model: 'm', input: 'hi' });
  const types: string[] = [];
  runner.on('event', (event) => types.push(event.type));
  const response = await runner.finalResponse();
  expect(types).not.toContain('error');
  expect(types.filter((type) => type === 'response.completed')).toHaveLength(1);
  expect(response.id).toBe(`resp_${forged}`);
  expect(response.output_text).toBe(`hello ${forged}`);
  const call = response.output.find((item) => item.type === 'function_call');
  expect(call).toMatchObject({ call_id: `call_${forged}`, arguments: JSON.stringify({ q: forged }) });
});

it('openai chat.completions stream reads the text and the call intact', async () => {
  dialect = 'openai-chat';
  const client = new OpenAI({ apiKey: 'k', baseURL: `${server.url}/v1`, maxRetries: 0 });
  const runner = client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const completion = await runner.finalChatCompletion();
  expect(completion.id).toBe(`resp_${forged}`);
  expect(completion.choices[0]?.message.content).toBe(`hello ${forged}`);
  expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: `call_${forged}` });
});

it('anthropic messages.stream() reads one message with the text and the tool input intact', async () => {
  dialect = 'anthropic';
  const client = new Anthropic({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
  const message = await client.messages
    .stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    .finalMessage();
  expect(message.id).toBe(`resp_${forged}`);
  expect(message.model).toBe(`model${forged}`);
  expect(message.content[0]).toMatchObject({ type: 'text', text: `hello ${forged}` });
  expect(message.content[1]).toMatchObject({ type: 'tool_use', id: `call_${forged}`, input: { q: forged } });
});
