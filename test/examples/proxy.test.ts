import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createProxy } from '../../examples/proxy/createProxy';
import { fixtureBytes } from '../support/decodeFixture';

interface Listening {
  url: string;
  server: Server;
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function close({ server }: Listening): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/**
 * A stand-in for a provider: plain node:http that answers with the bytes of a recorded stream,
 * picked by the request's `model`, and remembers what it was asked.
 */
function replayServer(
  fixtures: Record<string, string | { status: number; body: string; contentType?: string }>,
) {
  const requests: Array<{ path: string; headers: Record<string, unknown>; body: Record<string, unknown> }> =
    [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      const fixture = fixtures[String(body.model)];
      if (fixture === undefined) {
        res.writeHead(404).end();
      } else if (typeof fixture === 'string') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(fixtureBytes(fixture));
      } else {
        res.writeHead(fixture.status, { 'content-type': fixture.contentType ?? 'application/json' });
        res.end(fixture.body);
      }
    });
  });
  return { server, requests };
}

const anthropicUpstream = replayServer({
  'claude-tool-use': 'anthropic/tool-use.sse',
  'claude-bad-key': {
    status: 401,
    body: '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-***cret"}}',
  },
  'claude-html': {
    status: 502,
    contentType: 'text/html',
    body: '<html><body><h1>502 Bad Gateway</h1><p>nginx at internal-lb-7.corp.example</p></body></html>',
  },
  'claude-overloaded': 'anthropic/error-overloaded-midstream-spliced.sse',
});
const openaiUpstream = replayServer({
  'gpt-parallel-tools': 'openai-chat/parallel-tool-calls.sse',
  'gpt-text': 'openai-chat/text-include-usage.sse',
  'gpt-rate-limited': {
    status: 429,
    body: '{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}}',
  },
});

let anthropicServer: Listening;
let openaiServer: Listening;
let proxy: Listening;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  anthropicServer = await listen(anthropicUpstream.server);
  openaiServer = await listen(openaiUpstream.server);
  proxy = await listen(
    createProxy({
      anthropic: { baseURL: anthropicServer.url, apiKey: 'sk-ant-test' },
      openai: { baseURL: openaiServer.url, apiKey: 'sk-openai-test' },
      clientKeys: ['client-key-1', 'client-key-2'],
      maxBodyBytes: 2 * 1024 * 1024,
    }),
  );
  openai = new OpenAI({ apiKey: 'client-key-1', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'client-key-2', baseURL: proxy.url, maxRetries: 0 });
});

afterAll(async () => {
  await close(proxy);
  await close(anthropicServer);
  await close(openaiServer);
});

