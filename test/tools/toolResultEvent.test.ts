import type { RxllmEvent, ToolResultEvent } from '../../src/base/events';
import { initialMessageState } from '../../src/base/fold';
import { MessageAccumulator } from '../../src/base/message';
import { messageReducer } from '../../src/sinks/messageReducer';
import { ev } from '../../src/testing';
import { getDialect } from '../../src/wire/dialects';

const ok: ToolResultEvent = {
  type: 'tool-result',
  id: 'call_1',
  name: 'weather',
  result: { tempC: 21 },
  durationMs: 4,
};
const failed: ToolResultEvent = {
  type: 'tool-result',
  id: 'call_2',
  name: 'weather',
  error: 'timed out',
  durationMs: 9,
};
const events: RxllmEvent[] = [
  ev.stepStart(0),
  ev.toolCall('call_1', 'weather', { city: 'Paris' }, 0),
  ev.toolCall('call_2', 'weather', { city: 'Oslo' }, 1),
  ev.finish('tool-calls'),
  { ...ok, result: 'fetching', preliminary: true },
  ok,
  failed,
];

describe('the tool-result event', () => {
  it('joins its call in both folds: the reducer (copies) and the accumulator (in place)', () => {
    const state = events.reduce(messageReducer, initialMessageState);
    expect(state.tracks.default!.toolCalls).toEqual([
      expect.objectContaining({ id: 'call_1', result: { tempC: 21 }, durationMs: 4 }),
      expect.objectContaining({ id: 'call_2', error: 'timed out', durationMs: 9 }),
    ]);
    expect(state.tracks.default!.toolCalls[1]).not.toHaveProperty('result');

    const accumulator = new MessageAccumulator();
    for (const event of events) accumulator.apply(event);
    expect(accumulator.snapshot().toolCalls).toEqual([
      {
        id: 'call_1',
        name: 'weather',
        args: { city: 'Paris' },
        argsText: '{"city":"Paris"}',
        result: { tempC: 21 },
        durationMs: 4,
      },
      {
        id: 'call_2',
        name: 'weather',
        args: { city: 'Oslo' },
        argsText: '{"city":"Oslo"}',
        error: 'timed out',
        durationMs: 9,
      },
    ]);
  });

  it('leaves a state it does not change alone (a result for an unknown call)', () => {
    const state = events.slice(0, 3).reduce(messageReducer, initialMessageState);
    expect(messageReducer(state, { ...ok, id: 'call_9' })).toBe(state);
  });

  it('crosses the rxllm dialect unchanged, and its schema rejects one without an id', () => {
    const frames: string[] = [];
    const encoder = getDialect('rxllm', 'encode').createEncoder!((frame) => frames.push(frame.data));
    encoder.event(ok);
    encoder.event(failed);
    encoder.end();
    const decoded: RxllmEvent[] = [];
    const decoder = getDialect('rxllm', 'decode').createDecoder!((event) => decoded.push(event));
    for (const frame of frames) decoder.message(frame);
    decoder.end();
    expect(decoded).toEqual([ok, failed]);
    // A fresh decoder: the first one is finished at the [DONE] the encoder wrote.
    const fresh = getDialect('rxllm', 'decode').createDecoder!(() => {});
    expect(() => fresh.message('{"type":"tool-result","name":"weather","durationMs":1}')).toThrow(
      /rxllm: invalid/,
    );
  });
});
