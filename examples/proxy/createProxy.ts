import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
// In your app: from 'rxllm'.
import { fromSSE, pipeToNodeResponse, toSSE } from '../../src/index';
import { anthropicRequestFromOpenAI, openAIRequestFromAnthropic } from './mapRequests';

export interface Upstream {
  /** Without the `/v1` path: `https://api.anthropic.com`, `https://api.openai.com`. */
  baseURL: string;
  apiKey: string;
}

/**
 * Two endpoints, each a few lines of rxllm:
 *
 * - `POST /v1/chat/completions`: OpenAI-compatible, answered by Anthropic. Any OpenAI client
 *   (or LangChain, or an IDE plugin) can talk to Claude.
 * - `POST /v1/messages`: Anthropic-compatible, answered by OpenAI (or any OpenAI-compatible
 *   server: vLLM, llama.cpp, Ollama's /v1).
 *
 * Streaming only. Errors reach the client in its own dialect (OpenAI's `{"error":…}`, Anthropic's
 * `event: error`); a client that disconnects aborts the upstream request.
 */
export function createProxy(upstreams: { anthropic: Upstream; openai: Upstream }): Server {
  return createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;

    if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      if (body.stream !== true)
        return refuse(res, {
          error: { message: 'only stream: true is supported', type: 'invalid_request_error' },
        });
      const { anthropic } = upstreams;
      const events$ = fromSSE(
        (signal) =>
          fetch(`${anthropic.baseURL}/v1/messages`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-api-key': anthropic.apiKey,
              'anthropic-version': '2023-06-01',
            },
            body: JSON.stringify(anthropicRequestFromOpenAI(body)),
            signal,
          }),
        { dialect: 'anthropic' },
      );
      await pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'openai-chat' })), res, {
        dialect: 'openai-chat',
      });
      return;
    }

    if (req.method === 'POST' && req.url === '/v1/messages') {
      if (body.stream !== true)
        return refuse(res, {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'only stream: true is supported' },
        });
      const { openai } = upstreams;
      const events$ = fromSSE(
        (signal) =>
          fetch(`${openai.baseURL}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${openai.apiKey}` },
            body: JSON.stringify(openAIRequestFromAnthropic(body)),
            signal,
          }),
        { dialect: 'openai-chat' },
      );
      await pipeToNodeResponse(events$.pipe(toSSE({ dialect: 'anthropic' })), res, { dialect: 'anthropic' });
      return;
    }

    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route for ${req.method} ${req.url}` } }));
  }
}

function refuse(res: ServerResponse, body: unknown): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}
