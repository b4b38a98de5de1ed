/**
 * rxllm's layers, from the bottom up: a module under src/ imports only from its own layer or a
 * layer below it (test/architecture.test.ts checks every import, type-only ones included).
 * Each layer is a list of folders under src/ (`.` is the files directly in src/); a module
 * belongs to the layer of the longest folder that holds it. docs/ARCHITECTURE.md shows this list.
 */
export const layers: readonly (readonly string[])[] = [
  ['base'],
  ['flow'],
  ['pricing'],
  ['wire'],
  ['sources/engine'],
  ['sources'],
  ['operators'],
  ['tracks'],
  ['sinks'],
  ['tools'],
  ['log'],
  ['.', 'core', 'dialects', 'adapters', 'bedrock', 'prices', 'testing'],
];
