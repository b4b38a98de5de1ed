import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Bytes of every file under `dir` (their sizes, as `du --apparent-size` counts). */
function sizeOnDisk(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOnDisk(path);
    else total += lstatSync(path).size;
  }
  return total;
}

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
    // What a user types: `npm install rxllm rxjs` (from the local cache where it can).
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'rxjs'], workdir);
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

  it('installs without the provider SDKs, zod or gpt-tokenizer, which are optional peers', () => {
    const installed = readdirSync(join(workdir, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['rxllm', 'rxjs']));
    // rxllm frames SSE itself: its only dependency is its peer rxjs.
    for (const optional of ['openai', '@anthropic-ai', 'zod', 'gpt-tokenizer', 'eventsource-parser'])
      expect(installed).not.toContain(optional);
  });

  it('takes at most 10 MB on disk with rxjs', () => {
    const bytes = sizeOnDisk(join(workdir, 'node_modules'));
    console.log(
      `npm install rxllm rxjs: ${(bytes / 1e6).toFixed(2)} MB (rxllm ${(sizeOnDisk(join(workdir, 'node_modules/rxllm')) / 1e6).toFixed(2)} MB)`,
    );
    expect(bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  it('ships the LICENSE and the CHANGELOG', () => {
    expect(readdirSync(join(workdir, 'node_modules/rxllm'))).toEqual(
      expect.arrayContaining(['LICENSE', 'CHANGELOG.md']),
    );
  });

  it('reads a stream through rxllm/core and one dialect, from ESM and from CommonJS', () => {
    const sse = JSON.stringify(
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n' +
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    );
    const esm = `
      import { collect, fromSSE } from 'rxllm/core';
      import { openAIChatDialect } from 'rxllm/dialects/openai-chat';
      const body = () => new Response(${sse}).body;
      const byObject = await collect(fromSSE(body(), { dialect: openAIChatDialect }));
      const byName = await collect(fromSSE(body(), { dialect: 'openai-chat' })); // registered by the import
      let unknown = '';
      try { fromSSE(body(), { dialect: 'anthropic' }); } catch (error) { unknown = error.message; }
      console.log(JSON.stringify([byObject.text, byName.finishReason, unknown.includes('rxllm/dialects/anthropic')]));
    `;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', esm], workdir))).toEqual([
      'Hi',
      'stop',
      true,
    ]);
    const cjs = `
      const { collect, fromSSE } = require('rxllm/core');
      const { openAIChatDialect } = require('rxllm/dialects/openai-chat');
      collect(fromSSE(new Response(${sse}).body, { dialect: openAIChatDialect })).then((m) => console.log(JSON.stringify(m.text)));
    `;
    expect(JSON.parse(run('node', ['-e', cjs], workdir))).toBe('Hi');
    // The decode-only form: the same stream read, and toSSE refuses to write it.
    const decodeOnly = `
      import { collect, fromSSE, toSSE } from 'rxllm/core';
      import { openAIChatDecodeDialect } from 'rxllm/dialects/openai-chat/decode';
      const message = await collect(fromSSE(new Response(${sse}).body, { dialect: openAIChatDecodeDialect }));
      let refused = '';
      try { toSSE({ dialect: openAIChatDecodeDialect }); } catch (error) { refused = error.name; }
      console.log(JSON.stringify([message.text, 'createEncoder' in openAIChatDecodeDialect, refused]));
    `;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', decodeOnly], workdir))).toEqual([
      'Hi',
      false,
      'TypeError',
    ]);
    const decodeOnlyCjs = `
      const { collect, fromSSE } = require('rxllm/core');
      const { rxllmDecodeDialect } = require('rxllm/dialects/rxllm/decode');
      const sse = 'data: {"type":"text","text":"Hi"}\\n\\ndata: {"type":"finish","reason":"stop"}\\n\\ndata: [DONE]\\n\\n';
      collect(fromSSE([sse], { dialect: 'rxllm' })).then((m) => console.log(JSON.stringify([m.text, rxllmDecodeDialect.name])));
    `;
    expect(JSON.parse(run('node', ['-e', decodeOnlyCjs], workdir))).toEqual(['Hi', 'rxllm']);
  });

  it('estimates usage without gpt-tokenizer as characters / 4, and says how to install it', () => {
    const script = `
      import { aggregateUsage, fromTokens, loadTokenEstimator } from 'rxllm';
      import { lastValueFrom, filter, toArray } from 'rxjs';
      const usages = await lastValueFrom(
        fromTokens(['Hello, ', 'world! ', 'How are you?']).pipe(aggregateUsage(), filter((e) => e.type === 'usage'), toArray()),
      );
      const error = await loadTokenEstimator().then(() => undefined, (e) => e);
      console.log(JSON.stringify([usages.at(-1).outputTokens, usages.at(-1).estimated, error?.code, /npm install gpt-tokenizer/.test(error?.message)]));
    `;
    // 'Hello, world! How are you?' is 26 characters: 7 tokens by characters / 4.
    expect(JSON.parse(run('node', ['--input-type=module', '-e', script], workdir))).toEqual([
      7,
      true,
      'ERR_RXLLM_NO_TOKENIZER',
      true,
    ]);
  });

  it('counts tokens with gpt-tokenizer once it is installed, from ESM and CommonJS', () => {
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', 'gpt-tokenizer@^3'], workdir);
    try {
      const text = 'Hello, world! 你好 😀 zqxvbn';
      const esm = `
        import { loadTokenEstimator } from 'rxllm';
        import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
        const estimate = await loadTokenEstimator();
        console.log(JSON.stringify([estimate(${JSON.stringify(text)}), countTokens(${JSON.stringify(text)})]));
      `;
      const [esmCount, reference] = JSON.parse(
        run('node', ['--input-type=module', '-e', esm], workdir),
      ) as number[];
      expect(esmCount).toBe(reference);
      expect(reference).toBeGreaterThan(5);
      const cjs = `
        const { loadTokenEstimator } = require('rxllm');
        loadTokenEstimator().then((estimate) => console.log(JSON.stringify(estimate(${JSON.stringify(text)}))));
      `;
      expect(JSON.parse(run('node', ['-e', cjs], workdir))).toBe(reference);
    } finally {
      // Later tests expect the optional peers absent.
      run('npm', ['uninstall', '--no-audit', '--no-fund', 'gpt-tokenizer'], workdir);
    }
  });

  it('rxllm/schema needs zod, an optional peer, and works once it is installed', () => {
    const script = `
      const { rxllmEventSchema, priceTableSchema } = require('rxllm/schema');
      console.log(JSON.stringify([rxllmEventSchema.safeParse({ type: 'text', text: 'hi' }).success, priceTableSchema.safeParse({ models: {} }).success]));
    `;
    expect(() => run('node', ['-e', script], workdir)).toThrow(/zod/);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', 'zod@^4'], workdir);
    expect(JSON.parse(run('node', ['-e', script], workdir))).toEqual([true, true]);
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
