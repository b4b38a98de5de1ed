import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    // Adapters and Bedrock in their own entries, so that their optional peers stay optional.
    'ai-sdk': 'src/adapters/aiSdk.ts',
    langchain: 'src/adapters/langchain.ts',
    bedrock: 'src/bedrock/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Peer and optional dependencies stay imports; nothing of theirs is bundled.
  external: [
    'rxjs',
    'openai',
    '@anthropic-ai/sdk',
    'eventsource-parser',
    'zod',
    'gpt-tokenizer',
    'ai',
    '@langchain/core',
    '@aws-sdk/client-bedrock-runtime',
    '@smithy/core',
  ],
});
