/**
 * `npm run bench` (about 10–20 minutes) and `npm run bench -- --quick` (about a minute).
 *
 * Bundles the children once (esbuild, packages left external), then runs every contender in a
 * fresh process per round, interleaved (each round starts one contender further along), and the
 * concurrency scenario for the floor and rxllm. Ratios are taken against the floor on the same
 * bytes in the same round, and their median over rounds is reported. Writes a markdown report and
 * an SVG chart (`bench/RESULTS.md`, `bench/ratios.svg`; `--quick` writes under `bench/.runs/`).
 * Exits 1 if any contender produced the wrong text or crashed; timings never fail the run.
 *
 * Then the same streams relayed over real loopback HTTP (bench/httpConcurrency.ts: rxllm's
 * fromSSE → toSSE → pipeToNodeResponse against a plain-callback floor relay).
 *
 * Options: --quick, --rounds N, --repeats N, --tokens N, --streams N, --seconds N, --only <substring>,
 * --no-concurrency, --no-http-concurrency, --http-only, --http-streams N (default --streams), --out <dir>,
 * --from <results.json> (render a saved run again, measuring nothing).
 * Every run also saves its measurements as `results.json` next to the report.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { format, resolveConfig } from 'prettier';
import { contenderNamed, contenders } from './contenders';
import type { ConcurrencyResult } from './concurrency';
import type { HttpConcurrencyResult } from './httpConcurrency';
import type { MeasureOptions, Measurement } from './measure';
import { renderChart, renderReport, type AfterGCResult, type BenchReport, type Failure } from './report';
import { machineTimes } from './machineTimes';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
};
const quick = flag('quick');
const rounds = Number(option('rounds') ?? (quick ? 2 : 3));
const measureOptions: MeasureOptions = {
  tokens: Number(option('tokens') ?? (quick ? 5_000 : 200_000)),
  smallTokens: 64,
  // Reading the large stream 3 times per process and taking the median halves the spread
  // between rounds that GC timing and a shared machine cause.
  repeats: Number(option('repeats') ?? (quick ? 1 : 3)),
  smallIterations: quick ? 20 : 100,
  seed: 1,
};
const concurrency = {
  streams: Number(option('streams') ?? (quick ? 1_000 : 5_000)),
  seconds: Number(option('seconds') ?? (quick ? 3 : 30)),
  rate: 20,
};
const only = option('only');
const outDir = resolve(option('out') ?? (quick ? join(here, '.runs') : here));
// Under node_modules so that linters skip it and bare imports still resolve to the project's packages.
const buildDir = join(root, 'node_modules', '.cache', 'rxllm-bench');

async function bundle(): Promise<void> {
  await build({
    entryPoints: {
      contender: join(here, 'contender.ts'),
      concurrency: join(here, 'concurrencyChild.ts'),
      // Bundled like the others: run through tsx, every named closure gets a `name` property of
      // its own (keepNames), ~13 KB per relayed stream that the published build does not have.
      httpConcurrency: join(here, 'httpConcurrency.ts'),
      shortAfterGC: join(here, 'shortAfterGC.ts'),
    },
    outdir: buildDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
  });
}

/** Runs a bundled child with `--expose-gc` and returns the JSON of its `RESULT` line. */
function child(script: string, childArgs: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise) => {
    const proc = spawn(process.execPath, ['--expose-gc', join(buildDir, script), ...childArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (data: Buffer) => (out += data));
    proc.stderr.on('data', (data: Buffer) => (err += data));
    proc.on('close', (code) => {
      const line = out.split('\n').find((text) => text.startsWith('RESULT '));
      if (line) resolvePromise(JSON.parse(line.slice(7)) as Record<string, unknown>);
      else resolvePromise({ error: `exited ${code} without a result: ${err.slice(-2000)}` });
    });
  });
}

function versionOf(name: string): string {
  try {
    const json = readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(json) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** Formats a file as the project's prettier config does, so that `npm run lint` accepts it as written. */
async function pretty(file: string, text: string): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(text, { ...options, filepath: file });
}

async function write(report: BenchReport): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  let markdown = renderReport(report);
  // `npm run bench:usage-block`, `npm run bench:scaling` and `npm run bench:resumable` keep their
  // own dated sections in the same file (measured by other commands, on other days): carried over
  // as they are.
  const file = join(outDir, 'RESULTS.md');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const section of [
    // Up to the next section or the scaling section's opening marker, which precedes its heading.
    /^## aggregateUsage's estimate[\s\S]*?(?=^## |^<!-- |(?![\s\S]))/m,
    /<!-- scaling:start -->[\s\S]*<!-- scaling:end -->/,
    /^## Resumable streams[\s\S]*?(?=^## |(?![\s\S]))/m,
  ]) {
    const kept = section.exec(before)?.[0];
    if (kept !== undefined) markdown = `${markdown.trimEnd()}\n\n${kept.trimEnd()}\n`;
  }
  writeFileSync(file, await pretty(file, markdown));
  writeFileSync(join(outDir, 'ratios.svg'), renderChart(report));
  // Contenders are saved by name: their functions are not data.
  const saved = { ...report, contenders: report.contenders.map((contender) => contender.name) };
  writeFileSync(
    join(outDir, 'results.json'),
    await pretty(join(outDir, 'results.json'), JSON.stringify(saved)),
  );
  console.log(`\n${markdown}\nwrote ${join(outDir, 'RESULTS.md')}, ratios.svg and results.json`);
}

