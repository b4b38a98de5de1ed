import { RxllmError } from '../../src/base/errors';
import { ev } from '../../src/testing';
import { createRxllmEncoder } from '../../src/wire/rxllm/encoder';
import { rxllmEventSchema } from '../../src/wire/rxllm/schema';
import { validateWireEvent, wireEventTypes } from '../../src/wire/rxllm/validateWireEvent';
import type { RxllmEvent } from '../../src/base/events';

/** The wire JSON the rxllm encoder writes for these events (and a fatal error at the end). */
function wire(events: RxllmEvent[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const encoder = createRxllmEncoder((frame) => {
    if (frame.data !== '[DONE]') out.push(JSON.parse(frame.data) as Record<string, unknown>);
  });
  for (const event of events) encoder.event(event);
  encoder.error(
    new RxllmError('boom', { code: 'overloaded', status: 529, providerCode: 'overloaded_error' }),
  );
  return out;
}

/** The hand validator's answer in the schema's terms: the kept value, or that it refused. */
function byHand(json: Record<string, unknown>): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: validateWireEvent(json, JSON.stringify(json)) };
  } catch (error) {
    if (RxllmError.isInstance(error) && error.code === 'malformed') return { ok: false };
    throw error;
  }
}

function byZod(json: Record<string, unknown>): { ok: true; value: unknown } | { ok: false } {
  const parsed = rxllmEventSchema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

const valid = wire([
  ev.start({ id: 'r1', provider: 'openai', model: 'm', created: 1 }),
  ev.text('Hi', 'cloud'),
  { type: 'reasoning', text: 'hmm', signature: 'sig' },
  { type: 'refusal', text: 'no' },
  { type: 'tool-call-start', id: 'c', name: 'f', index: 0, choice: 1 },
  { type: 'tool-call-delta', id: 'c', index: 0, argsText: '{"a"' },
  { type: 'tool-call', id: 'c', name: 'f', index: 0, args: { a: 1 }, argsText: '{"a":1}', incomplete: true },
  {
    ...ev.usage(10, 5, 'cloud', { cachedInputTokens: 2, cost: 0.1 }),
    pricesAsOf: '2025-11-20',
    estimated: true,
  },
  { type: 'reset', reason: 'retry' },
  { type: 'progress', tokens: 3, characters: 9, elapsedMs: 10, tokensPerSecond: 300 },
  {
    type: 'comparison',
    tracks: [{ track: 'a', totalMs: 1, tokensPerSecond: 2, tokens: 3, text: 'x', finishReason: 'stop' }],
    similarity: { 'a~b': 0.5 },
    similarityMeasure: 'word cosine',
  } as unknown as RxllmEvent,
  ev.finish('length'),
]);

/** Each valid event broken one way: a wrong type, a missing field, a bad enum, a negative count. */
const broken: Record<string, unknown>[] = [
  { type: 'text', text: '' },
  { type: 'text', text: 42 },
  { type: 'text', text: 'x', seq: -1 },
  { type: 'text', text: 'x', choice: 1.5 },
  { type: 'tool-call-start', id: 'c', index: 0 },
  { type: 'tool-call', id: 'c', name: 'f', index: 0, argsText: 1 },
  { type: 'usage', inputTokens: -1, outputTokens: 0, totalTokens: 0 },
  { type: 'usage', inputTokens: 1, outputTokens: 0 },
  { type: 'usage', inputTokens: 1, outputTokens: 0, totalTokens: 1, pricesAsOf: 5 },
  { type: 'finish', reason: 'done' },
  { type: 'error', error: { code: 'nope', message: 'x' } },
  { type: 'error', error: { code: 'http', message: 'x', status: 1.5 } },
  { type: 'comparison', tracks: {}, similarity: {}, similarityMeasure: 'x' },
  { type: 'comparison', tracks: [], similarity: { a: 'x' }, similarityMeasure: 'x' },
  { type: 'start', created: '1' },
  { type: 'reset' },
];

describe('validateWireEvent agrees with rxllmEventSchema', () => {
  it('knows the same event types', () => {
    expect([...wireEventTypes].sort()).toEqual(
      rxllmEventSchema.options.map((option) => option.shape.type.value as string).sort(),
    );
  });

  it('returns undefined for what is no event type of the dialect, inherited names included', () => {
    for (const json of [
      { type: 'later' },
      { type: 'toString' },
      { type: '__proto__' },
      { type: 1 },
      {},
      null,
      'text',
    ])
      expect(validateWireEvent(json, JSON.stringify(json))).toBeUndefined();
  });

  // As JSON.parse makes them: own keys named like Object.prototype's members, `__proto__` included.
  it('keeps inherited names as fields and record keys only as the schema does, and sets no prototype', () => {
    for (const line of [
      '{"type":"text","text":"a","__proto__":{"seq":5},"constructor":{"x":1},"toString":"y","valueOf":1}',
      '{"type":"comparison","tracks":[],"similarity":{"__proto__":0.5,"constructor":0.1,"toString":2},"similarityMeasure":"x"}',
      '{"type":"error","error":{"code":"network","message":"m","__proto__":{"polluted":1},"toString":5}}',
      '{"type":"tool-result","id":"a","name":"b","result":{"__proto__":{"polluted":1}},"durationMs":1}',
    ]) {
      const json = JSON.parse(line) as Record<string, unknown>;
      const kept = byHand(json);
      expect(kept).toEqual(byZod(json));
      const value = (kept as { value: Record<string, unknown> }).value;
      for (const object of [value, value.similarity, value.error].filter(Boolean))
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A record key `__proto__` whose value breaks the rule is refused (zod drops the key unread).
    expect(() =>
      validateWireEvent(
        JSON.parse('{"type":"comparison","tracks":[],"similarity":{"__proto__":{}},"similarityMeasure":"x"}'),
        '',
      ),
    ).toThrow('invalid comparison event at similarity.__proto__: expected number');
  });

  it('refuses with a malformed error that names the event, the field and what it expected', () => {
    expect(() => validateWireEvent({ type: 'text', text: 42 }, '{"type":"text","text":42}')).toThrow(
      'rxllm: invalid text event at text: expected non-empty string: {"type":"text","text":42}',
    );
  });

  it.each(valid.map((json) => [json.type, json] as const))(
    'accepts a valid %s event as the schema does, keeping the same fields',
    (_type, json) => {
      const withExtra = { ...json, addedByANewerProducer: true };
      expect(byZod(withExtra).ok).toBe(true);
      expect(byHand(withExtra)).toEqual(byZod(withExtra));
    },
  );

  it.each(broken.map((json) => [JSON.stringify(json), json] as const))(
    'refuses %s as the schema does',
    (_text, json) => {
      expect(byZod(json)).toEqual({ ok: false });
      expect(byHand(json)).toEqual({ ok: false });
    },
  );
});
