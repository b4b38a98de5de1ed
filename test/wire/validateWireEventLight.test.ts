import { RxllmError } from '../../src/base/errors';
import { rxllmEventSchema } from '../../src/wire/rxllm/schema';
import { validateWireEvent as full } from '../../src/wire/rxllm/validateWireEvent';
import { validateWireEvent as light } from '../../src/wire/rxllm/validateWireEventLight';

// What a browser bundle reads the rxllm dialect with (package.json's `#validateWireEvent`): the
// fields a message is built from, of the kind the schema says. Held here to rxllmEventSchema, and
// to Node's checker where the two must agree.

/** The schema's event types, each with its fields: whether required, and what zod type. */
const schemaTypes = new Map(
  rxllmEventSchema.options.map((option) => {
    const { type, ...fields } = option.shape;
    return [
      (type as unknown as { value: string }).value,
      Object.fromEntries(
        Object.entries(fields).map(([name, field]) => [
          name,
          {
            required: !field.safeParse(undefined).success,
            kind: (field as { def: { type: string } }).def.type,
          },
        ]),
      ),
    ] as const;
  }),
);

/** `rxllm` malformed error, or what the checker returned. */
function check(json: Record<string, unknown>): unknown {
  try {
    return light(json, JSON.stringify(json));
  } catch (error) {
    if (RxllmError.isInstance(error) && error.code === 'malformed') return error;
    throw error;
  }
}

/** The smallest valid event of each type, as the schema accepts it. */
const minimal: Record<string, Record<string, unknown>> = {
  start: { type: 'start' },
  text: { type: 'text', text: 'Hi' },
  reasoning: { type: 'reasoning', text: 'hmm' },
  refusal: { type: 'refusal', text: 'no' },
  'tool-call-start': { type: 'tool-call-start', id: 'c', name: 'f', index: 0 },
  'tool-call-delta': { type: 'tool-call-delta', id: 'c', index: 0, argsText: '{' },
  'tool-call': { type: 'tool-call', id: 'c', name: 'f', index: 0, args: {}, argsText: '{}' },
  'tool-result': { type: 'tool-result', id: 'c', name: 'f', result: 1, durationMs: 2 },
  usage: { type: 'usage', inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  'usage-total': { type: 'usage-total', inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  'step-start': { type: 'step-start', step: 0 },
  'step-finish': { type: 'step-finish', step: 0 },
  finish: { type: 'finish', reason: 'stop' },
  reset: { type: 'reset', reason: 'retry' },
  error: { type: 'error', error: { code: 'overloaded', message: 'busy' } },
  progress: { type: 'progress', tokens: 1, characters: 2, elapsedMs: 3, tokensPerSecond: 4 },
  comparison: { type: 'comparison', tracks: [], similarity: {}, similarityMeasure: 'word cosine' },
};

describe('validateWireEvent, the light form a browser bundle gets', () => {
  it('knows the schema event types, and no other: a newer type is skipped, as in Node', () => {
    expect(Object.keys(minimal).sort()).toEqual([...schemaTypes.keys()].sort());
    for (const event of Object.values(minimal)) {
      expect(rxllmEventSchema.safeParse(event).success).toBe(true);
      expect(check(event)).toBe(event);
      expect(full(event, JSON.stringify(event))).toBeDefined();
    }
    for (const json of [{ type: 'newer-type', text: 5 }, { text: 'x' }, { type: 5 }])
      expect([light(json, ''), full(json, '')]).toEqual([undefined, undefined]);
  });

  // Every required string of the schema that a message is built from (all but `comparison`'s,
  // which the store keeps whole), and the error event's error: taken away or of another kind, the
  // event is the `malformed` error naming the field (for the error, its code), in both checkers.
  const requiredStrings = [...schemaTypes].flatMap(([type, fields]) =>
    Object.entries(fields)
      .filter(
        ([name, field]) =>
          type !== 'comparison' &&
          field.required &&
          (field.kind === 'string' || field.kind === 'enum' || name === 'error'),
      )
      .map(([name]) => [type, name] as const),
  );

  it("requires every required string of the schema but comparison's, and the error", () => {
    // The list the schema gives: what the light checker must hold (a field added to the schema
    // shows up here).
    expect(requiredStrings.map(([type, name]) => `${type}.${name}`).sort()).toEqual(
      [
        'error.error',
        'finish.reason',
        'reasoning.text',
        'refusal.text',
        'reset.reason',
        'text.text',
        'tool-call-delta.argsText',
        'tool-call-delta.id',
        'tool-call-start.id',
        'tool-call-start.name',
        'tool-call.argsText',
        'tool-call.id',
        'tool-call.name',
        'tool-result.id',
        'tool-result.name',
      ].sort(),
    );
  });

  it.each(requiredStrings)(
    '%s without its %s, or with a number or null there, is malformed',
    (type, name) => {
      for (const value of [undefined, 42, null, name === 'error' ? 'busy' : {}]) {
        const event = { ...minimal[type], [name]: value };
        const error = check(event);
        expect(error).toBeInstanceOf(RxllmError);
        const path = name === 'error' ? 'error.code' : name;
        expect((error as Error).message).toContain(`invalid ${type} event at ${path}: expected string`);
        expect(() => full(event, JSON.stringify(event))).toThrow(`invalid ${type} event at ${name}`);
      }
    },
  );

  it.each([
    [{ message: 'busy' }, 'error.code'],
    [{ code: 'overloaded' }, 'error.message'],
    [{ code: 'overloaded', message: 5 }, 'error.message'],
    [[], 'error.code'],
  ])('an error event whose error is %j is malformed at %s, in both checkers', (error, path) => {
    const event = { type: 'error', error };
    expect((check(event) as Error).message).toContain(`invalid error event at ${path}: expected string`);
    expect(() => full(event, JSON.stringify(event))).toThrow('invalid error event at error');
  });

  it('lets through what only Node checks besides: enum values, other numbers, unknown fields (documented)', () => {
    const looser = [
      { type: 'finish', reason: 'done' },
      { type: 'comparison', tracks: 'x', similarity: 1, similarityMeasure: 2 },
      { type: 'step-start', step: 'one' },
      { type: 'usage', inputTokens: 1 },
    ];
    for (const event of looser) {
      expect(check(event)).toBe(event);
      expect(() => full(event, JSON.stringify(event))).toThrow();
    }
    const extra = { type: 'text', text: 'x', extra: { deep: 1 } };
    expect(check(extra)).toBe(extra);
    expect(full(extra, JSON.stringify(extra))).toEqual({ type: 'text', text: 'x' });
  });
});
