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

/** Live objects of each class after a full GC, read from a heap snapshot. */
async function live(): Promise<Record<string, number>> {
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
  const counts = Object.fromEntries(classes.map((name) => [name, 0]));
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    if (snapshot.nodes[i + typeAt] !== objectType) continue;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    if (name in counts) counts[name]!++;
  }
  return counts;
}

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const fixture = (path: string): string[] => [readFileSync(resolve(fixtures, path), 'utf8')];
const read = (path: string, dialect: 'openai-chat' | 'anthropic') =>
  lastValueFrom(fromSSE(fixture(path), { dialect }));

async function main(): Promise<void> {
  const report: Record<string, unknown> = {};
  report.imported = await live();
  await read('openai-chat/text-include-usage.sse', 'openai-chat');
  report.afterOneStream = await live();
  for (let i = 0; i < 5; i++) await read('openai-chat/text-include-usage.sse', 'openai-chat');
  report.afterSixStreams = await live();
  await read('anthropic/weather-agent-step1.sse', 'anthropic');
  report.afterAnotherDialect = await live();

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
  report.afterManyDialects = await live();

  // The ring of parsed values: a small one is kept until eight more have come, a large one never.
  const small = new WeakRef({ small: true });
  keepParsedShape(small.deref(), 100);
  const large = new WeakRef({ large: true });
  keepParsedShape(large.deref(), 4096);
  await live();
  report.smallKept = small.deref() !== undefined;
  report.largeKept = large.deref() !== undefined;
  for (let i = 0; i < 8; i++) keepParsedShape({ other: i }, 100);
  await live();
  report.smallKeptAfterEight = small.deref() !== undefined;
  console.log(JSON.stringify(report));
}

void main();
