import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Runs a script of this folder in a Node process of its own (`--expose-gc`, through tsx, from the
 * repo's root) and gives the JSON of its last line of output: for tests that need a full GC and a
 * heap no other test touched. Rejects with everything it printed when that line is not JSON.
 */
export function runChild<T>(script: string, args: string[] = []): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', resolve(__dirname, script), ...args],
      {
        cwd: resolve(__dirname, '../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolvePromise(JSON.parse(last) as T);
      } catch {
        reject(new Error(`child exited ${String(code)} without a report: ${out}${err}`));
      }
    });
  });
}
