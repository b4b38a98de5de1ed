import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** One import of a module by another, both as paths relative to the graph's root (`wire/types.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
  /** `import type`, `export type` or every named binding marked `type`: erased at runtime. */
  typeOnly: boolean;
}

/** Every module under a root and what it imports from the others (type-only imports included). */
export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
}

/**
 * The relative imports of one TypeScript module, read with TypeScript's own parser: `import`,
 * `export ... from`, `import('...')` types and calls, and `require('...')`. Only relative
 * specifiers are returned; packages are not part of the graph.
 */
export function importsOf(
  source: string,
  fileName = 'module.ts',
): { specifier: string; typeOnly: boolean }[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node !== undefined && ts.isStringLiteralLike(node) && node.text.startsWith('.'))
      found.push({ specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      // A side-effect import (no clause) runs the module; `import { type A, type B }` does not.
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The module a relative specifier names, as TypeScript would resolve it (`.js` written for `.ts` too). */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier.replace(/\.js$/, ''));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

/** Reads the import graph of every `.ts` module under `root`. An unresolvable import throws. */
export function readImportGraph(root: string): ImportGraph {
  const absolute: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) absolute.push(path);
    }
  };
  walk(root);
  const name = (path: string) => relative(root, path).split(sep).join('/');
  const edges: ImportEdge[] = [];
  for (const file of absolute) {
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8'), file)) {
      const target = resolveSpecifier(file, specifier);
      if (target === undefined) throw new Error(`${name(file)}: cannot resolve '${specifier}'`);
      edges.push({ from: name(file), to: name(target), typeOnly });
    }
  }
  return { files: absolute.map(name).sort(), edges };
}

/**
 * Every import cycle, type-only imports included (a type cycle still ties the modules' meaning
 * together): the strongly connected components of more than one module, and modules that import
 * themselves. Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const file of graph.files) next.set(file, []);
  for (const edge of graph.edges) {
    if (!next.has(edge.from)) next.set(edge.from, []);
    if (!next.has(edge.to)) next.set(edge.to, []);
    next.get(edge.from)!.push(edge.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  for (const start of next.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; child: number }[] = [{ node: start, child: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const children = next.get(frame.node)!;
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || children.includes(frame.node)) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

/**
 * The layer of a module: the layer whose folder is the longest prefix of its path. A folder is
 * written as in the graph (`sources/engine`); `.` is the files directly under the root.
 */
export function layerOf(file: string, layers: readonly (readonly string[])[]): number {
  let best = -1;
  let bestLength = -1;
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  layers.forEach((folders, layer) => {
    for (const prefix of folders) {
      const matches = prefix === '.' ? folder === '.' : folder === prefix || folder.startsWith(`${prefix}/`);
      if (matches && prefix.length > bestLength) {
        best = layer;
        bestLength = prefix.length;
      }
    }
  });
  return best;
}

/** An import that breaks the layer order, or a module that belongs to no declared layer. */
export interface LayerViolation {
  from: string;
  to?: string;
  message: string;
}

/**
 * Imports that run back up the layer order: `layers` lists folders from the bottom up, and a
 * module may import only from its own layer or one below it. A module in no declared layer is a
 * violation too, so a new folder must be given its place.
 */
export function layerViolations(
  graph: ImportGraph,
  layers: readonly (readonly string[])[],
): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of graph.files)
    if (layerOf(file, layers) === -1)
      violations.push({ from: file, message: `${file} is in no declared layer` });
  for (const edge of graph.edges) {
    const from = layerOf(edge.from, layers);
    const to = layerOf(edge.to, layers);
    if (from !== -1 && to > from)
      violations.push({
        from: edge.from,
        to: edge.to,
        message: `${edge.from} (${layers[from]!.join(', ')}) imports ${edge.to} (${layers[to]!.join(', ')}), a layer above it`,
      });
  }
  return violations;
}
