import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { decodeChunks, fixtureBytes } from '../support/decodeFixture';
import { readmeExamples, runReadmeExample } from '../readme/readmeExamples';
import { readFrames, type Frame } from './support/sseClient';
import { startRedisServer, type RedisServer } from './support/redisServer';

/**
 * The README's "Resumable streams" example, run as written against a real redis-server: two HTTP
 * servers stand for two instances, each running the example's handlers (each its own log client
 * on the same Redis); a client reads part of the answer from A, drops, and resumes on B.
 */

const transcript = fixtureBytes('openai-chat/text-include-usage.sse');
const fullText = decodeChunks('openai-chat', [transcript]).message.text;
let redis: RedisServer;
let provider: ReplayServer;
const servers: Server[] = [];
const handlers: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  redis = await startRedisServer();
  provider = await createReplayServer({ transcript, timing: { tokensPerSecond: 60 } });
  process.env.REDIS_URL = redis.url;
  process.env.OPENAI_BASE_URL = provider.openaiBaseURL;
  process.env.OPENAI_API_KEY = 'test';
});

afterAll(async () => {
  for (const server of servers) server.close();
  for (const handler of handlers) (handler.log as { close?: () => Promise<void> }).close?.();
  await provider.close();
  await redis.stop();
});

/** The answer text in OpenAI chat chunks. */
function textOf(frames: Frame[]): string {
  return frames
    .filter((frame) => frame.data.startsWith('{'))
    .map(
      (frame) =>
        (JSON.parse(frame.data) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta
          ?.content ?? '',
    )
    .join('');
}

async function instance(): Promise<string> {
  const example = readmeExamples().find((candidate) => candidate.name === 'resumable')!;
  const handler = await runReadmeExample(example, {}, require);
  handlers.push(handler);
  type Handler = (...args: unknown[]) => Promise<void>;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [, , id, action] = (req.url ?? '').split('?')[0]!.split('/');
    if (req.method === 'POST' && action === 'cancel')
      void (handler.cancelChat as Handler)(id).then(() => res.end());
    else if (req.method === 'POST')
      void (handler.startChat as Handler)(
        id,
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] },
        req,
        res,
      );
    else void (handler.resumeChat as Handler)(id, req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('README example: resumable', () => {
  it('resumes on another instance after Last-Event-ID, the text whole, with one model call', async () => {
    const [a, b] = [await instance(), await instance()];
    const first = await readFrames(`${a}/chat/readme-1`, {
      method: 'POST',
      stopWhen: (frames) => frames.filter((frame) => frame.data.includes('"content"')).length >= 5,
    });
    expect(first.dropped).toBe(true);
    const lastId = first.frames.at(-1)!.id!;
    const rest = await readFrames(`${b}/chat/readme-1`, { headers: { 'last-event-id': lastId } });
    expect(rest.status).toBe(200);
    expect(textOf(first.frames) + textOf(rest.frames)).toBe(fullText);
    expect(provider.requests).toHaveLength(1);
    // An unknown stream is a 404, not a new model call.
    expect((await readFrames(`${b}/chat/no-such-stream`)).status).toBe(404);
    expect(provider.requests).toHaveLength(1);
  });
});
