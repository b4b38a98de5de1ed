// npm run demo:web: the dual-track demo in a browser. Prints the URL to open.
// Flags: --port <n> (default 3737, or PORT), --speed <factor>, --cloud openai|anthropic.
// Runs are recorded in memory; with REDIS_URL set, in Redis (any number of demo processes).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { createRedisStreamLog, type RedisStreamLog } from '../../src/log/createRedisStreamLog';
import { describeError } from '../stats';
import { startDemoWebServer, type DemoWebServer } from './app';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, speed: { type: 'string' }, cloud: { type: 'string' } },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3737);
  const speed = Number(values.speed ?? 1);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}`);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number, got ${values.speed}`);
  if (values.cloud !== undefined && values.cloud !== 'openai' && values.cloud !== 'anthropic')
    throw new Error(`--cloud must be openai or anthropic, got ${values.cloud}`);
  const staticDir = dirname(fileURLToPath(import.meta.url));
  const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
  const log: RedisStreamLog | undefined = redis && createRedisStreamLog(redis);
  const config = {
    staticDir,
    port,
    speed,
    ...(values.cloud && { cloud: values.cloud as 'openai' | 'anthropic' }),
    ...(log && { log, batchMs: 20 }),
  };
  let app: DemoWebServer;
  try {
    app = await startDemoWebServer(config);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    // Another demo (or anything else) has the port: take a free one rather than fail.
    app = await startDemoWebServer({ ...config, port: 0 });
  }
  process.stdout.write(
    `rxllm web demo: open ${app.url}  (runs recorded ${log ? 'in Redis' : 'in memory'}; Ctrl-C to stop)\n`,
  );
  process.once('SIGINT', () => {
    void app.close().then(() => {
      log?.close();
      redis?.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`demo:web: ${describeError(error)}\n`);
  process.exitCode = 1;
});