describe('examples/proxy', () => {
  it('answers the openai client from Anthropic, mapping the request to the Messages API', async () => {
    const completion = await openai.chat.completions
      .stream({
        model: 'claude-tool-use',
        max_tokens: 300,
        temperature: 0.2,
        stop: ['END'],
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Weather in Berlin?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Berlin"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '12°C' },
          { role: 'user', content: [{ type: 'text', text: 'And Paris?' }] },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Current weather',
              parameters: {
                type: 'object',
                properties: { location: { type: 'string' } },
                required: ['location'],
              },
            },
          },
        ],
        tool_choice: 'auto',
      })
      .finalChatCompletion();

    expect(completion.id).toBe('msg_019Q1hrJbZG26Fb9BQhrkHEr');
    expect(completion.model).toBe('claude-sonnet-4-20250514');
    expect(completion.choices[0]!.message.content).toBe("I'll check the current weather in Paris for you.");
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location": "Paris"}' },
      },
    ]);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ prompt_tokens: 377, completion_tokens: 65, total_tokens: 442 });

    const upstream = anthropicUpstream.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/messages');
    expect(upstream.headers['x-api-key']).toBe('sk-ant-test');
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.body).toEqual({
      model: 'claude-tool-use',
      max_tokens: 300,
      system: 'You are terse.',
      temperature: 0.2,
      stop_sequences: ['END'],
      stream: true,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Berlin?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Berlin' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '12°C' },
            { type: 'text', text: 'And Paris?' },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          input_schema: {
            type: 'object',
            properties: { location: { type: 'string' } },
            required: ['location'],
          },
        },
      ],
      tool_choice: { type: 'auto' },
    });
  });

  it('answers the anthropic client from OpenAI, mapping the request to Chat Completions', async () => {
    const message = await anthropic.messages
      .stream({
        model: 'gpt-parallel-tools',
        max_tokens: 200,
        system: 'Use tools.',
        messages: [
          { role: 'user', content: 'Weather in Edinburgh and the AAPL price?' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_stock_price', input: { ticker: 'MSFT' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '410' },
              { type: 'text', text: 'Now those two.' },
            ],
          },
        ],
        tools: [
          {
            name: 'get_stock_price',
            description: 'Stock price',
            input_schema: { type: 'object', properties: { ticker: { type: 'string' } } },
          },
        ],
        tool_choice: { type: 'any' },
      })
      .finalMessage();

    expect(message.id).toBe('chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63');
    expect(message.content).toEqual([
      {
        type: 'tool_use',
        id: 'call_JMW1whyEaYG438VE1OIflxA2',
        name: 'GetWeatherArgs',
        input: { city: 'Edinburgh', country: 'GB', units: 'c' },
      },
      {
        type: 'tool_use',
        id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou',
        name: 'get_stock_price',
        input: { ticker: 'AAPL', exchange: 'NASDAQ' },
      },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 149, output_tokens: 60 });

    const upstream = openaiUpstream.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer sk-openai-test');
    expect(upstream.body).toEqual({
      model: 'gpt-parallel-tools',
      max_completion_tokens: 200,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Weather in Edinburgh and the AAPL price?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_stock_price', arguments: '{"ticker":"MSFT"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '410' },
        { role: 'user', content: 'Now those two.' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_stock_price',
            description: 'Stock price',
            parameters: { type: 'object', properties: { ticker: { type: 'string' } } },
          },
        },
      ],
      tool_choice: 'required',
    });
  });

  it('streams OpenAI text to the anthropic client as it arrives', async () => {
    const stream = anthropic.messages.stream({
      model: 'gpt-text',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather in SF?' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.join('')).toBe(
      "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
    );
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 14, output_tokens: 30 });
  });

  it("passes Anthropic's mid-stream overload to the openai client as an APIError after the partial text", async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude-overloaded',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    let failure: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (error) {
      failure = error;
    }
    expect(text).toBe('Hello there');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('server_overloaded');
    expect((failure as Error).message).toBe('Overloaded');
  });

  it("passes OpenAI's HTTP 429 to the anthropic client as a 429 rate_limit_error, in generic words", async () => {
    const stream = anthropic.messages.stream({
      model: 'gpt-rate-limited',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const failure = await stream.finalMessage().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).type).toBe('rate_limit_error');
    expect((failure as InstanceType<typeof Anthropic.APIError>).status).toBe(429);
    expect((failure as InstanceType<typeof Anthropic.APIError>).apiMessage).toBe(
      'Rate limit reached upstream; retry later',
    );
  });

  it('refuses a non-streaming request in the client dialect', async () => {
    const failure = await openai.chat.completions
      .create({ model: 'claude-tool-use', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as Error).message).toBe('400 only stream: true is supported');
  });

  describe('as a safe proxy', () => {
    const hi = [{ role: 'user' as const, content: 'Hi' }];

    it.each([
      ['no key', undefined],
      ['a wrong key', 'client-key-3'],
      ['a prefix of a key', 'client-key-'],
    ])('answers 401 to a client with %s, before any upstream request', async (_name, key) => {
      const before = anthropicUpstream.requests.length + openaiUpstream.requests.length;
      const openaiClient = new OpenAI({ apiKey: 'x', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
      const openaiFailure = await openaiClient.chat.completions
        .create(
          { model: 'claude-tool-use', messages: hi, stream: true },
          { headers: { authorization: key === undefined ? null : `Bearer ${key}` } },
        )
        .catch((error: unknown) => error);
      expect(openaiFailure).toBeInstanceOf(OpenAI.AuthenticationError);
      // The Anthropic SDK refuses to send a request without a key; a bare request stands in.
      const anthropicFailure =
        key === undefined
          ? await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body: '{}' }).then(async (response) =>
              response.status === 401 &&
              ((await response.json()) as { error: { type: string } }).error.type === 'authentication_error'
                ? new Anthropic.AuthenticationError(401, undefined, undefined, new Headers())
                : response,
            )
          : await new Anthropic({ apiKey: key, baseURL: proxy.url, maxRetries: 0 }).messages
              .create({ model: 'gpt-text', max_tokens: 10, messages: hi, stream: true })
              .catch((error: unknown) => error);
      expect(anthropicFailure).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(anthropicUpstream.requests.length + openaiUpstream.requests.length).toBe(before);
    });

    it.each([
      ['an upstream 401 quoting the masked key', 'claude-bad-key', ['sk-ant', 'cret', 'x-api-key']],
      ['an upstream HTML error page', 'claude-html', ['<html', 'nginx', 'corp.example']],
    ])('turns %s into a clean 502, before streaming', async (_name, model, secrets) => {
      const failure = await openai.chat.completions
        .create({ model, messages: hi, stream: true })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      const shown = JSON.stringify((failure as InstanceType<typeof OpenAI.APIError>).error) + String(failure);
      for (const secret of secrets) expect(shown).not.toContain(secret);
    });

    it('never shows credentials from the upstream URL', async () => {
      const leaky = await listen(
        createProxy({
          anthropic: {
            baseURL: anthropicServer.url.replace('http://', 'http://admin:hunter2@'),
            apiKey: 'k',
          },
          openai: { baseURL: openaiServer.url, apiKey: 'k' },
          clientKeys: ['client-key-1'],
        }),
      );
      try {
        const client = new OpenAI({ apiKey: 'client-key-1', baseURL: `${leaky.url}/v1`, maxRetries: 0 });
        const failure = await client.chat.completions
          .create({ model: 'claude-tool-use', messages: hi, stream: true })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(OpenAI.APIError);
        expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
        const shown =
          JSON.stringify((failure as InstanceType<typeof OpenAI.APIError>).error) + String(failure);
        expect(shown).not.toContain('hunter2');
        expect(shown).not.toContain('admin');
      } finally {
        await close(leaky);
      }
    });

    it('decodes a 300k-character CJK request body as UTF-8 across chunk boundaries', async () => {
      const content = '漢字かな交じり文'.repeat(300_000 / 8);
      const stream = openai.chat.completions.stream({
        model: 'claude-tool-use',
        messages: [{ role: 'user', content }],
      });
      await stream.finalChatCompletion();
      const sent = anthropicUpstream.requests.at(-1)!.body as { messages: Array<{ content: unknown }> };
      const received = JSON.stringify(sent.messages[0]!.content);
      expect(received).not.toContain('\ufffd');
      expect(received).toContain(content);
    });

    it('answers 413 to a body over the limit, without asking the upstream', async () => {
      const before = anthropicUpstream.requests.length;
      const failure = await openai.chat.completions
        .create({
          model: 'claude-tool-use',
          messages: [{ role: 'user', content: 'x'.repeat(3_000_000) }],
          stream: true,
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
      expect(anthropicUpstream.requests.length).toBe(before);
    });

    it('answers 400 to a body that is not JSON', async () => {
      const response = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'client-key-1' },
        body: '{"stream": tru',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'The body is not a JSON object' },
      });
    });
  });
});
