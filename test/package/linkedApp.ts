import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository, whose dist/ the package tests consume. */
export const root = resolve(__dirname, '../..');

/**
 * A fresh app folder whose `node_modules/rxllm` is this repository (its dist/, through
 * package.json's exports and imports, as a consumer resolves them) and, with `rxjs`, whose
 * `node_modules/rxjs` is ours. Throws unless `npm run build` has written `built`.
 */
export function linkedApp(prefix: string, built: string, { rxjs = false } = {}): string {
  if (!existsSync(join(root, built)))
    throw new Error(`run \`npm run build\` first: this test reads ${built}`);
  const app = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(root, join(app, 'node_modules/rxllm'), 'dir');
  if (rxjs) symlinkSync(join(root, 'node_modules/rxjs'), join(app, 'node_modules/rxjs'), 'dir');
  return app;
}
