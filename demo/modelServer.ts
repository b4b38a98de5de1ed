import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answersFor, toTokens } from './answers';

/** How one kind of model streams: a local model answers at once but slowly, a cloud model the other way round. */
export interface StreamProfile {
  /** From the request to the first token, ms. */
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
}

export const localProfile: StreamProfile = { timeToFirstTokenMs: 150, tokensPerSecond: 30 };
export const cloudProfile: StreamProfile = { timeToFirstTokenMs: 900, tokensPerSecond: 90 };

/** An HTTP error to answer with instead of a stream, as the provider would send it. */
export interface ServerFault {
  status: number;
  body: object;
}

export type Api = 'ollama' | 'openai' | 'anthropic';

export interface ModelServerConfig {
  /** Playback speed: 2 is twice as fast. Default 1. */
  speed?: number;
  /** Per API, an error to answer every request with. */
  faults?: Partial<Record<Api, ServerFault>>;
  /**
   * Called when a stream is about to write its last token; the token (and the stream's end) waits
   * until the promise settles or the client leaves. Tests use it to look at a run mid-stream
   * without racing the clock: a run held this way cannot finish before they release it.
   */
  hold?: () => Promise<unknown>;
}

export interface ModelServer {
  /** `http://127.0.0.1:<port>`: Ollama's base URL; `url + '/v1'` is OpenAI's, `url` Anthropic's. */
  url: string;
  /** Streams currently being written. */
  readonly activeStreams: number;
  /** Streams whose client went away before the end (an aborted request). */
  readonly abortedStreams: number;
  close(): Promise<void>;
}

export const models: Record<Api, string> = {
  ollama: 'llama3.2',
  openai: 'gpt-4o-mini-2024-07-18',
  anthropic: 'claude-haiku-4-5-20251001',
};

