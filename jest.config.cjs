/**
 * Jest runs the TypeScript sources directly (transpile only; `npm run typecheck` checks types).
 *
 * The suites are split into projects so that `npm test` stays fast (unit, marble and local-HTTP
 * tests: `--selectProjects unit`) and what is slow or needs more than Node has its own script;
 * `.ci/run` runs them all:
 *   unit      npm test                  everything not listed below
 *   browser   npm run test:browser      headless Chromium (/usr/bin/chromium)
 *   package   npm run test:package      the built package: pack, install, bundle budgets, .d.ts, two builds in one process
 *   demo      npm run test:demo         the terminal demo end to end, at its real pace
 *   bench     npm run test:bench        the benchmark's smoke run
 *   runtimes  npm run test:runtimes     Node 22, Bun, Deno, workerd from npm (runtimes/), after a build
 *   redis     npm run test:redis        resumable streams on a real redis-server, several processes
 * and, outside jest, `npm run test:durable`: the Durable Streams conformance suite (vitest).
 */
const transform = {
  '^.+\\.tsx?$': [
    'ts-jest',
    {
      tsconfig: { module: 'commonjs', target: 'es2022', esModuleInterop: true, isolatedModules: true },
      diagnostics: false,
    },
  ],
};

/** The suites outside `unit`, as globs under the repository root. */
const separate = {
  browser: ['test/browser/**/*.test.ts', 'test/demo/demoWeb.test.ts'],
  package: [
    'test/package/**/*.test.ts',
    'test/types/sdkParams.test.ts',
    'test/composition/twoBuilds.test.ts',
  ],
  demo: ['test/demo/demo.test.ts', 'test/demo/demoAgent.test.ts'],
  bench: ['test/bench/**/*.test.ts'],
  runtimes: ['test/runtimes/**/*.test.ts'],
  redis: ['test/redis/**/*.test.ts'],
};

const project = (displayName, testMatch, testPathIgnorePatterns = []) => ({
  displayName,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: testMatch.map((glob) => `<rootDir>/${glob}`),
  testPathIgnorePatterns: ['/node_modules/', ...testPathIgnorePatterns],
  transform,
});

/** A glob of `separate` as a path pattern, for `unit` to leave out. */
const pattern = (glob) =>
  '/' +
  glob
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace('/**/*', '/.*')
    .replace(/\*/g, '[^/]*') +
  '$';

module.exports = {
  projects: [
    project('unit', ['test/**/*.test.ts'], Object.values(separate).flat().map(pattern)),
    ...Object.entries(separate).map(([name, globs]) => project(name, globs)),
  ],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.cjs'],
};
