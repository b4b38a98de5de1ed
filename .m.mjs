import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const root = process.argv[2] ?? '/work/wt/mem4/src';
const stub = { name: 'stub', setup(b) { b.onResolve({ filter: /\/readNodeStream$/ }, (a) => ({ path: a.resolveDir + '/readNodeStreamStub.ts' })); } };
const cases = {
  decode: `import { fromSSE, bufferTokens, createMessageStore, toStore } from './core'; import { rxllmDecodeDialect } from './dialects/rxllm/decode'; console.log(fromSSE, bufferTokens, createMessageStore, toStore, rxllmDecodeDialect);`,
  oai: `import { fromSSE, bufferTokens, createMessageStore, toStore } from './core'; import { openAIChatDecodeDialect } from './dialects/openai-chat/decode'; console.log(fromSSE, bufferTokens, createMessageStore, toStore, openAIChatDecodeDialect);`,
  root: `import { fromSSE } from './index'; console.log(fromSSE);`,
};
for (const [name, code] of Object.entries(cases)) {
  const r = await build({ stdin: { contents: code, resolveDir: root, loader: 'ts' }, bundle: true, minify: true, platform: 'browser', format: 'esm', write: false, external: ['rxjs'], logLevel: 'silent', plugins: [stub] });
  const t = Buffer.from(r.outputFiles[0].contents).toString().replace(/import\s*\{[^}]*\}\s*from\s*"rxjs";?/g, '');
  process.stdout.write(`${name} ${t.length} ${gzipSync(t, { level: 9 }).length}  `);
}
console.log();
