import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';

/**
 * The same round trip (test/runtimes/roundTrip.mjs: fetch a recorded stream, decode it with
 * `fromSSE`, serve it with `toResponse(… toSSE)`, read that Response back with `fromSSE`) in every
 * runtime rxllm claims: the Node running jest, Node 22, Bun, Deno and workerd. The runtimes are
 * binaries from npm packages installed under runtimes/ by `npm run test:runtimes`; the script
 * imports the built package (dist/), which that script builds first. Nothing downloads here.
 */

const root = resolve(__dirname, '../..');
const bin = (name: string): string => join(root, 'runtimes/node_modules/.bin', name);
const script = join(__dirname, 'roundTrip.mjs');
const run = promisify(execFile);

/** What roundTrip.mjs reports. */
interface RoundTrip {
  status: number;
  contentType: string | null;
  types: string[];
  text: string;
  finishReason: string | null;
  outputTokens: number | null;
}

/** The parts of a recorded OpenAI or Anthropic frame the expectations read. */
interface Frame {
  type?: string;
  choices?: Array<{ delta?: { content?: string | null } }>;
  delta?: { type?: string; text?: string };
  usage?: { completion_tokens?: number; output_tokens?: number };
}

/** The recorded streams, and what each says, read from the recording itself (not through rxllm). */
const fixtures = {
  openai: {
    file: 'openai-chat/text-include-usage.sse',
    dialect: 'openai-chat',
    text: (frames: Frame[]) => frames.map((f) => f.choices?.[0]?.delta?.content ?? '').join(''),
    finishReason: 'stop',
    outputTokens: (frames: Frame[]) => frames.find((f) => f.usage)?.usage?.completion_tokens,
  },
  anthropic: {
    file: 'anthropic/text-basic-no-trailing-newline.sse',
    dialect: 'anthropic',
    text: (frames: Frame[]) =>
      frames.map((f) => (f.delta?.type === 'text_delta' ? f.delta.text : '')).join(''),
    finishReason: 'stop',
    outputTokens: (frames: Frame[]) => frames.find((f) => f.type === 'message_delta')?.usage?.output_tokens,
  },
} as const;
type FixtureName = keyof typeof fixtures;

const recorded = (name: FixtureName): string =>
  readFileSync(join(root, 'test/fixtures', fixtures[name].file), 'utf8');

function expected(name: FixtureName): Omit<RoundTrip, 'types'> {
  const frames = recorded(name)
    .split('\n')
    .filter((line) => line.startsWith('data:') && line.slice(5).trim() !== '[DONE]')
    .map((line) => JSON.parse(line.slice(5)));
  return {
    status: 200,
    contentType: 'text/event-stream; charset=utf-8',
    text: fixtures[name].text(frames),
    finishReason: fixtures[name].finishReason,
    outputTokens: fixtures[name].outputTokens(frames) ?? null,
  };
}

/** A runtime's version, for the test names (and so the README's table); '?' when it is missing. */
function version(file: string): string {
  if (!existsSync(file)) return '?';
  return execFileSync(file, ['--version'], { encoding: 'utf8' })
    .split('\n')[0]!
    .replace(/^(deno |workerd |v)/, '')
    .split(' ')[0]!;
}

/** Each command-line runtime: how it runs the script (argv: fixture URL, dialect). */
const commandLine: Record<string, () => [string, string[]]> = {
  [`Node ${process.versions.node} (the Node running jest)`]: () => [process.execPath, [script]],
  [`Node ${version(bin('node'))}`]: () => [bin('node'), [script]],
  [`Bun ${version(bin('bun'))}`]: () => [bin('bun'), ['run', '--no-install', script]],
  // --no-lock: no deno.lock written into the repository; --cached-only: no remote module fetches
  // (bare specifiers resolve from node_modules through package.json).
  [`Deno ${version(bin('deno'))}`]: () => [
    bin('deno'),
    ['run', '--no-lock', '--cached-only', '--allow-net=127.0.0.1', '--allow-read', '--allow-env', script],
  ],
};

