/** Jest runs the TypeScript sources directly (transpile only; `npm run typecheck` checks types). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: { module: 'commonjs', target: 'es2022', esModuleInterop: true, isolatedModules: true },
        diagnostics: false,
      },
    ],
  },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.cjs'],
};
