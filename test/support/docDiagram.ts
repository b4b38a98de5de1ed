import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The marble diagram in an exported function's JSDoc: the first ```text fence in `file`, with the
 * JSDoc's leading ` * ` stripped. Specs compare it with the marbles/ scenario, so docs cannot drift.
 */
export function readDocDiagram(file: string): string {
  const source = readFileSync(resolve(__dirname, '../..', file), 'utf8');
  const match = /```text\n([\s\S]*?)\n\s*\*\s*```/.exec(source);
  if (!match) throw new Error(`${file} has no \`\`\`text marble diagram in its JSDoc`);
  return match[1]!
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n');
}