/** The errors each provider really sends for the failures the demo can inject (`--fail`). */
export const faults: Record<Api, ServerFault> = {
  ollama: { status: 404, body: { error: 'model "llama3.2" not found, try pulling it first' } },
  openai: {
    status: 401,
    body: {
      error: {
        message:
          'Incorrect API key provided: sk-demo. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    },
  },
  anthropic: {
    status: 401,
    body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
  },
};

/**
 * One in-process HTTP server on 127.0.0.1 that speaks Ollama's NDJSON (`/api/chat`,
 * `/api/generate`), OpenAI's Chat Completions SSE (`/v1/chat/completions`) and Anthropic's
 * Messages SSE (`/v1/messages`), streaming the canned answer to the request's prompt token by
 * token: the local answer with {@link localProfile}'s timing, the cloud answers with
 * {@link cloudProfile}'s, with a little deterministic jitter, as a real server would.
 */
export async function startModelServer(config: ModelServerConfig = {}): Promise<ModelServer> {
  const speed = config.speed ?? 1;
  let active = 0;
  let aborted = 0;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // An empty or broken body gets the default answer: this is a demo, not a validator.
      }
      const path = new URL(request.url ?? '/', 'http://demo').pathname;
      const api: Api | undefined =
        path === '/api/chat' || path === '/api/generate'
          ? 'ollama'
          : path === '/v1/chat/completions'
            ? 'openai'
            : path === '/v1/messages'
              ? 'anthropic'
              : undefined;
      if (request.method !== 'POST' || api === undefined) {
        sendJson(response, 404, { error: `no such endpoint: ${request.method} ${path}` });
        return;
      }
      const fault = config.faults?.[api];
      if (fault) {
        sendJson(response, fault.status, fault.body);
        return;
      }
      active++;
      void stream(api, path, body, response, speed, config.hold).then((completed) => {
        active--;
        if (!completed) aborted++;
      });
    });
    request.on('error', () => response.destroy());
  });
  // Keep-alive sockets of SDK clients would hold close() open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get activeStreams() {
      return active;
    },
    get abortedStreams() {
      return aborted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The prompt of an Ollama, OpenAI or Anthropic request body: the last user message's text. */
export function promptOf(body: Record<string, unknown>): string {
  if (typeof body.prompt === 'string') return body.prompt;
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const user = messages.filter((message) => message.role === 'user').at(-1);
  const content = user?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
  return '';
}

/** Writes one response; resolves true when it was sent to the end, false when the client left. */
async function stream(
  api: Api,
  path: string,
  body: Record<string, unknown>,
  response: ServerResponse,
  speed: number,
  hold?: () => Promise<unknown>,
): Promise<boolean> {
  const prompt = promptOf(body);
  const answers = answersFor(prompt);
  // Given tools (`npm run demo -- --agent`), the local model calls the first one, then answers
  // from its result: a small agent, as a tool-calling Ollama model behaves.
  const agent = api === 'ollama' && path === '/api/chat' ? agentTurn(body, prompt) : undefined;
  if (agent?.call !== undefined)
    return callTool(agent.call, JSON.stringify([body.tools, body.messages]), response, speed);
  const tokens = toTokens(agent?.answer ?? (api === 'ollama' ? answers.local : answers.cloud));
  const profile = api === 'ollama' ? localProfile : cloudProfile;
  // With tools, the model reads the tools and the whole conversation, not the prompt alone.
  const read = agent === undefined ? prompt : JSON.stringify([body.tools, body.messages]);
  const format = formats[api](path, body, read, tokens.length);
  let closed = false;
  const gone = new Promise<void>((resolve) =>
    response.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  const random = mulberry32(tokens.length * 7919 + api.length);
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms / speed);
      void gone.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  const write = async (text: string) => {
    if (closed) return;
    if (!response.write(text)) await Promise.race([new Promise((r) => response.once('drain', r)), gone]);
  };

  const startedAt = Date.now();
  response.writeHead(200, {
    'content-type': api === 'ollama' ? 'application/x-ndjson' : 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  response.flushHeaders();
  await write(format.head());
  await wait(profile.timeToFirstTokenMs * (0.85 + 0.3 * random()));
  const firstAt = Date.now();
  for (const [index, token] of tokens.entries()) {
    if (hold && index === tokens.length - 1) await Promise.race([hold(), gone]);
    if (closed) return false;
    await write(format.token(token));
    // Jitter around the mean rate, with an occasional hiccup as real servers have.
    const hiccup = random() < 0.03 ? 4 : 1;
    await wait(((0.6 + 0.8 * random()) * hiccup * 1000) / profile.tokensPerSecond);
  }
  if (closed) return false;
  await write(format.tail((firstAt - startedAt) * 1e6, (Date.now() - firstAt) * 1e6));
  if (closed) return false;
  await new Promise<void>((resolve) => response.end(resolve));
  return true;
}

/** What the local model does with a request that offers tools: call one, or answer from its result. */
export function agentTurn(
  body: Record<string, unknown>,
  prompt: string,
):
  | { call: { name: string; arguments: Record<string, unknown> } }
  | { call?: undefined; answer: string }
  | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ function?: { name?: unknown } }>) : [];
  const name = tools[0]?.function?.name;
  if (typeof name !== 'string') return undefined;
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const result = messages.filter((message) => message.role === 'tool').at(-1);
  if (result === undefined) {
    // The city the prompt asks about ("… in Oslo?"), else Paris.
    const city = /\bin ([A-Z][\p{L}-]*(?: [A-Z][\p{L}-]*)*)/u.exec(prompt)?.[1] ?? 'Paris';
    return { call: { name, arguments: { city } } };
  }
  let facts: { city?: unknown; tempC?: unknown; sky?: unknown } = {};
  try {
    facts = JSON.parse(String(result.content)) as typeof facts;
  } catch {
    return { answer: `The ${name} tool said: ${String(result.content)}` };
  }
  return {
    answer: `It is ${String(facts.tempC)}°C and ${String(facts.sky)} in ${String(facts.city)} right now, according to the ${name} tool.`,
  };
}

