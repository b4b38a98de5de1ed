import { defineConfig } from 'vitest/config';

/**
 * The Durable Streams conformance suite (`@durable-streams/server-conformance-tests`) is written for
 * vitest, so it runs here rather than under jest: `npm run test:durable`. Its files end in
 * `.vitest.ts` so that jest never picks them up.
 */
export default defineConfig({
  test: {
    include: ['test/durable/**/*.vitest.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
