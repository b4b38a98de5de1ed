import { build, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { linkedApp, root } from './linkedApp';

/**
 * What a browser app pays for rxllm: each case is bundled by esbuild as an app would be (platform
 * browser, minified), rxjs left external (the app has it anyway: the budgets are rxllm's share,
 * "beyond rxjs"). Sizes are measured on the built package (dist/, through package.json's exports,
 * run `npm run build` first); which modules a bundle holds is read from a second bundle of the
 * TypeScript sources, whose metafile names every module.
 *
 * The gzipped size is taken without the `import { ... } from "rxjs"` statements: with rxjs
 * external, esbuild keeps every dist chunk's rxjs import, also those of modules it dropped
 * (about 1.3 KB minified); an app that bundles rxjs resolves them to rxjs's own code, which is
 * rxjs's share. Nothing else may stay an import (checked), so nothing hides outside the count.
 */
describe('bundle budgets', () => {
  let app: string;

  beforeAll(() => {
    app = linkedApp('rxllm-bundle-', 'dist/core.js');
  });

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const rxjsImports = /import\s*\{[^}]*\}\s*from\s*"rxjs";?/g;

  /**
   * Bundles `code` for the browser as an app's build would (minified, rxjs left external):
   * against the built package (`from: 'package'`, plain JS) or against src/ (`from: 'source'`).
   */
  const bundle = (code: string, from: 'package' | 'source', metafile = false) =>
    build({
      stdin:
        from === 'package'
          ? { contents: code, resolveDir: app, loader: 'js' }
          : { contents: code, resolveDir: join(root, 'src'), loader: 'ts' },
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile,
      external: ['rxjs'],
      logLevel: 'silent',
    });

  /** Minified and gzipped size of `code` (an app's imports) bundled against the built package. */
  const gzipped = async (code: string): Promise<{ min: number; gz: number; raw: number; text: string }> => {
    const result = await bundle(code, 'package');
    const text = Buffer.from(result.outputFiles[0]!.contents).toString();
    const own = text.replace(rxjsImports, '');
    // Every import left is of rxjs: nothing else was kept out of the measure.
    expect(own).not.toMatch(/(?:^|[;}])\s*import\s*[{*\w"]/);
    return {
      min: Buffer.byteLength(own),
      gz: gzipSync(own, { level: 9 }).length,
      raw: gzipSync(text, { level: 9 }).length,
      text,
    };
  };

  /** The modules (paths relative to the repo) that `code`, importing from src/, bundles. */
  const modules = async (code: string): Promise<string[]> => {
    const result = await bundle(code, 'source', true);
    const output = Object.values((result.metafile as Metafile).outputs)[0]!;
    // Only modules that put code in the bundle: an import kept for its types puts none.
    return Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path.replace(/^(\.\.\/)*/, '').replace(/^.*?\b(src|node_modules)\//, '$1/'));
  };

  /** Minified size of `code` bundled from src/, the rxjs imports left out as `gzipped` does. */
  const minifiedFromSource = async (code: string): Promise<number> => {
    const result = await bundle(code, 'source');
    const text = Buffer.from(result.outputFiles[0]!.contents).toString();
    return Buffer.byteLength(text.replace(rxjsImports, ''));
  };

  const dialectsIn = (paths: string[]): string[] =>
    [...new Set(paths.flatMap((path) => /^src\/wire\/([^/]+)\//.exec(path)?.[1] ?? []))].sort();

  const heavy = (paths: string[]): string[] =>
    paths.filter((path) =>
      /node_modules\/(zod|gpt-tokenizer)\/|prices\.json|priceTableSchema|\/schema\.ts/.test(path),
    );

  /** The issue's browser app: read a stream, re-chunk it by words, keep the message in a store. */
  const browserApp = (
    dialect: { entry: string; name: string } | undefined,
    from: (path: string) => string,
  ) => `
    import { fromSSE, bufferTokens, createMessageStore, toStore } from '${from('core')}';
    ${dialect ? `import { ${dialect.name} } from '${from(`dialects/${dialect.entry}`)}';` : ''}
    const store = createMessageStore();
    fromSSE((signal) => fetch('/api/chat', { signal }), { dialect: ${dialect ? dialect.name : "'rxllm'"} })
      .pipe(bufferTokens({ boundary: 'word' }))
      .subscribe(toStore(store));
    store.subscribe((state) => console.log(state));
  `;
  const fromPackage = (path: string) => `rxllm/${path}`;
  const fromSource = (path: string) => `./${path}`;
  const rxllm = { entry: 'rxllm', name: 'rxllmDialect' };
  const openAIChat = { entry: 'openai-chat', name: 'openAIChatDialect' };
  const rxllmDecode = { entry: 'rxllm/decode', name: 'rxllmDecodeDialect' };
  const openAIChatDecode = { entry: 'openai-chat/decode', name: 'openAIChatDecodeDialect' };

  const report = (label: string, size: { min: number; gz: number; raw: number }) =>
    console.log(
      `${label}: ${size.min} B minified, ${size.gz} B gzipped (${size.raw} B with the rxjs import statements)`,
    );

  // Issue 11: "fromSSE + bufferTokens + createMessageStore/toStore ≤ 12 KB gzipped beyond rxjs",
  // held at the issue's number read as 12,000 B (not 12 KiB). The app that works imports the
  // dialect it reads; its decode-only form (`rxllm/dialects/<name>/decode`) leaves the encoder
  // out. Reading the rxllm dialect: 11,947 B measured (12,173 B with the encoder). This round:
  // 13,070 B before; undici's and Deno's fetch failure words and the socket error codes behind
  // `#nodeNetworkFailure`, a stub in a browser (src/base/isNodeNetworkFailureStub.ts), -191 B;
  // shorter messages where words repeated what the value says (the input kinds, the dialect hint,
  // limits, the event guard, toStore), -84 B; toStore as RxJS's own safe subscribers rather than a
  // subclass that re-implemented their error reporting, -78 B; the rxllm event checker's light
  // form in a browser (`#validateWireEvent`: the strings a message is built from, where Node checks
  // every field as rxllmEventSchema does; src/wire/rxllm/validateWireEventLight.ts), -744 B; then
  // what review found it let through (sizes counted whatever a field's type, the wire's `partial`
  // never kept, an error's code and message checked; bufferTokens' timeMs message shorter), 11,973 → 11,952 B.
  // Earlier rounds: 12,915, 13,120, 13,293 and 13,811 B (the steps, what each saved or cost:
  // docs/ARCHITECTURE.md, "Entry points, and what a bundle holds"). What is in the rest: the fold
  // behind the store and every error's `partial`, the byte engine, bufferTokens with its grapheme
  // rules, the store (the by-name case below).
  it('fromSSE + bufferTokens + createMessageStore/toStore reading the rxllm dialect (decode only): at most 12,000 B gzipped beyond rxjs', async () => {
    const size = await gzipped(browserApp(rxllmDecode, fromPackage));
    report('rxllm/core app, rxllm/dialects/rxllm/decode', size);
    expect(size.gz).toBeLessThanOrEqual(12_000);
  });

  // The same app with the dialect given only by name, which reads nothing until a dialect is
  // imported or registered: rxllm's own SSE framing, no decoder. 11,465 B measured (11,803 B before
  // this round's Node-only network failures, shorter messages and toStore on RxJS's subscribers; 11,633 B before the engine and
  // parser classes, the keeper's stub call and the lazy TextDecoder; 11,688 B before the round
  // before that, 12,363 B with the Lua scripts): under 12 KB, but not an app that can read a stream.
  it('the same app with the dialect given by name (none imported): at most 11,470 B', async () => {
    const size = await gzipped(browserApp(undefined, fromPackage));
    report('rxllm/core app, dialect by name', size);
    expect(size.gz).toBeLessThanOrEqual(11_470);
  });

  // 16,307 B measured (16,644 B before this round's Node-only network failures, shorter
  // messages and toStore on RxJS's subscribers, 16,477 B before the engine's subscription and the SSE parser became classes, the keeper's stub calls and the lazy TextDecoder, 16,443 B before dialect messages and the SSE stream decoder became classes, 16,400 B before the guard's checks became module functions; 16,345 B before the openai-chat decoder became one object with #private
  // methods instead of a dozen closures, +55 B here for 1.8 KB less per stream a relay holds with
  // its encoder body and the holding encoder as classes too; 16,497 B before this round, 16,713 B
  // before the one before, 17,200 B before that; 17,986 B with the encoder): the openai-chat decoder (8 KB
  // minified: tool-call assembly, every OpenAI-compatible server's quirks, the text fast path),
  // the partial-JSON parser for streamed tool arguments, and the in-band error table.
  it('the same app reading openai-chat, decode only: at most 16,310 B', async () => {
    const size = await gzipped(browserApp(openAIChatDecode, fromPackage));
    report('rxllm/core app, rxllm/dialects/openai-chat/decode', size);
    expect(size.gz).toBeLessThanOrEqual(16_310);
  });

  // tsup's chunks put modules together: a module-level statement that esbuild cannot prove pure
  // (a `new`, a call, a `??=` on a global) stays in an app's bundle whenever its chunk does, even
  // where its module is not used. Bundled from src/, the same module is dropped whole. So dist/
  // may cost only what chunking adds (a few unused constants: 52 to 55 B minified measured); the
  // flow registry's slot, the similarity RegExp and the log's TextEncoder were 291 B (119 B gz);
  // the Redis log's Lua scripts, templates with a `${}` in them, 1.3 KB minified (445 B gz).
  it('bundling dist/ keeps no module-level code that the same app bundled from src/ drops', async () => {
    for (const dialect of [rxllmDecode, openAIChatDecode, undefined]) {
      const fromDist = (await gzipped(browserApp(dialect, fromPackage))).min;
      expect(fromDist).toBeLessThanOrEqual((await minifiedFromSource(browserApp(dialect, fromSource))) + 100);
    }
  });

  it('the decode-only form saves the encoder: smaller than the full dialect, which holds it', async () => {
    for (const [full, decodeOnly] of [
      [rxllm, rxllmDecode],
      [openAIChat, openAIChatDecode],
    ] as const) {
      const withEncoder = await gzipped(browserApp(full, fromPackage));
      report(`rxllm/core app, rxllm/dialects/${full.entry} (with its encoder)`, withEncoder);
      expect((await gzipped(browserApp(decodeOnly, fromPackage))).gz).toBeLessThan(withEncoder.gz);
      const paths = await modules(browserApp(decodeOnly, fromSource));
      expect(paths).toContain(`src/wire/${full.entry}/decoder.ts`); // the probe sees the modules
      expect(paths.filter((path) => /encoder|Encoder/.test(path))).toEqual([]);
    }
  });

  // The measured app, bundled from dist/ with rxjs this time, run in Node on a recorded stream:
  // the bytes counted above are an app that works.
  const rxllmStream =
    'data: {"type":"start","model":"m"}\n\ndata: {"type":"text","text":"Hello, "}\n\n' +
    'data: {"type":"text","text":"world"}\n\ndata: {"type":"finish","reason":"stop"}\n\ndata: [DONE]\n\n';
  it.each([
    [openAIChatDecode, readFileSync(join(root, 'test/fixtures/openai-chat/parallel-tool-calls.sse'), 'utf8')],
    [rxllmDecode, rxllmStream],
  ] as const)('the decode-only app (%o) decodes a recorded stream into the store', async (dialect, sse) => {
    const code = browserApp(dialect, fromPackage)
      .replace(`(signal) => fetch('/api/chat', { signal })`, JSON.stringify([sse]))
      .replace(
        'store.subscribe((state) => console.log(state));',
        `store.subscribe((state) => { if (state.status !== 'streaming') console.log(JSON.stringify(state)); });`,
      );
    const result = await build({
      stdin: { contents: code, resolveDir: app, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const script = join(app, `run-${dialect.entry.replace('/', '-')}.mjs`);
    writeFileSync(script, result.outputFiles[0]!.contents);
    const state = JSON.parse(execFileSync('node', [script], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
    expect(state.status).toBe('done');
    const track = state.tracks.default;
    if (dialect === rxllmDecode) expect(track.text).toBe('Hello, world');
    else
      expect(track.toolCalls.map((call: { name: string }) => call.name)).toEqual([
        'GetWeatherArgs',
        'get_stock_price',
      ]);
  });

  it('a consumer that can hold the stream back (pausable) brings the flow walk; the store app has none', async () => {
    const app = await modules(browserApp(rxllm, fromSource));
    expect(app).toContain('src/sinks/toStore.ts'); // the probe sees the modules
    expect(app).not.toContain('src/flow/flow.ts');
    // An SSE reader holds no NDJSON framing (each source passes the framing it reads).
    expect(app).toContain('src/wire/createSSEParser.ts');
    expect(app).not.toContain('src/wire/createNDJSONDecoder.ts');
    const paused = await modules(`
      import { BehaviorSubject } from 'rxjs';
      import { fromSSE, pausable } from './core';
      const paused$ = new BehaviorSubject(false);
      import { rxllmDialect } from './dialects/rxllm';
      fromSSE(fetch('/x'), { dialect: rxllmDialect }).pipe(pausable(paused$)).subscribe();
    `);
    expect(paused).toContain('src/flow/flow.ts');
  });

  it.each([rxllm, rxllmDecode, openAIChatDecode])(
    'holds no zod, no tokenizer, no price table and no dialect but the one imported ($entry)',
    async (dialect) => {
      const paths = await modules(browserApp(dialect, fromSource));
      expect(paths).toContain('src/sinks/toStore.ts'); // the probe sees the modules
      expect(heavy(paths)).toEqual([]);
      expect(dialectsIn(paths)).toEqual([dialect.entry.split('/')[0]]);
    },
  );

  // Every entry under src/dialects/: `<name>.ts` and the decode-only `<name>/decode.ts`.
  const dialectEntries = readdirSync(join(root, 'src/dialects'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.replaceAll('\\', '/').replace(/\.ts$/, ''));

  it('every dialect that encodes has a decode-only entry', () => {
    expect(dialectEntries.filter((entry) => entry.endsWith('/decode')).sort()).toEqual(
      ['ag-ui', 'ai-sdk-ui', 'anthropic', 'openai-chat', 'openai-responses', 'rxllm'].map(
        (name) => `${name}/decode`,
      ),
    );
  });

  it.each(dialectEntries)('importing rxllm/dialects/%s pulls in no other dialect, nor zod', async (entry) => {
    const paths = await modules(`import * as dialect from './dialects/${entry}'; console.log(dialect);`);
    expect(dialectsIn(paths)).toEqual([entry.split('/')[0]]);
    expect(heavy(paths)).toEqual([]);
    // A decode-only entry holds no encoder.
    if (entry.endsWith('/decode')) expect(paths.filter((path) => /encoder/i.test(path))).toEqual([]);
  });

  it('the price table comes only with the code that prices (aggregateUsage), and zod and the tokenizer never', async () => {
    const paths = await modules(`import { aggregateUsage } from './core'; console.log(aggregateUsage({}));`);
    expect(paths).toContain('src/pricing/prices.json');
    expect(paths.filter((path) => /node_modules\/(zod|gpt-tokenizer)\//.test(path))).toEqual([]);
    // The tokenizer is loaded at run time only where it is installed: the bundle never names it
    // as a module to resolve (it would fail to build without the optional peer).
    const { text } = await gzipped(
      `import { aggregateUsage } from 'rxllm/core'; console.log(aggregateUsage({}));`,
    );
    expect(text).toContain('gpt-tokenizer/GptEncoding');
  });

  // Every dialect joined the root's table (ag-ui, both Bedrock ones, the ai-sdk-ui decoder): a
  // name-resolving root fromSSE holds all their decoders and encoders. Light apps use rxllm/core.
  it('the root entry, which knows every dialect by name, still loads no zod (at most 31,000 B)', async () => {
    const paths = await modules(
      `import { fromSSE } from './index'; fromSSE(fetch('/x'), { dialect: 'openai-chat' }).subscribe();`,
    );
    expect(dialectsIn(paths)).toContain('anthropic');
    expect(paths.filter((path) => /node_modules\/zod\//.test(path))).toEqual([]);
    const size = await gzipped(
      `import { fromSSE } from 'rxllm'; fromSSE(fetch('/x'), { dialect: 'openai-chat' }).subscribe();`,
    );
    report('rxllm root fromSSE', size);
    // 30,973 B measured (32,010 B before this round's Node-only network failures, shorter
    // messages and the light rxllm checker in a browser); 31,778 B before the round before's engine and parser classes, the Anthropic
    // decoder as a class, the keeper's stub calls and the lazy TextDecoder; 31,379 B before the relay-memory classes of the
    // round before (see docs/ARCHITECTURE.md).
    expect(size.gz).toBeLessThanOrEqual(31_000);
  });
});
