import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

// One entry per dialect (`rxllm/dialects/<name>`), and one per decode-only form
// (`rxllm/dialects/<name>/decode`): a file in src/dialects/ (or src/dialects/<name>/) is all an
// entry needs to get its subpath (package.json's exports map `./dialects/*`, which spans slashes).
const dialectEntries = Object.fromEntries(
  readdirSync('src/dialects', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.replaceAll('\\', '/'))
    .map((file) => [`dialects/${file.slice(0, -3)}`, `src/dialects/${file}`]),
);

/**
 * Node-only modules, imported by their own `#name` and left for the package's consumer to resolve:
 * Node (and a bundler for Node) gets dist/<name>, a browser bundle dist/<name>Stub (see
 * package.json's `imports`), so that no browser app holds Node-only code. The engine's stream
 * reader (`#nodeReader`), the keeper of hidden classes across a GC (`#keepShapes`), the shared
 * UTF-8 decoding of whole chunks (`#decodeWhole`) and the network failures only Node's and Deno's
 * fetch and sockets give (`#nodeNetworkFailure`).
 */
const nodeOnly: Record<string, RegExp> = {
  '#nodeReader': /\/readNodeStream$/,
  '#keepShapes': /\/keepShapes$/,
  '#decodeWhole': /\/decodeWhole$/,
  '#nodeNetworkFailure': /\/isNodeNetworkFailure$/,
  '#validateWireEvent': /\/validateWireEvent$/,
};
const nodeOnlyImports: Plugin = {
  name: 'node-only-imports',
  setup(build) {
    for (const [path, filter] of Object.entries(nodeOnly))
      build.onResolve({ filter }, (args) =>
        args.kind === 'entry-point' ? undefined : { path, external: true },
      );
  },
};

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    core: 'src/core.ts',
    schema: 'src/schema.ts',
    testing: 'src/testing/index.ts',
    'prices/genai-prices': 'src/prices/genai-prices.ts',
    // Adapters and Bedrock in their own entries, so that their optional peers stay optional.
    'ai-sdk': 'src/adapters/aiSdk.ts',
    langchain: 'src/adapters/langchain.ts',
    bedrock: 'src/bedrock/index.ts',
    ...dialectEntries,
    // The Node-only modules and the stubs a browser bundle gets instead, each a file of its own
    // imported as `#nodeReader`, `#keepShapes`, `#decodeWhole` and `#nodeNetworkFailure` (package.json's
    // `imports`, by condition).
    nodeReader: 'src/sources/engine/readNodeStream.ts',
    nodeReaderStub: 'src/sources/engine/readNodeStreamStub.ts',
    keepShapes: 'src/wire/keepShapes.ts',
    keepShapesStub: 'src/wire/keepShapesStub.ts',
    decodeWhole: 'src/wire/decodeWhole.ts',
    decodeWholeStub: 'src/wire/decodeWholeStub.ts',
    nodeNetworkFailure: 'src/base/isNodeNetworkFailure.ts',
    nodeNetworkFailureStub: 'src/base/isNodeNetworkFailureStub.ts',
    validateWireEvent: 'src/wire/rxllm/validateWireEvent.ts',
    validateWireEventStub: 'src/wire/rxllm/validateWireEventLight.ts',
  },
  esbuildPlugins: [nodeOnlyImports],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Shared code in chunks for CommonJS too, so `rxllm` and `rxllm/core` required together share
  // one copy of each module (flow gates, the dialect registry) as they do in ESM.
  splitting: true,
  // Peer and optional dependencies stay imports; nothing of theirs is bundled.
  external: [
    'rxjs',
    'openai',
    '@anthropic-ai/sdk',
    'zod',
    'gpt-tokenizer',
    'ai',
    '@langchain/core',
    '@aws-sdk/client-bedrock-runtime',
    '@smithy/core',
    '@pydantic/genai-prices',
  ],
});
