import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { structuredOutput } from '../../src/operators/structuredOutput';

// structuredOutput against JSON.parse (issue 12, item 5): for arbitrary JSON, with keys named like
// Object.prototype members, streamed in arbitrary pieces, the final value is what JSON.parse
// gives (own `__proto__` keys, no replaced prototype) and no partial has a replaced prototype.

const runs = Number(process.env.FUZZ_RUNS ?? 200);
const seed = Number(process.env.FUZZ_SEED ?? 20_261_203);

const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'isAdmin'),
  fc.string(),
);
const { value: json } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => {
      // Built as text, so that `__proto__` is a key and not a prototype here either.
      return { raw: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}` };
    }),
  ),
}));

function text(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'raw' in value) return (value as { raw: string }).raw;
  if (Array.isArray(value)) return `[${value.map(text).join(',')}]`;
  return JSON.stringify(value);
}

/** Every object in `value` still has Object.prototype (or Array.prototype) as its prototype. */
function prototypesIntact(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  const expected = Array.isArray(value) ? Array.prototype : Object.prototype;
  if (Object.getPrototypeOf(value) !== expected) return false;
  return Object.values(value).every(prototypesIntact);
}

it('structuredOutput gives what JSON.parse gives, streamed in any pieces', async () => {
  await fc.assert(
    fc.asyncProperty(
      json.filter((value) => value !== null && typeof value === 'object'),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
      async (value, sizes) => {
        const source = text(value);
        const events: RxllmEvent[] = [];
        for (let at = 0, i = 0; at < source.length; i++) {
          const size = sizes[i % sizes.length]!;
          events.push({ type: 'text', text: source.slice(at, at + size) });
          at += size;
        }
        events.push({ type: 'finish', reason: 'stop' });
        const emitted = await lastValueFrom(from(events).pipe(structuredOutput(), toArray()));
        const last = emitted.at(-1)!;
        expect(last.done).toBe(true);
        const result = last.done ? last.value : undefined;
        const expected: unknown = JSON.parse(source);
        expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
        expect(prototypesIntact(result)).toBe(true);
        for (const item of emitted) if (!item.done) expect(prototypesIntact(item.partial)).toBe(true);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      },
    ),
    { seed, numRuns: runs },
  );
});
