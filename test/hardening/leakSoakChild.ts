/**
 * The leak soak, run in its own process with --expose-gc (see leakSoak.test.ts and
 * `npm run soak`): for each source and each mergeTracks strategy, `cycles` subscriptions to a
 * replayed stream that stalls mid-way, each unsubscribed after its first text. Prints one JSON
 * line per scenario: heap growth after GC, sockets opened and closed, active handles left.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { mergeTracks, type MergeStrategy } from '../../src/tracks/mergeTracks';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromOpenAIResponses } from '../../src/sources/fromOpenAIResponses';
import { fromSSE } from '../../src/sources/fromSSE';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';

const cycles = Number(process.argv[2] ?? 2000);
const only = process.argv[3];
/** mergeTracks cycles (each runs two streams): default, as many as the sources. */
const mergedCycles = Number(process.env.SOAK_MERGED_CYCLES ?? cycles);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const fixture = (path: string) => readFileSync(join(process.cwd(), 'test/fixtures', path));

async function settle(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

const handles = () => process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');

interface Scenario {
  name: string;
  transcript: Buffer;
  /** The stream under test, against `server`. */
  make(server: ReplayServer): Observable<RxllmEvent>;
}

const sources: Scenario[] = [
  {
    name: 'fromSSE',
    transcript: fixture('openai-chat/text-include-usage.sse'),
    make: (server) =>
      fromSSE((signal) => fetch(`${server.openaiBaseURL}/chat/completions`, { method: 'POST', signal }), {
        dialect: 'openai-chat',
      }),
  },
  {
    name: 'fromOpenAI',
    transcript: fixture('openai-chat/text-include-usage.sse'),
    make: (server) =>
      fromOpenAI(new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL, maxRetries: 0 }), {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
      }),
  },
  {
    name: 'fromOpenAIResponses',
    transcript: fixture('openai-responses/reasoning-summary-text.sse'),
    make: (server) =>
      fromOpenAIResponses(new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL, maxRetries: 0 }), {
        model: 'm',
        input: 'hi',
      }),
  },
  {
    name: 'fromAnthropic',
    transcript: fixture('anthropic/text-basic-no-trailing-newline.sse'),
    make: (server) =>
      fromAnthropic(new Anthropic({ apiKey: 'k', baseURL: server.anthropicBaseURL, maxRetries: 0 }), {
        model: 'm',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
  },
  {
    name: 'fromOllama',
    transcript: fixture('ollama/chat-text-docs.ndjson'),
    make: (server) =>
      fromOllama({ baseUrl: server.url, model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  },
];

const strategies: MergeStrategy[] = ['interleave', 'race', 'fallback', 'hedge', 'handoff', 'compare'];
const merged: Scenario[] = strategies.map((strategy) => ({
  name: `mergeTracks ${strategy}`,
  transcript: fixture('openai-chat/text-include-usage.sse'),
  make: (server) => {
    const track = () =>
      fromSSE((signal) => fetch(`${server.openaiBaseURL}/chat/completions`, { method: 'POST', signal }), {
        dialect: 'openai-chat',
      });
    return track().pipe(
      mergeTracks({ other: track() }, { strategy, ...(strategy === 'hedge' && { hedgeAfterMs: 0 }) }),
    );
  },
}));

async function soak(scenario: Scenario, cycles: number): Promise<void> {
  // The stream stalls after its first events and stays open until the client goes away.
  const firstText = scenario.transcript.toString().search(/"(?:content|text|delta)":"[^"]/);
  const server = await createReplayServer({
    transcript: scenario.transcript,
    fault: { kind: 'stall', afterBytes: scenario.transcript.toString().indexOf('\n', firstText + 40) + 2 },
    timing: { sliceBytes: 4096 },
  });
  const cycle = async () => {
    await firstValueFrom(
      scenario.make(server).pipe(filter((event) => event.type === 'text' || event.type === 'reasoning')),
    );
    await Promise.all(server.requests.map((request) => request.closed));
    server.requests.length = 0; // the server's own record is not the client's leak
  };
  const warmUp = Math.min(200, cycles);
  for (let i = 0; i < warmUp; i++) await cycle();
  for (let turn = 0; turn < 10_000 && server.connections.opened !== server.connections.closed; turn++)
    await new Promise((resolve) => setImmediate(resolve));
  const handlesBefore = handles();
  const openBefore = server.connections.opened - server.connections.closed;
  const heapBefore = await settle();
  for (let i = 0; i < cycles; i++) await cycle();
  // Socket closes are reported some turns of the event loop after the request ended, later on a
  // loaded machine (a hedge's last backup may still be connecting): poll until they are back to
  // the warm-up's count, for at most 5 s, so a leak still shows as sockets left open.
  for (
    let waited = 0;
    waited < 5_000 && server.connections.opened - server.connections.closed > openBefore;
    waited += 10
  )
    await new Promise((resolve) => setTimeout(resolve, 10));
  const heapAfter = await settle();
  const handlesAfter = handles();
  const { opened, closed } = server.connections;
  await server.close();
  console.log(
    JSON.stringify({
      name: scenario.name,
      cycles,
      heapGrowthBytes: heapAfter - heapBefore,
      socketsOpened: opened,
      socketsClosed: closed,
      // Sockets open after the warm-up and at the end: equal when every unsubscribe closed its own.
      socketsOpenBefore: openBefore,
      socketsOpenAfter: opened - closed,
      handlesBefore: handlesBefore.join(','),
      handlesAfter: handlesAfter.join(','),
    }),
  );
}

async function main(): Promise<void> {
  for (const scenario of sources) if (!only || scenario.name === only) await soak(scenario, cycles);
  for (const scenario of merged) if (!only || scenario.name === only) await soak(scenario, mergedCycles);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
