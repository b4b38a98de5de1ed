import { z } from 'zod';
import { RxllmError } from '../src/base/errors';
import type { StructuredOutputConfig, StructuredOutputSchema } from '../src/operators/structuredOutput';
import { ev, type MarbleScenario } from '../src/testing';

/** What a structuredOutput scenario configures: the schema (if any) and the options. */
export interface StructuredOutputScenarioConfig {
  schema?: StructuredOutputSchema<unknown>;
  options?: StructuredOutputConfig;
}

const Recipe = z.object({ title: z.string(), tags: z.array(z.string()), serves: z.number() });
const Order = z.object({ items: z.array(z.object({ name: z.string(), price: z.number() })) });

const partial = (value: unknown) => ({ done: false, partial: value });
const done = (value: unknown) => ({ done: true, value });
const malformed = (message: string) => new RxllmError(`structuredOutput: ${message}`, { code: 'malformed' });

const values = {
  // main: a recipe streamed in four deltas.
  a: ev.text('{"title":"Pan'),
  b: ev.text('cakes","tags":["swe'),
  c: ev.text('et"],"serves":'),
  d: ev.text('4}'),
  A: partial({ title: 'Pan' }),
  B: partial({ title: 'Pancakes', tags: ['swe'] }),
  C: partial({ title: 'Pancakes', tags: ['sweet'] }),
  D: done({ title: 'Pancakes', tags: ['sweet'], serves: 4 }),

  // A fenced answer.
  f: ev.text('```json\n{"n":'),
  g: ev.text('1}\n```'),
  F: partial({}),
  G: done({ n: 1 }),

  // An escape and CJK / emoji text split across deltas.
  h: ev.text('{"q":"寿司 \\'),
  i: ev.text('"🍣\\'),
  j: ev.text('u0021"}'),
  H: partial({ q: '寿司 ' }),
  I: partial({ q: '寿司 "🍣' }),
  J: done({ q: '寿司 "🍣!' }),

  // One value in one delta, then finish and usage.
  o: ev.text('{"items":[{"name":"tea","price":2.5}]}'),
  O: done({ items: [{ name: 'tea', price: 2.5 }] }),
  e: ev.finish(),
  u: ev.usage(10, 12),

  // A value that fails the schema.
  p: ev.text('{"items":[{"name":"a","price":1},{"name":"b","price":2},'),
  q: ev.text('{"name":"c","price":"3"}]}'),
  P: partial({
    items: [
      { name: 'a', price: 1 },
      { name: 'b', price: 2 },
    ],
  }),

  // Prose instead of JSON; a truncated value.
  s: ev.text('Sure! {"a":1}'),
  t: ev.text('{"a":"b'),
  T: partial({ a: 'b' }),

  // A refusal instead of JSON; a value cut off at the length limit.
  z: { type: 'refusal', text: "I can't help with that." },
  R: ev.finish('refusal'),
  E: ev.finish('length'),

  // Tool mode: the arguments of the `extract` call.
  k: ev.toolCallStart('call_1', 'extract'),
  l: ev.toolCallDelta('call_1', '{"title":"Pan'),
  m: ev.toolCallDelta('call_1', 'cakes","tags":[],"serves":2}'),
  n: ev.toolCall('call_1', 'extract', { title: 'Pancakes', tags: [], serves: 2 }),
  L: partial({ title: 'Pan' }),
  M: done({ title: 'Pancakes', tags: [], serves: 2 }),

  // Interleaved tracks: the first to send text is followed.
  w: ev.text('{"n":', 'local'),
  x: ev.text('Hello', 'cloud'),
  y: ev.text('7}', 'local'),
  W: partial({}),
  Y: done({ n: 7 }),

  // A reset of the followed track starts over.
  r: ev.reset('retry'),
  v: ev.text('{"n":2}'),
  V: done({ n: 2 }),
};

/** The scenarios that specify `structuredOutput`; `main` is the one its JSDoc shows. */
export const scenarios: Record<
  string,
  MarbleScenario<StructuredOutputScenarioConfig> & { unsubscribe?: string }
