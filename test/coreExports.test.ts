import * as core from '../src/core';
import * as root from '../src/index';
import { fromSSE as coreFromSSE } from '../src/core/fromSSE';
import { ev } from '../src/testing';
import { toArray, lastValueFrom, of } from 'rxjs';

/** What only `rxllm` has: the built-in dialect table and each dialect object (`rxllm/dialects/<name>`). */
const rootOnly = [
  'dialects',
  'getDialect',
  'agUiDialect',
  'aiSdkUiDialect',
  'anthropicDialect',
  'geminiDialect',
  'ollamaDialect',
  'openAIChatDialect',
  'openAIResponsesDialect',
  'rxllmDialect',
  // The stream log's SSE helpers encode through the root's toSSE (any dialect by name).
  'streamLogToSSE',
  'serveStreamLog',
  'resumeAfter',
];

describe('rxllm/core', () => {
  it('is everything rxllm exports but the dialect table and the dialect objects', () => {
    // src/index.ts is `export * from './core'` plus these: nothing else may be root-only.
    const rootOnlyNames = Object.keys(root).filter((name) => !(name in core));
    expect(rootOnlyNames.sort()).toEqual([...rootOnly].sort());
  });

  it('shares every function but the four that resolve dialect names', () => {
    const differing = Object.keys(core).filter(
      (name) => (core as Record<string, unknown>)[name] !== (root as Record<string, unknown>)[name],
    );
    expect(differing.sort()).toEqual(['fromEventSource', 'fromNDJSON', 'fromSSE', 'toSSE']);
  });

  it('takes a dialect object, and refuses a name it was not given with a hint at the import', async () => {
    const sse = 'data: {"type":"text","text":"Hi"}\n\ndata: [DONE]\n\n';
    const body = () => new Response(sse).body!;
    const events = await lastValueFrom(coreFromSSE(body(), { dialect: root.rxllmDialect }).pipe(toArray()));
    expect(events.map((event) => event.type)).toEqual(['text']);
    expect(() => coreFromSSE(body(), { dialect: 'gemini' })).toThrow(/rxllm\/dialects\/gemini/);
  });

  it("core's toSSE writes the rxllm dialect by default, as rxllm's does", async () => {
    const written = (operator: typeof core.toSSE) =>
      lastValueFrom(of(ev.text('Hi')).pipe(operator(), toArray()));
    expect(await written(core.toSSE)).toEqual(await written(root.toSSE));
  });
});