const runtimeEnv = {
  ...process.env,
  DENO_NO_UPDATE_CHECK: '1',
  DENO_DIR: join(tmpdir(), 'rxllm-runtimes-deno'),
  DO_NOT_TRACK: '1',
  NO_COLOR: '1',
};

let upstream: ReplayServer;

beforeAll(async () => {
  const missing = [
    ...['node', 'bun', 'deno', 'workerd'].map(bin).filter((path) => !existsSync(path)),
    ...[join(root, 'dist/index.js')].filter((path) => !existsSync(path)),
  ];
  if (missing.length > 0) {
    throw new Error(
      `Missing ${missing.join(', ')}. Run the runtime tests with \`npm run test:runtimes\`, which ` +
        'installs the runtimes (npm ci --prefix runtimes) and builds dist/ first.',
    );
  }
  upstream = await createReplayServer({
    routes: Object.fromEntries(
      Object.keys(fixtures).map((name) => [`/${name}`, { transcript: recorded(name as FixtureName) }]),
    ),
  });
});

afterAll(async () => {
  await upstream?.close();
});

describe.each(Object.entries(commandLine))('%s', (_label, command) => {
  it.each(Object.keys(fixtures) as FixtureName[])('round-trips the %s recording', async (name) => {
    const [file, args] = command();
    const { stdout } = await run(file, [...args, `${upstream.url}/${name}`, fixtures[name].dialect], {
      cwd: root,
      env: runtimeEnv,
    });
    const result: RoundTrip = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({ ...expected(name), types: ['finish', 'start', 'text', 'usage'] });
  });
});

describe(`workerd ${version(bin('workerd'))}`, () => {
  let dir: string;
  let workerd: ChildProcess;
  let origin: string;
  let stderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxllm-workerd-'));
    // workerd resolves no node_modules: the worker (and through it roundTrip.mjs and dist/) is
    // bundled into one module, as wrangler would.
    await build({
      entryPoints: [join(__dirname, 'worker.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      outfile: join(dir, 'worker.mjs'),
      logLevel: 'silent',
    });
    writeFileSync(
      join(dir, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The fixture server is on loopback, which workerd's default outbound network refuses.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2025-09-01",
  globalOutbound = "loopback",
);
`,
    );
    // The listening socket is made here and handed to workerd (fd 3): connections wait in its
    // backlog until workerd accepts, so there is no port to poll and no race for it.
    const listener: Server = createServer();
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
    const handle = (listener as unknown as { _handle: unknown })._handle;
    workerd = spawn(bin('workerd'), ['serve', join(dir, 'config.capnp'), '--socket-fd', 'http=3'], {
      stdio: ['ignore', 'ignore', 'pipe', handle as never],
    });
    workerd.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    listener.close();
  });

  afterAll(() => {
    workerd?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (name: FixtureName) =>
    `upstream=${encodeURIComponent(`${upstream.url}/${name}`)}&dialect=${fixtures[name].dialect}`;

  it.each(Object.keys(fixtures) as FixtureName[])(
    'round-trips the %s recording inside a worker',
    async (name) => {
      const response = await fetch(`${origin}/round-trip?${query(name)}`);
      expect({ status: response.status, stderr }).toEqual({ status: 200, stderr: '' });
      expect(await response.json()).toEqual({
        ...expected(name),
        types: ['finish', 'start', 'text', 'usage'],
      });
    },
  );

  it('serves the toResponse body from the worker, read back here over HTTP', async () => {
    const response = await fetch(`${origin}/serve?${query('openai')}`);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await response.text();
    const text = body
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(5)))
      .filter((event) => event.type === 'text')
      .map((event) => event.text)
      .join('');
    expect(text).toBe(expected('openai').text);
    expect(body).toMatch(/^event: done\ndata: \[DONE\]\n\n$/m);
  });
});
