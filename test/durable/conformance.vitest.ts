import { createServer, type Server } from 'node:http';
import { runConformanceTests } from '@durable-streams/server-conformance-tests';
import { afterAll, beforeAll, describe } from 'vitest';
import { createMemoryStreamLog } from '../../src/log/createMemoryStreamLog';
import { durableStreamNodeHandler } from '../../src/log/durableStreamNodeHandler';
import type { StreamLogStore } from '../../src/log/StreamLogStore';
import { startRedisLog, type RedisLog } from '../redis/support/redisLog';

/** The suite's own waits assume the server answers a quiet long-poll within its timeout. */
const longPollMs = 2_000;

/** Serves `store` (cross-origin allowed: the suite checks CORS preflights) over the protocol on a free loopback port. */
async function listen(store: StreamLogStore): Promise<{ server: Server; url: string }> {
  const server = createServer(durableStreamNodeHandler(store, { longPollMs, allowOrigin: '*' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe.runIf(process.env.DURABLE_STORE !== 'memory')(
  'rxllm Durable Streams endpoint on redis-server',
  () => {
    const config = { baseUrl: '', longPollTimeoutMs: longPollMs + 3_000 };
    let redis: RedisLog;
    let server: Server;
    beforeAll(async () => {
      redis = await startRedisLog();
      ({ server, url: config.baseUrl } = await listen(redis.log));
    });
    afterAll(async () => {
      await close(server);
      await redis.stop();
    });
    runConformanceTests(config);
  },
);

describe.runIf(process.env.DURABLE_STORE !== 'redis')('rxllm Durable Streams endpoint in memory', () => {
  const config = { baseUrl: '', longPollTimeoutMs: longPollMs + 3_000 };
  let server: Server;
  beforeAll(async () => {
    ({ server, url: config.baseUrl } = await listen(createMemoryStreamLog()));
  });
  afterAll(() => close(server));
  runConformanceTests(config);
});
