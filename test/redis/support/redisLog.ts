import Redis from 'ioredis';
import { createRedisStreamLog, type RedisStreamLog } from '../../../src/log/createRedisStreamLog';
import { startRedisServer, type RedisServer } from './redisServer';

/** A Redis stream log on its own redis-server. */
export interface RedisLog {
  redisServer: RedisServer;
  /** The log's client: the tests look at the keys through it. */
  redis: Redis;
  log: RedisStreamLog;
  /** Closes the log and its client, then stops redis-server. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port and a `createRedisStreamLog` on it. */
export async function startRedisLog(): Promise<RedisLog> {
  const redisServer = await startRedisServer();
  const redis = new Redis(redisServer.port, '127.0.0.1');
  const log = createRedisStreamLog(redis);
  return {
    redisServer,
    redis,
    log,
    async stop() {
      log.close();
      redis.disconnect();
      await redisServer.stop();
    },
  };
}
