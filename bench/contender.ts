/**
 * Child process entry: measures one contender and prints one JSON line, prefixed `RESULT `, for
 * the parent (`bench/run.ts`). A wrong text or a crash prints `RESULT {"name", "error"}`.
 *
 *   node --expose-gc --import tsx bench/contender.ts '<contender name>' '<MeasureOptions as JSON>'
 */
import { contenderNamed, floorOf } from './contenders';
import { measure, type MeasureOptions } from './measure';

const [name, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}') as MeasureOptions;

try {
  const contender = contenderNamed(name!);
  const result = await measure(contender, options, floorOf(contender));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} catch (error) {
  process.stdout.write(
    `RESULT ${JSON.stringify({ name, error: String((error as Error)?.stack ?? error) })}\n`,
  );
  process.exitCode = 1;
}