/** Streams an Ollama tool call: the call whole in one line (as Ollama sends it), then the end. */
async function callTool(
  call: { name: string; arguments: Record<string, unknown> },
  prompt: string,
  response: ServerResponse,
  speed: number,
): Promise<boolean> {
  const line = (fields: object) =>
    `${JSON.stringify({ model: models.ollama, created_at: new Date().toISOString(), ...fields })}\n`;
  response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  response.flushHeaders();
  const thinkMs = localProfile.timeToFirstTokenMs * 2;
  await new Promise((resolve) => setTimeout(resolve, thinkMs / speed));
  if (response.destroyed) return false;
  response.write(
    line({ message: { role: 'assistant', content: '', tool_calls: [{ function: call }] }, done: false }),
  );
  const evalCount = 10 + JSON.stringify(call).length / 4;
  await new Promise<void>((resolve) =>
    response.end(
      line({
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'stop',
        total_duration: Math.round(thinkMs * 1e6 + 2e6),
        load_duration: 2_000_000,
        prompt_eval_count: promptTokens(prompt),
        prompt_eval_duration: Math.round(thinkMs * 0.4e6),
        eval_count: Math.round(evalCount),
        eval_duration: Math.round(thinkMs * 0.6e6),
      }),
      resolve,
    ),
  );
  return true;
}

interface Format {
  head(): string;
  token(text: string): string;
  /** The end of the stream; durations in nanoseconds, as Ollama reports them. */
  tail(promptNs: number, evalNs: number): string;
}

const promptTokens = (prompt: string) => 12 + Math.ceil(prompt.length / 4);

const formats: Record<
  Api,
  (path: string, body: Record<string, unknown>, prompt: string, count: number) => Format
> = {
  ollama: (path, _body, prompt, count) => {
    const chat = path === '/api/chat';
    const line = (fields: object) =>
      `${JSON.stringify({ model: models.ollama, created_at: new Date().toISOString(), ...fields })}\n`;
    return {
      head: () => '',
      token: (text) =>
        line(
          chat
            ? { message: { role: 'assistant', content: text }, done: false }
            : { response: text, done: false },
        ),
      tail: (promptNs, evalNs) =>
        line({
          ...(chat ? { message: { role: 'assistant', content: '' } } : { response: '' }),
          done: true,
          done_reason: 'stop',
          total_duration: Math.round(promptNs + evalNs + 2e6),
          load_duration: 2_000_000,
          prompt_eval_count: promptTokens(prompt),
          prompt_eval_duration: Math.round(promptNs),
          eval_count: count,
          eval_duration: Math.round(evalNs),
        }),
    };
  },
  openai: (_path, body, prompt, count) => {
    const id = `chatcmpl-demo${count}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: object[], extra: object = {}) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: models.openai,
        system_fingerprint: 'fp_demo',
        choices,
        ...extra,
      })}\n\n`;
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    const input = promptTokens(prompt);
    return {
      head: () =>
        chunk([
          {
            index: 0,
            delta: { role: 'assistant', content: '', refusal: null },
            logprobs: null,
            finish_reason: null,
          },
        ]),
      token: (text) => chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]),
      tail: () =>
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]) +
        (includeUsage
          ? chunk([], {
              usage: {
                prompt_tokens: input,
                completion_tokens: count,
                total_tokens: input + count,
                prompt_tokens_details: { cached_tokens: 0 },
                completion_tokens_details: { reasoning_tokens: 0 },
              },
            })
          : '') +
        'data: [DONE]\n\n',
    };
  },
  anthropic: (_path, _body, prompt, count) => {
    const event = (name: string, data: object) =>
      `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    return {
      head: () =>
        event('message_start', {
          message: {
            id: `msg_demo${count}`,
            type: 'message',
            role: 'assistant',
            model: models.anthropic,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: promptTokens(prompt), output_tokens: 1 },
          },
        }) +
        event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        event('ping', {}),
      token: (text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      tail: () =>
        event('content_block_stop', { index: 0 }) +
        event('message_delta', {
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: count },
        }) +
        event('message_stop', {}),
    };
  },
};

/** A small seeded PRNG: the same jitter on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
