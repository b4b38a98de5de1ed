import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromOpenAIResponses } from '../../src/sources/fromOpenAIResponses';

/**
 * rxllm's declarations do not import the SDKs (optional peers); the SDK sources read their
 * parameter types off the client passed in. `npm run typecheck` (run by lint in CI) checks the
 * `@ts-expect-error` lines: each one must be an error, or the check fails.
 */
describe('SDK source parameter types', () => {
  const openai = new OpenAI({ apiKey: 'test' });
  const anthropic = new Anthropic({ apiKey: 'test' });

  it('are the SDK version’s own, read off the client', () => {
    const builds = [
      () =>
        fromOpenAI(
          openai,
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { request: { headers: { 'x-trace': '1' }, timeout: 5_000 } },
        ),
      // @ts-expect-error: a misspelled parameter is caught by the openai SDK's own types
      () => fromOpenAI(openai, { model: 'gpt-4o-mini', mesages: [] }),
      () => fromOpenAIResponses(openai, { model: 'gpt-5-mini', input: 'hi' }),
      () =>
        fromAnthropic(anthropic, {
          model: 'claude-x',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      // @ts-expect-error: max_tokens is required by the Anthropic SDK's own types
      () => fromAnthropic(anthropic, { model: 'claude-x', messages: [] }),
    ];
    // Building a source makes no request (sources are lazy), so each of these is safe to call.
    for (const build of builds) expect(typeof build().subscribe).toBe('function');
  });

  it('leave the published declarations free of SDK imports', () => {
    const { readdirSync, readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const { join } = jest.requireActual<typeof import('node:path')>('node:path');
    // Every declaration file: the entries share declaration chunks (dist/*-<hash>.d.ts).
    const dist = join(__dirname, '../../dist');
    const declarations = readdirSync(dist)
      .filter((file) => file.endsWith('.d.ts'))
      .map((file) => readFileSync(join(dist, file), 'utf8'))
      .join('\n');
    // JSDoc examples mention the SDKs; no import statement may.
    expect(declarations).not.toMatch(/^import .* from ['"](openai|@anthropic-ai\/sdk)['"]/m);
    expect(declarations).toMatch(/^ \* import OpenAI from 'openai';$/m);
  });
});