/** Runs bench/httpConcurrency.ts for both relays; its RESULT lines, or the failure. */
function httpConcurrency(): Promise<HttpConcurrencyResult[] | { error: string }> {
  // A quick run only checks that both relays run and relay the right texts.
  const streams = option('http-streams') ?? (quick ? '200' : String(concurrency.streams));
  return new Promise((resolvePromise) => {
    const proc = spawn(
      process.execPath,
      [
        '--expose-gc',
        join(buildDir, 'httpConcurrency.mjs'),
        '--streams',
        streams,
        '--seconds',
        String(concurrency.seconds),
        '--rate',
        String(concurrency.rate),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (data: Buffer) => (out += data));
    proc.stderr.on('data', (data: Buffer) => (err += data));
    proc.on('close', (code) => {
      const lines = out.split('\n').filter((text) => text.startsWith('RESULT '));
      if (code === 0 && lines.length > 0)
        resolvePromise(lines.map((line) => JSON.parse(line.slice(7)) as HttpConcurrencyResult));
      else resolvePromise({ error: `exited ${code}: ${err.slice(-2000)}` });
    });
  });
}

async function main(): Promise<void> {
  const from = option('from');
  if (from !== undefined) {
    const saved = JSON.parse(readFileSync(from, 'utf8')) as Omit<BenchReport, 'contenders'> & {
      contenders: string[];
    };
    await write({ ...saved, contenders: saved.contenders.map(contenderNamed) });
    return;
  }
  const started = Date.now();
  const machineStart = machineTimes();
  await bundle();
  const chosen = flag('http-only')
    ? []
    : contenders.filter(
        (contender) => contender.kind === 'floor' || only === undefined || contender.name.includes(only),
      );
  const results: Measurement[][] = [];
  const failures: Failure[] = [];
  for (let round = 0; round < rounds; round++) {
    const row: Measurement[] = [];
    // Interleaved: round r starts r contenders along, so no contender always runs first or last.
    for (let k = 0; k < chosen.length; k++) {
      const contender = chosen[(k + round) % chosen.length]!;
      const result = await child('contender.mjs', [contender.name, JSON.stringify(measureOptions)]);
      if (typeof result.error === 'string') {
        failures.push({ name: contender.name, round, error: result.error });
        console.log(`round ${round + 1}/${rounds}  ${contender.name}: FAILED\n${result.error}`);
        continue;
      }
      const measurement = result as unknown as Measurement;
      row.push(measurement);
      console.log(
        `round ${round + 1}/${rounds}  ${contender.name.padEnd(62)} ${measurement.ms.toFixed(0).padStart(7)} ms  ${Math.round(measurement.tokensPerSecond).toLocaleString('en-US').padStart(10)} tokens/s  64-token request ${measurement.smallMs.toFixed(3)} ms`,
      );
    }
    results.push(row);
  }

  const scenarios: ConcurrencyResult[] = [];
  if (!flag('no-concurrency') && !flag('http-only')) {
    for (const pipeline of ['floor', 'rxllm'] as const) {
      const result = await child('concurrency.mjs', [JSON.stringify({ pipeline, ...concurrency })]);
      if (typeof result.error === 'string') {
        failures.push({ name: `concurrency (${pipeline})`, round: 0, error: result.error });
        console.log(`concurrency ${pipeline}: FAILED\n${result.error}`);
        continue;
      }
      scenarios.push(result as unknown as ConcurrencyResult);
      console.log(`concurrency ${pipeline}: ${JSON.stringify(result)}`);
    }
  }

  // Short streams after a full GC, in a fresh process each: three per round and wire, since a
  // process's figure carries a bias of its own (which code V8 optimized when, where it landed in
  // memory): medians of 60 in one process spread ±10% from one process to the next.
  const afterGC: AfterGCResult[] = [];
  const afterGCProcesses = quick ? 1 : 3;
  if (!flag('http-only')) {
    for (let round = 0; round < rounds * afterGCProcesses; round++) {
      for (const wire of ['openai', 'anthropic', 'responses']) {
        const result = await child('shortAfterGC.mjs', [wire, quick ? '10' : '60']);
        if (typeof result.error === 'string') {
          failures.push({
            name: `short streams after GC (${wire})`,
            round: Math.floor(round / afterGCProcesses),
            error: result.error,
          });
          continue;
        }
        afterGC.push(result as unknown as AfterGCResult);
        console.log(`short streams after GC: ${JSON.stringify(result)}`);
      }
    }
  }

  let httpScenarios: HttpConcurrencyResult[] | undefined;
  if (!flag('no-concurrency') && !flag('no-http-concurrency')) {
    const result = await httpConcurrency();
    if ('error' in result) {
      failures.push({ name: 'concurrency over HTTP', round: 0, error: result.error });
      console.log(`concurrency over HTTP: FAILED\n${result.error}`);
    } else {
      httpScenarios = result;
      for (const scenario of result) console.log(`concurrency over HTTP: ${JSON.stringify(scenario)}`);
    }
  }

  const machineEnd = machineTimes();
  const cpu = cpus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    durationS: (Date.now() - started) / 1000,
    machine: `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`,
    versions: {
      node: process.version,
      ...Object.fromEntries(
        [
          'openai',
          '@anthropic-ai/sdk',
          'ai',
          '@ai-sdk/openai',
          '@ai-sdk/anthropic',
          'eventsource-parser',
          'rxjs',
        ].map((name) => [name, versionOf(name)]),
      ),
    },
    rounds,
    options: measureOptions,
    concurrency,
    contenders: chosen,
    results,
    scenarios,
    httpScenarios,
    afterGC,
    machineBusy:
      machineStart && machineEnd
        ? (machineEnd.busy - machineStart.busy) / Math.max(1, machineEnd.total - machineStart.total)
        : undefined,
    load: { average: loadavg()[0]!, cores: cpu.length },
    failures,
  };
  await write(report);
  if (failures.length > 0) {
    console.log(`${failures.length} failure(s): a contender produced the wrong text or crashed`);
    process.exitCode = 1;
  }
}

await main();
