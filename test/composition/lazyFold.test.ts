import fc from 'fast-check';
import type { RxllmEvent } from '../../src/base/events';
import { heldEvents, MessageAccumulator } from '../../src/base/message';
import { RxllmError } from '../../src/base/errors';
import { messageReducer } from '../../src/sinks/messageReducer';

/**
 * MessageAccumulator holds events and folds them only when a snapshot is taken or
 * `heldEvents` are held, joining a run of text deltas (choice 0) of one track into one
 * event. Whatever the events and wherever the snapshots fall, that must give the message that
 * folding each event as it arrives gives.
 */

const track = fc.constantFrom(undefined, 'default', 'local', 'cloud', '__proto__');
const choice = fc.constantFrom(undefined, undefined, 0, 1);
const text = fc.constantFrom('', 'a', 'bc', ' ', 'é', '\n\n');

const event: fc.Arbitrary<RxllmEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('text' as const), text, track, choice }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('reasoning' as const), text, track, choice }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('reasoning' as const),
      text,
      track,
      signature: fc.constant('sig'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('refusal' as const), text, track }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('start' as const), model: fc.constantFrom('m1', 'm2'), track }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('step-start' as const), step: fc.nat(3), track }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('finish' as const),
      reason: fc.constantFrom('stop' as const, 'tool-calls' as const, 'length' as const),
      track,
      choice,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('usage' as const),
      inputTokens: fc.nat(9),
      outputTokens: fc.nat(9),
      totalTokens: fc.nat(18),
      track,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('tool-call-start' as const),
      id: fc.constantFrom('c1', 'c2'),
      name: fc.constant('f'),
      index: fc.nat(1),
      track,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('tool-call-delta' as const),
      id: fc.constantFrom('c1', 'c2'),
      argsText: fc.constantFrom('{"a"', ':1}'),
      index: fc.nat(1),
      track,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('reset' as const), reason: fc.constant('retry'), track }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('tool-call' as const),
      id: fc.constantFrom('c1', 'c2'),
      name: fc.constant('f'),
      index: fc.nat(1),
      args: fc.constant({ a: 1 }),
      argsText: fc.constant('{"a":1}'),
      track,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('step-finish' as const),
      step: fc.nat(3),
      finishReason: fc.constantFrom('stop' as const, 'tool-calls' as const),
      track,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('error' as const),
      error: fc.constant(new RxllmError('cut', { code: 'network' })),
      track,
    }),
  },
);

/** The events, and after which of them a snapshot is taken. */
const streams = fc.array(fc.tuple(event, fc.boolean()), { maxLength: 3 * heldEvents });

/** Undefined fields as fast-check's records leave them absent: the builders' events have none. */
const clean = (value: RxllmEvent): RxllmEvent =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as RxllmEvent;

describe('MessageAccumulator folds lazily', () => {
  it('gives at every snapshot the message that folding each event at once gives', () => {
    fc.assert(
      fc.property(streams, (steps) => {
        const lazy = new MessageAccumulator();
        const eager = new MessageAccumulator();
        for (const [raw, snapshotHere] of steps) {
          const next = clean(raw);
          lazy.apply(next);
          eager.apply(next);
          // Taken after every event: each event is folded on its own, as it arrives.
          const expected = eager.snapshot();
          if (snapshotHere) expect(lazy.snapshot()).toEqual(expected);
        }
        expect(lazy.snapshot()).toEqual(eager.snapshot());
      }),
      { numRuns: 400, seed: 20261205 },
    );
  });

  it("keeps each track's content, finish, usage and tool calls as the store's reducer does", () => {
    fc.assert(
      fc.property(streams, (steps) => {
        const lazy = new MessageAccumulator();
        let state = messageReducer.initialState;
        for (const [raw] of steps) {
          const next = clean(raw);
          lazy.apply(next);
          state = messageReducer(state, next);
        }
        const message = lazy.snapshot();
        const names = Object.keys(state.tracks);
        for (const name of names) {
          // One track: the message is that track's; several: each is under `tracks`.
          const shown = names.length > 1 ? message.tracks?.[name] : message;
          const track = state.tracks[name]!;
          expect(shown?.text).toBe(track.text);
          expect(shown?.reasoning).toBe(track.reasoning);
          expect(shown?.refusal).toBe(track.refusal);
          expect(shown?.finishReason).toBe(track.finishReason);
          expect(shown?.usage).toEqual(track.usage);
          expect(shown?.toolCalls.map((call) => [call.id, call.argsText])).toEqual(
            track.toolCalls.map((call) => [call.id, call.argsText]),
          );
        }
      }),
      { numRuns: 300, seed: 20261206 },
    );
  });

  it('throws an event the fold cannot take once, and folds nothing twice after it', () => {
    const accumulator = new MessageAccumulator();
    accumulator.apply({ type: 'reasoning', text: 'r' });
    accumulator.apply({ type: 'text', text: 'a' });
    // A source of the app's own could send anything: appending this text throws.
    const poisoned = {
      toString: () => {
        throw new Error('not text');
      },
    };
    accumulator.apply({ type: 'text', text: poisoned as unknown as string, choice: 1 });
    expect(() => accumulator.snapshot()).toThrow('not text');
    const message = accumulator.snapshot();
    expect(message.text).toBe('a');
    expect(message.reasoning).toBe('r');
    expect(accumulator.snapshot()).toEqual(message);
  });

  it('joins a long run of deltas into the same text as the deltas one by one', () => {
    const tokens = Array.from({ length: 10 * heldEvents + 7 }, (_, i) => `t${i} `);
    const lazy = new MessageAccumulator();
    lazy.apply({ type: 'start', model: 'm' });
    for (const token of tokens) lazy.apply({ type: 'text', text: token });
    lazy.apply({ type: 'reasoning', text: 'why' });
    for (const token of tokens) lazy.apply({ type: 'text', text: token });
    lazy.apply({ type: 'finish', reason: 'stop' });
    const message = lazy.snapshot();
    expect(message.text).toBe(tokens.join('') + tokens.join(''));
    expect(message.reasoning).toBe('why');
    expect(message.finishReason).toBe('stop');
    expect(message.model).toBe('m');
  });
});
