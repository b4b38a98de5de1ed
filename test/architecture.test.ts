import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layers } from './architecture/layers';
import {
  findCycles,
  importsOf,
  layerOf,
  layerViolations,
  readImportGraph,
  type ImportGraph,
} from './support/importGraph';

/**
 * The architecture of src/ as a test: no module imports itself back through any chain (type-only
 * imports count: a type circle still ties the modules' meaning together), and no import runs back
 * up the layer order of test/architecture/layers.ts, which docs/ARCHITECTURE.md shows.
 */

const root = join(__dirname, '..');
const graph = readImportGraph(join(root, 'src'));

describe('the import graph of src/', () => {
  it('is read with every import, type-only ones marked', () => {
    // A sanity check that the reader sees the graph at all: known edges of each kind.
    const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);
    expect(edge('base/events.ts', 'base/errors.ts')?.typeOnly).toBe(true);
    expect(edge('sources/fromSSE.ts', 'sources/engine/sourceFromBytes.ts')?.typeOnly).toBe(false);
    expect(graph.files.length).toBeGreaterThan(100);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('imports only from the same layer or a layer below', () => {
    expect(layerViolations(graph, layers).map((violation) => violation.message)).toEqual([]);
  });

  it('has its layer order written in docs/ARCHITECTURE.md', () => {
    const doc = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
    const block = /<!-- layers -->\n```\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    // One line per layer, top first, as "N. folder, folder — what": the folders must match.
    const documented = block![1]!
      .trim()
      .split('\n')
      .map((line) => /^\s*\d+\.\s+([^—]+?)\s+—/.exec(line)?.[1]?.split(/,\s*/) ?? [line]);
    expect(documented.reverse()).toEqual(layers.map((folders) => [...folders]));
  });
});

describe('the checker', () => {
  const synthetic = (edges: [string, string, boolean?][]): ImportGraph => ({
    files: [...new Set(edges.flatMap(([from, to]) => [from, to]))].sort(),
    edges: edges.map(([from, to, typeOnly = false]) => ({ from, to, typeOnly })),
  });
  const tiny = [['base'], ['wire'], ['sources/engine'], ['sources'], ['.', 'dialects']] as const;

  it('finds a runtime cycle, a type-only cycle and a self-import', () => {
    expect(
      findCycles(
        synthetic([
          ['a.ts', 'b.ts'],
          ['b.ts', 'a.ts'],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
    expect(
      findCycles(
        synthetic([
          ['base/errors.ts', 'base/message.ts', true],
          ['base/message.ts', 'base/events.ts', true],
          ['base/events.ts', 'base/errors.ts', true],
          ['base/events.ts', 'base/leaf.ts'],
        ]),
      ),
    ).toEqual([['base/errors.ts', 'base/events.ts', 'base/message.ts']]);
    expect(findCycles(synthetic([['a.ts', 'a.ts']]))).toEqual([['a.ts']]);
  });

  it('finds none in a chain or a diamond', () => {
    expect(
      findCycles(
        synthetic([
          ['d.ts', 'b.ts'],
          ['d.ts', 'c.ts'],
          ['b.ts', 'a.ts'],
          ['c.ts', 'a.ts'],
        ]),
      ),
    ).toEqual([]);
  });

  it('places a module in the layer of its longest folder', () => {
    expect(layerOf('sources/engine/sourceFromBytes.ts', tiny)).toBe(2);
    expect(layerOf('sources/fromSSE.ts', tiny)).toBe(3);
    expect(layerOf('index.ts', tiny)).toBe(4);
    expect(layerOf('wireless/x.ts', tiny)).toBe(-1); // a folder prefix is a whole folder name
  });

  it('reports an import up the layers, type-only too, and a module in no layer', () => {
    const messages = layerViolations(
      synthetic([
        ['sources/fromSSE.ts', 'sources/engine/sourceFromBytes.ts'], // down: fine
        ['sources/engine/sourceFromBytes.ts', 'sources/fromSSE.ts', true], // up, type-only
        ['wire/decoder.ts', 'base/events.ts'], // down: fine
        ['base/events.ts', 'dialects/rxllm.ts'], // up
        ['index.ts', 'dialects/rxllm.ts'], // same layer: fine
        ['misc/helper.ts', 'base/events.ts'], // misc/ is in no layer
      ]),
      tiny,
    ).map((violation) => violation.message);
    expect(messages).toEqual([
      'misc/helper.ts is in no declared layer',
      'sources/engine/sourceFromBytes.ts (sources/engine) imports sources/fromSSE.ts (sources), a layer above it',
      'base/events.ts (base) imports dialects/rxllm.ts (., dialects), a layer above it',
    ]);
  });

  it("reads imports with TypeScript's parser: type-only, re-exports, import types, dynamic imports", () => {
    const source = [
      "import type { A } from './a';",
      "import { type B, type C } from './b';",
      "import { D, type E } from './d';",
      "import './side-effect';",
      "export { F } from './f';",
      "export type { G } from './g';",
      "export * from './h';",
      "type I = import('./i').I;",
      "const j = () => import('./j');",
      "import { rxjs } from 'rxjs';",
      "// import { K } from './comment';",
      'const text = "import { L } from \'./string\'";',
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { specifier: './a', typeOnly: true },
      { specifier: './b', typeOnly: true },
      { specifier: './d', typeOnly: false },
      { specifier: './side-effect', typeOnly: false },
      { specifier: './f', typeOnly: false },
      { specifier: './g', typeOnly: true },
      { specifier: './h', typeOnly: false },
      { specifier: './i', typeOnly: true },
      { specifier: './j', typeOnly: false },
    ]);
  });
});
