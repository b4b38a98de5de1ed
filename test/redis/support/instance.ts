/**
 * One rxllm server instance for the multi-process tests: its own process, sharing one Redis with
 * the others. POST /chat/:id starts a producer (fromOpenAI against the replay server) and streams
 * it; GET /chat/:id resumes from the log; POST /chat/:id/cancel cancels it wherever it runs.
 * Prints `listening <port>` when ready.
 */
import { createServer } from 'node:http';
import Redis from 'ioredis';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createRedisStreamLog } from '../../../src/log/createRedisStreamLog';
import { persistStream } from '../../../src/log/persistStream';
import { serveStreamLog } from '../../../src/log/serveStreamLog';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../../../src/base/events';
import { fromBedrockEventStream } from '../../../src/bedrock/fromBedrockEventStream';
import { fromAnthropic } from '../../../src/sources/fromAnthropic';
import { fromNDJSON } from '../../../src/sources/fromNDJSON';
import { fromOpenAI } from '../../../src/sources/fromOpenAI';
import { fromSSE } from '../../../src/sources/fromSSE';
import type { DialectName } from '../../../src/wire/types';

const redis = new Redis(Number(process.env.REDIS_PORT), '127.0.0.1');
// Failed commands report connection errors; no need to log each reconnect attempt too.
redis.on('error', () => {});
const log = createRedisStreamLog(redis);
const leaseMs = Number(process.env.LEASE_MS ?? 1000);
const batchMs = Number(process.env.BATCH_MS ?? 20);
const anthropic = new Anthropic({ baseURL: process.env.PROVIDER_URL, apiKey: 'test', maxRetries: 0 });
const openai = new OpenAI({ baseURL: `${process.env.PROVIDER_URL}/v1`, apiKey: 'test', maxRetries: 0 });

/**
 * The producer for `?fixture=<path>&input=<dialect>`: the replay server's `/fixture/<path>` route
 * read as that provider dialect (SSE, NDJSON or Bedrock's event stream); else the SDK sources.
 */
function producer(url: URL): Observable<RxllmEvent> {
  const fixture = url.searchParams.get('fixture');
  if (fixture !== null) {
    const input = url.searchParams.get('input') as DialectName;
    const request = (signal: AbortSignal) =>
      fetch(`${process.env.PROVIDER_URL}/fixture/${fixture}`, { method: 'POST', signal });
    if (input === 'bedrock-converse' || input === 'bedrock-anthropic') {
      return fromBedrockEventStream(request, { dialect: input });
    }
    return input === 'ollama'
      ? fromNDJSON(request, { dialect: input })
      : fromSSE(request, { dialect: input });
  }
  return url.searchParams.get('provider') === 'anthropic'
    ? fromAnthropic(anthropic, {
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'hi' }],
      })
    : fromOpenAI(openai, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/chat\/([\w-]+)(\/cancel)?$/.exec(url.pathname);
  if (match === null) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const id = match[1]!;
  const dialect = (url.searchParams.get('dialect') ?? 'rxllm') as DialectName;
  const serve = { dialect, waitMs: leaseMs };
  void (async () => {
    if (match[2] !== undefined) {
      const cancelled = await log.cancel(id);
      res.statusCode = cancelled ? 200 : 404;
      res.end(JSON.stringify({ cancelled }));
    } else if (req.method === 'POST') {
      await persistStream(producer(url), log, id, { leaseMs, batchMs });
      await serveStreamLog(log, id, req, res, serve);
    } else {
      await serveStreamLog(log, id, req, res, serve);
    }
  })().catch((error: unknown) => {
    if (!res.headersSent) res.statusCode = 500;
    res.end(String(error));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
