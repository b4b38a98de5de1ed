import type { RxllmErrorCode } from '../../src/base/errors';
import type { DialectName } from '../../src/wire/types';
import { decodeChunks } from '../support/decodeFixture';

/**
 * An in-band error is what a provider sends once the 200 headers are out; it must be classified
 * as the same failure sent as an HTTP status would be, so that `retryStream` retries what is
 * retryable. Each case is a provider's real error shape (from its docs and recordings).
 */
const sse = (...events: Array<[event: string | undefined, data: unknown]>) =>
  events
    .map(([event, data]) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`)
    .join('');

const chatChunk = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
};
const messageStart = {
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: {} },
};
const created = { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', output: [] } };
const geminiChunk = { candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }] };

interface Case {
  name: string;
  dialect: DialectName;
  input: string;
  expected: { code: RxllmErrorCode; retryable: boolean; status?: number; providerCode?: string };
}

const cases: Case[] = [
  {
    name: "OpenAI's mid-stream server_error",
    dialect: 'openai-chat',
    input: sse(
      [undefined, chatChunk],
      [
        undefined,
        {
          error: {
            message: 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
      ],
    ),
    expected: { code: 'http', status: 500, retryable: true, providerCode: 'server_error' },
  },
  {
    name: 'an OpenAI-compatible server_overloaded code',
    dialect: 'openai-chat',
    input: sse([undefined, { error: { message: 'busy', type: 'server_error', code: 'server_overloaded' } }]),
    expected: { code: 'overloaded', status: 503, retryable: true, providerCode: 'server_overloaded' },
  },
  {
    name: "OpenRouter's numeric 502 code",
    dialect: 'openai-chat',
    input: sse([undefined, { error: { message: 'Provider returned error', code: 502 } }]),
    expected: { code: 'http', status: 502, retryable: true },
  },
  {
    name: 'an OpenAI invalid_request_error (a 400: not retryable)',
    dialect: 'openai-chat',
    input: sse([undefined, { error: { message: 'bad', type: 'invalid_request_error', code: null } }]),
    expected: { code: 'http', status: 400, retryable: false, providerCode: 'invalid_request_error' },
  },
  {
    name: "Anthropic's api_error",
    dialect: 'anthropic',
    input: sse(
      ['message_start', messageStart],
      ['error', { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }],
    ),
    expected: { code: 'http', status: 500, retryable: true, providerCode: 'api_error' },
  },
  {
    name: "Anthropic's overloaded_error",
    dialect: 'anthropic',
    input: sse(
      ['message_start', messageStart],
      ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }],
    ),
    expected: { code: 'overloaded', status: 529, retryable: true, providerCode: 'overloaded_error' },
  },
  {
    name: "the Responses API's server_error event",
    dialect: 'openai-responses',
    input: sse(
      ['response.created', created],
      ['error', { type: 'error', code: 'server_error', message: 'boom', param: null }],
    ),
    expected: { code: 'http', status: 500, retryable: true, providerCode: 'server_error' },
  },
  {
    name: "the Responses API's insufficient_quota (not retryable)",
    dialect: 'openai-responses',
    input: sse(
      ['response.created', created],
      ['error', { type: 'error', code: 'insufficient_quota', message: 'quota', param: null }],
    ),
    expected: { code: 'rate-limit', status: 429, retryable: false, providerCode: 'insufficient_quota' },
  },
  {
    name: "Gemini's {error:{code:500,status:INTERNAL}}",
    dialect: 'gemini',
    input: sse(
      [undefined, geminiChunk],
      [undefined, { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }],
    ),
    expected: { code: 'http', status: 500, retryable: true, providerCode: 'INTERNAL' },
  },
  {
    name: "Gemini's {error:{code:503,status:UNAVAILABLE}}",
    dialect: 'gemini',
    input: sse(
      [undefined, geminiChunk],
      [undefined, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }],
    ),
    expected: { code: 'overloaded', status: 503, retryable: true, providerCode: 'UNAVAILABLE' },
  },
  {
    name: "Ollama's server-busy line",
    dialect: 'ollama',
    input: `${JSON.stringify({ error: 'server busy, please try again.  maximum pending requests exceeded' })}\n`,
    expected: { code: 'overloaded', status: 503, retryable: true },
  },
  {
    name: 'an OpenAI-style error nested in an Ollama line',
    dialect: 'ollama',
    input: `${JSON.stringify({ error: { message: 'oops', type: 'server_error' } })}\n`,
    expected: { code: 'http', status: 500, retryable: true, providerCode: 'server_error' },
  },
];

describe('in-band provider errors are classified like their HTTP equivalents', () => {
  it.each(cases.map((entry) => [entry.name, entry] as const))('%s', (_name, { dialect, input, expected }) => {
    const { error } = decodeChunks(dialect, [input]);
    expect(error).toBeDefined();
    expect(error).toMatchObject({ dialect, ...expected });
  });
});
