import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository's root: the demo runs from there, as `npm run demo` does. */
export const root = resolve(__dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run demo`'s command with no real provider configured (unless `env` names one). */
export function runDemo(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = { ...process.env };
  for (const name of [
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'OLLAMA_HOST',
    'OPENAI_BASE_URL',
    'ANTHROPIC_BASE_URL',
    'OPENAI_MODEL',
    'ANTHROPIC_MODEL',
    'OLLAMA_MODEL',
    'FORCE_COLOR',
  ])
    delete clean[name];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/demo.ts', ...args], {
      cwd: root,
      env: { ...clean, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