> = {
  main: {
    description: 'emits the value as it grows and the validated value when it closes',
    diagram: {
      source: '-a-b-c-d-|',
      expected: '-A-B-C-D-|',
    },
    values,
    config: { schema: Recipe },
    subscriptions: '^--------!',
  },
  fenced: {
    description: 'skips a Markdown fence around the JSON',
    diagram: {
      source: '-f-g-|',
      expected: '-F-G-|',
    },
    values,
    config: {},
  },
  splitEscapeAndMultibyte: {
    description: 'reads an escape split across deltas and CJK and emoji text',
    diagram: {
      source: '-h-i-j-|',
      expected: '-H-I-J-|',
    },
    values,
    config: { schema: z.object({ q: z.string() }) },
  },
  oneValueUsageLast: {
    description: 'emits only the validated value for JSON that arrives whole, and ignores finish and usage',
    diagram: {
      source: '-o-e-u-|',
      expected: '-O-----|',
    },
    values,
    config: { schema: Order },
  },
  schemaMismatch: {
    description: 'fails with a malformed error naming the path that does not match the schema',
    diagram: {
      source: '-p-q-|',
      expected: '-P-#',
    },
    values,
    config: { schema: Order },
    error: malformed(
      'the value does not match the schema: items[2].price: Invalid input: expected number, received string',
    ),
    subscriptions: '^--!',
  },
  notJson: {
    description: 'fails with a malformed error naming the character when the text is not JSON',
    diagram: {
      source: '-s-|',
      expected: '-#',
    },
    values,
    config: {},
    error: malformed('invalid JSON: unexpected "S" at character 1 (near "Sure! {\\"a\\":1}")'),
    subscriptions: '^!',
  },
  truncated: {
    description: 'fails when the stream completes before the value is complete',
    diagram: {
      source: '-t-|',
      expected: '-T-#',
    },
    values,
    config: {},
    error: malformed('the stream ended before the JSON value was complete (after 7 characters)'),
  },
  cutAtLength: {
    description: 'names the finish reason when the value was cut off',
    diagram: {
      source: '-t-E-|',
      expected: '-T---#',
    },
    values,
    config: {},
    error: malformed(
      'the stream ended before the JSON value was complete (after 7 characters) (finish reason: length)',
    ),
  },
  refusal: {
    description: 'fails with a provider error carrying the refusal when the model refuses instead',
    diagram: {
      source: '-z-R-|',
      expected: '-----#',
    },
    values,
    config: { schema: Recipe },
    error: new RxllmError("structuredOutput: the model refused: I can't help with that.", {
      code: 'provider',
    }),
  },
  empty: {
    description: 'fails when the stream completes without any JSON',
    diagram: {
      source: '|',
      expected: '#',
    },
    values,
    config: {},
    error: malformed('the stream ended without any JSON text'),
  },
  sourceError: {
    description: 'passes a source error on after the partials so far',
    diagram: {
      source: '-a-#',
      expected: '-A-#',
    },
    values,
    config: { schema: Recipe },
    error: new RxllmError('socket hang up', { code: 'network' }),
  },
  toolCall: {
    description: "reads a tool call's argument deltas with from: 'tool-call'",
    diagram: {
      source: '-k-l-m-n-|',
      expected: '---L-M---|',
    },
    values,
    config: { schema: Recipe, options: { from: 'tool-call', toolName: 'extract' } },
  },
  interleavedTracks: {
    description: 'follows the first track that sends JSON and ignores the others',
    diagram: {
      source: '-w-x-y-|',
      expected: '-W---Y-|',
    },
    values,
    config: {},
  },
  reset: {
    description: 'starts over when the followed track is reset',
    diagram: {
      source: '-t-r-v-|',
      expected: '-T---V-|',
    },
    values,
    config: {},
  },
  neverEnding: {
    description: 'unsubscribes from a never-ending source when unsubscribed',
    diagram: {
      source: '-a-b----',
      unsubscribe: '^----!',
      expected: '-A-B-',
    },
    values,
    config: { schema: Recipe },
    subscriptions: '^----!',
  },
};
