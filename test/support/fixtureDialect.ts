import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DialectName } from '../../src/wire/types';

const fixtureRoot = resolve(__dirname, '../fixtures');

/** The dialect each recorded fixture is in (test/fixtures/README.md). */
export function dialectOf(path: string): DialectName {
  if (path.startsWith('anthropic/')) return 'anthropic';
  if (
    path.startsWith('openai-responses/') ||
    path.startsWith('github-copilot/') ||
    path.startsWith('lmstudio/') ||
    path === 'openrouter/responses-api-data-only-done.sse'
  )
    return 'openai-responses';
  if (path.startsWith('ollama/')) return 'ollama';
  if (path === 'edge/gemini-crlf.sse' || path.startsWith('gemini/') || path.startsWith('vertex/'))
    return 'gemini';
  if (path.startsWith('bedrock/'))
    return path.includes('invoke-anthropic') ? 'bedrock-anthropic' : 'bedrock-converse';
  return 'openai-chat';
}

/** Every recorded fixture, as `<dir>/<file>` under test/fixtures. */
export const allFixtures: readonly string[] = readdirSync(fixtureRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) => readdirSync(resolve(fixtureRoot, dir.name)).map((file) => `${dir.name}/${file}`))
  .sort();
