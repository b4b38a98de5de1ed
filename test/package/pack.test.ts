import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Packs rxllm as npm would publish it, installs the tarball into a fresh folder, and imports it
 * the way users do: from ESM and from CommonJS, the main entry and rxllm/testing. publint and
 * arethetypeswrong check the exports map and the type declarations for every resolution mode.
 */
describe('the published package', () => {
  let workdir: string;
  let tarball: string;

  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), 'rxllm-pack-'));
    run('npm', ['pack', '--pack-destination', workdir], root);
    tarball = join(
      workdir,
      readdirSync(workdir).find((file) => file.endsWith('.tgz'))!,
    );
    writeFileSync(join(workdir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], workdir);
  }, 180_000);

  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it('imports from CommonJS', () => {
    const script = `
      const rxllm = require('rxllm');
      const testing = require('rxllm/testing');
      const e = new rxllm.RxllmError('x', { code: 'overloaded' });
      console.log(JSON.stringify([typeof rxllm.collect, rxllm.RxllmError.isInstance(e), e.retryable, typeof testing.marbles]));
    `;
    expect(JSON.parse(run('node', ['-e', script], workdir))).toEqual(['function', true, true, 'function']);
  });

  it('imports from ESM', () => {
    const script = `
      import { collect, getDialect } from 'rxllm';
      import { ev } from 'rxllm/testing';
      import { of } from 'rxjs';
      const message = await collect(of(ev.text('Hel'), ev.text('lo'), ev.finish()));
      console.log(JSON.stringify([message.text, message.finishReason, getDialect('rxllm').framing]));
    `;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', script], workdir))).toEqual([
      'Hello',
      'stop',
      'sse',
    ]);
  });

  it('installs without the provider SDKs, which are optional peers', () => {
    const installed = readdirSync(join(workdir, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['rxllm', 'rxjs', 'zod', 'eventsource-parser']));
    expect(installed).not.toContain('openai');
    expect(installed).not.toContain('@anthropic-ai');
  });

  it('type-checks for a user who streams from Ollama and installed neither provider SDK', () => {
    writeFileSync(
      join(workdir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          lib: ['es2022', 'dom'],
          types: [],
        },
        files: ['ollama.mts'],
      }),
    );
    writeFileSync(
      join(workdir, 'ollama.mts'),
      `import { collect, fromOllama, mergeTracks, toSSE } from 'rxllm';
       import { marbles } from 'rxllm/testing';
       const text: Promise<string> = collect(fromOllama({ model: 'llama3.2', prompt: 'hi' })).then((m) => m.text);
       export { text, mergeTracks, toSSE, marbles };`,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(() => run('node', [tsc, '-p', workdir], workdir)).not.toThrow();
  });

  it('passes publint', () => {
    expect(run('npx', ['publint', '--strict'], root)).toMatch(/All good/);
  });

  it('passes arethetypeswrong for every resolution mode', () => {
    expect(run('npx', ['attw', tarball], root)).toMatch(/No problems found/);
  });
});
