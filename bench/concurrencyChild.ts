/**
 * Child process entry for the concurrency scenario; prints one `RESULT <json>` line.
 *
 *   node --expose-gc --import tsx bench/concurrencyChild.ts '<ConcurrencyOptions as JSON>'
 */
import { runConcurrency, type ConcurrencyOptions } from './concurrency';

const options = JSON.parse(process.argv[2] ?? '{}') as ConcurrencyOptions;

try {
  const result = await runConcurrency(options);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} catch (error) {
  process.stdout.write(
    `RESULT ${JSON.stringify({ pipeline: options.pipeline, error: String((error as Error)?.stack ?? error) })}\n`,
  );
  process.exitCode = 1;
}
