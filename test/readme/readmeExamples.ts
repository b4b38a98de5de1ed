import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

/** One ```ts block of the README, named by the `<!-- example: name -->` comment above it. */
export interface ReadmeExample {
  name: string | undefined;
  code: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

const repoRoot = resolve(__dirname, '../..');

/** Every TypeScript block in the README, in order. */
export function readmeExamples(path = resolve(repoRoot, 'README.md')): ReadmeExample[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
    // The name sits on the line above the fence, or above a blank line before it.
    const above = [lines[start - 1], lines[start - 2]].find((line) =>
      line?.trim().startsWith('<!-- example:'),
    );
    const name = above?.match(/<!-- example: ([\w-]+) -->/)?.[1];
    examples.push({ name, code: body.join('\n'), line: start + 1 });
  }
  return examples;
}

/** Subpaths whose source file is not named after them. */
const renamedEntries: Record<string, string> = {
  '': 'src/index.ts',
  'ai-sdk': 'src/adapters/aiSdk.ts',
  langchain: 'src/adapters/langchain.ts',
};

/**
 * Where a package name of an example resolves inside this repo (the sources, not a build):
 * `rxllm` → src/index.ts, `rxllm/<entry>` → src/<entry>.ts or src/<entry>/index.ts.
 */
function packageSource(id: string): string | undefined {
  if (id !== 'rxllm' && !id.startsWith('rxllm/')) return undefined;
  const entry = id.slice('rxllm/'.length);
  const candidates = [renamedEntries[entry], `src/${entry}.ts`, `src/${entry}/index.ts`];
  const found = candidates.find((candidate) => candidate && existsSync(resolve(repoRoot, candidate)));
  if (!found) throw new Error(`README example imports ${id}, which is no entry of this package`);
  return resolve(repoRoot, found);
}

/**
 * Runs a README example as its reader would paste it into an async module: its imports are
 * real `require`s (`rxllm` is this repo's source), the free names it leaves to the reader
 * (`messages`, `openai`, `render`, ...) come from `context`, and what it declares at top level is
 * returned, so a test can subscribe to it and check what it did.
 */
export async function runReadmeExample(
  example: ReadmeExample,
  context: Record<string, unknown>,
  requireModule: (id: string) => unknown,
): Promise<Record<string, unknown>> {
  const source = ts.createSourceFile('example.ts', example.code, ts.ScriptTarget.ES2022, true);
  const imports: string[] = [];
  const body: string[] = [];
  const imported = new Set<string>();
  const topLevel: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      imports.push(statement.getText());
      const clause = statement.importClause;
      if (clause?.name) imported.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const e of bindings.elements) imported.add(e.name.text);
      if (bindings && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text);
      continue;
    }
    topLevel.push(...topLevelNames(statement));
    // `export const POST = ...` is a declaration the example hands back, like any other.
    body.push(statement.getText().replace(/^export\s+/, ''));
  }
  const fromContext = Object.keys(context).filter((name) => !imported.has(name) && !topLevel.includes(name));
  const wrapped = [
    ...imports,
    'module.exports = async function example(__context) {',
    `  const { ${fromContext.join(', ')} } = __context;`,
    ...body,
    `  return { ${topLevel.join(', ')} };`,
    '};',
  ].join('\n');
  const { outputText } = ts.transpileModule(wrapped, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  const module = { exports: {} as unknown };
  const requireFor = (id: string): unknown => requireModule(packageSource(id) ?? id);
  new Function('require', 'module', 'exports', outputText)(requireFor, module, module.exports);
  return (module.exports as (context: Record<string, unknown>) => Promise<Record<string, unknown>>)(context);
}

function topLevelNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((declaration) => bindingNames(declaration.name));
  }
  if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
    return [statement.name.text];
  }
  return [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}
