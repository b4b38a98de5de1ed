import Redis from 'ioredis';
import {
  createReplayServer,
  type ReplayRoute,
  type ReplayServer,
} from '../../../src/testing/createReplayServer';
import { startRedisServer, type RedisServer } from './redisServer';
import { startInstance, type Instance } from './sseClient';

/** The multi-process setup of the resume tests: one Redis, one replay provider, two instances. */
export interface TwoInstances {
  redisServer: RedisServer;
  /** A client of that Redis, for the tests' own look at the log. */
  redis: Redis;
  provider: ReplayServer;
  /** The environment the instances were started with: `startInstance(setup.env)` starts a third. */
  env: Record<string, string>;
  a: Instance;
  b: Instance;
  /** Stops the instances first (they hold Redis connections), then the provider and Redis. */
  stop(): Promise<void>;
}

export interface TwoInstancesOptions {
  /** The replay server's routes: what the instances' producers read. */
  routes: Record<string, ReplayRoute>;
  /** The producers' lease (`persistStream`'s `leaseMs`) and readers' wait for a silent producer. */
  leaseMs: number;
  /** `persistStream`'s `batchMs`. */
  batchMs: number;
  /** Redis with an append-only file (see `startRedisServer`). */
  persistent?: boolean;
}

/** Starts redis-server, the replay provider and instances A and B (support/instance.ts) on them. */
export async function startTwoInstances(options: TwoInstancesOptions): Promise<TwoInstances> {
  const redisServer = await startRedisServer({ persistent: options.persistent ?? false });
  const redis = new Redis(redisServer.port, '127.0.0.1');
  const provider = await createReplayServer({ routes: options.routes });
  const env = {
    REDIS_PORT: String(redisServer.port),
    PROVIDER_URL: provider.url,
    LEASE_MS: String(options.leaseMs),
    BATCH_MS: String(options.batchMs),
  };
  const [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  return {
    redisServer,
    redis,
    provider,
    env,
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      redis.disconnect();
      await provider.close();
      await redisServer.stop();
    },
  };
}
