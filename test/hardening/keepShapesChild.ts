// Run by keepShapes.test.ts as `node --expose-gc --import tsx test/hardening/keepShapesChild.ts`
// (a process of its own: a full GC, and a heap no other test has touched). Reads recorded streams
// with fromSSE, and after each step counts the live instances of the classes a stream is made of
// in a heap snapshot taken after a full GC. Prints one JSON line of the counts.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSnapshot } from 'node:v8';
import { lastValueFrom } from 'rxjs';
import { fromSSE } from '../../src/sources/fromSSE';
import { keepParsedShape } from '../../src/wire/keepShapes';
import '../../src/dialects/openai-chat';
import '../../src/dialects/anthropic';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const classes = [
  'OpenAIChatDecoder',
  'SSEStreamDecoder',
  'Parser',
  'BytesReading',
  'MessageAccumulator',
  'SafeSubscriber',
];

/**
 * Live objects of each class after a full GC, read from a heap snapshot, and which of `needles()`
 * the snapshot held as strings: the needles are made after the snapshot was taken, so that
 * looking for them does not put them in the heap it looks at. Nothing of the snapshot outlives the
 * call (a snapshot's strings kept for a later look would be in every later snapshot, each about
 * twice the last).
 */
async function live(needles?: () => string[]): Promise<{ counts: Record<string, number>; found: boolean[] }> {
  // A macrotask first: WeakRefs and the last stream's promise jobs let go of what they held.
  await new Promise((done) => setTimeout(done, 0));
  gc!();
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const snapshot = JSON.parse(json) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const objectType = types[0].indexOf('object');
  const strings = needles && new Set(snapshot.strings);
  const found = needles?.().map((needle) => strings!.has(needle)) ?? [];
  const counts = Object.fromEntries(classes.map((name) => [name, 0]));
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    if (snapshot.nodes[i + typeAt] !== objectType) continue;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    if (name in counts) counts[name]!++;
  }
  return { counts, found };
}

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const fixture = (path: string): string[] => [readFileSync(resolve(fixtures, path), 'utf8')];
const read = (path: string, dialect: 'openai-chat' | 'anthropic') =>
  lastValueFrom(fromSSE(fixture(path), { dialect }));

async function main(): Promise<void> {
  const report: Record<string, unknown> = {};
  report.imported = (await live()).counts;
  await read('openai-chat/text-include-usage.sse', 'openai-chat');
  report.afterOneStream = (await live()).counts;
  for (let i = 0; i < 5; i++) await read('openai-chat/text-include-usage.sse', 'openai-chat');
  report.afterSixStreams = (await live()).counts;
  await read('anthropic/weather-agent-step1.sse', 'anthropic');
  report.afterAnotherDialect = (await live()).counts;

  // A reconnecting subscription (its decoder factory is a closure of the subscription's): nothing
  // of it is kept, neither its input function nor what that holds.
  const { reconnectSSE } = await import('../../src/sources/reconnectSSE');
  const readOnce = async (): Promise<WeakRef<object>> => {
    const perRequest = { body: fixture('openai-chat/text-include-usage.sse')[0]! };
    await lastValueFrom(
      fromSSE(() => new Response(perRequest.body), { dialect: 'openai-chat', reconnect: reconnectSSE() }),
    );
    return new WeakRef(perRequest);
  };
  const held = await readOnce();
  await live();
  report.reconnectInputKept = held.deref() !== undefined;

  // Dialect objects made per request (an app's own), and one whose decoder cannot be built bare:
  // at most 32 dialects get a specimen in all, and a failing one fails nothing.
  const { keepShapes } = await import('../../src/wire/keepShapes');
  const { createSSEDecoder } = await import('../../src/wire/createSSEDecoder');
  const { getDialect } = await import('../../src/wire/dialects');
  const openAIChat = getDialect('openai-chat');
  const refusing = {
    ...openAIChat,
    createDecoder: () => {
      throw new Error('needs options');
    },
  };
  keepShapes(createSSEDecoder, refusing, Object);
  for (let i = 0; i < 100; i++) keepShapes(createSSEDecoder, { ...openAIChat }, Object);
  report.afterManyDialects = (await live()).counts;

  // The ring of parsed chunks: a blanked copy of a small one (its keys, not its strings), none of
  // a large one, at most eight a second, the oldest dropped for a newer. Keys and strings made at
  // run time, and looked for among the heap's strings after they were dropped here.
  const tag = String(Math.random()).slice(2);
  // The ring's clock (Date.now) in virtual time: a second passes when the test says so.
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  const second = () => (now += 1100);
  second();
  keepParsedShape(`{"keyA${tag}":"secretA${tag}","n":1.5}`);
  keepParsedShape(`{"keyL${tag}":"${'x'.repeat(4096)}"}`);
  for (let i = 0; i < 7; i++) keepParsedShape(`{"filler":${i}}`);
  keepParsedShape(`{"keyB${tag}":"secretB${tag}"}`); // the ninth this second
  const [keyA, secretA, keyL, keyB] = (
    await live(() => [`keyA${tag}`, `secretA${tag}`, `keyL${tag}`, `keyB${tag}`])
  ).found;
  report.smallKeptBlank = keyA! && !secretA!;
  report.largeKept = keyL;
  report.ninthKept = keyB;
  second();
  for (let i = 0; i < 8; i++) keepParsedShape(`{"later":${i}}`);
  Date.now = realNow;
  report.smallKeptAfterEight = (await live(() => [`keyA${tag}`])).found[0];
  console.log(JSON.stringify(report));
}

void main();
