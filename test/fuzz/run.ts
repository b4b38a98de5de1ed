// `npm run fuzz -- --runs 100000 [--seed 123]`: the decoder fuzz suite (decoders.fuzz.test.ts)
// with more cases than the normal test run gives it. A random seed unless one is given; a failure
// prints the seed and the shrunk counterexample, so it can be replayed with --seed.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
};
const runs = option('runs') ?? '10000';
const seed = option('seed') ?? String(Math.floor(Math.random() * 2 ** 31));
if (!/^\d+$/.test(runs) || !/^\d+$/.test(seed)) {
  console.error('usage: npm run fuzz -- [--runs <n>] [--seed <n>]');
  process.exit(2);
}
console.log(`fuzz: ${runs} cases per property, seed ${seed}`);
// npm runs scripts from the package root.
const root = process.cwd();
const jest = resolve(root, 'node_modules/jest/bin/jest.js');
const child = spawn(process.execPath, [jest, 'test/fuzz', '--maxWorkers=1', '--testTimeout=86400000'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
});
child.on('close', (code) => process.exit(code ?? 1));
