import type { ComparisonEvent, ProgressEvent, RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { messageReducer, type MessageAction, type MessageState } from '../../src/sinks/messageReducer';
import { ev } from '../../src/testing/eventBuilders';

const reduce = (actions: MessageAction[], from: MessageState = messageReducer.initialState) =>
  actions.reduce(messageReducer, from);

/** Freezes a state all the way down, so that any mutation by the reducer throws (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !(value instanceof Error)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

const emptyTrack = {
  status: 'streaming',
  text: '',
  reasoning: '',
  refusal: '',
  toolCalls: [],
  finishReason: null,
  usage: null,
  steps: [],
  error: null,
  progress: null,
  resetReason: null,
};

describe('messageReducer', () => {
  it('starts idle with no tracks, also from an undefined state as Redux calls it', () => {
    expect(messageReducer.initialState).toEqual({
      status: 'idle',
      tracks: {},
      usage: null,
      comparison: null,
      error: null,
    });
    expect(messageReducer(undefined, ev.text('Hi'))).toEqual({
      status: 'streaming',
      tracks: {
        default: { ...emptyTrack, text: 'Hi', steps: [{ step: 0, usage: null, finishReason: null }] },
      },
      usage: null,
      comparison: null,
      error: null,
    });
  });

  it('folds a whole single-track stream into the default track', () => {
    const state = reduce([
      ev.start({ id: 'msg_1', provider: 'anthropic', model: 'claude-sonnet' }),
      ev.reasoning('Let me think.'),
      ev.text('Hel'),
      ev.text('lo'),
      ev.toolCallStart('call_1', 'get_weather', 0),
      ev.toolCallDelta('call_1', '{"city":', 0),
      ev.toolCallDelta('call_1', '"Paris"}', 0),
      ev.toolCall('call_1', 'get_weather', { city: 'Paris' }, 0),
      ev.usage(10, 5, undefined, { cachedInputTokens: 4 }),
      ev.finish('tool-calls'),
      { type: 'stream-complete' },
    ]);
    expect(state).toEqual({
      status: 'done',
      usage: null,
      comparison: null,
      error: null,
      tracks: {
        default: {
          status: 'done',
          id: 'msg_1',
          provider: 'anthropic',
          model: 'claude-sonnet',
          text: 'Hello',
          reasoning: 'Let me think.',
          refusal: '',
          toolCalls: [
            {
              id: 'call_1',
              name: 'get_weather',
              index: 0,
              argsText: '{"city":"Paris"}',
              args: { city: 'Paris' },
              complete: true,
            },
          ],
          finishReason: 'tool-calls',
          usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 4 },
          steps: [
            {
              step: 0,
              model: 'claude-sonnet',
              provider: 'anthropic',
              usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 4 },
              finishReason: 'tool-calls',
            },
          ],
          error: null,
          progress: null,
          resetReason: null,
        },
      },
    });
  });

  it('shows a tool call with its partial argsText while it streams, and no args yet', () => {
    const state = reduce([
      ev.toolCallStart('call_1', 'search', 0),
      ev.toolCallDelta('call_1', '{"q":"rx', 0),
    ]);
    expect(state.tracks.default!.toolCalls).toEqual([
      { id: 'call_1', name: 'search', index: 0, argsText: '{"q":"rx', complete: false },
    ]);
    expect('args' in state.tracks.default!.toolCalls[0]!).toBe(false);
  });

  it('keeps parallel tool calls apart when their deltas interleave', () => {
    const state = reduce([
      ev.toolCallStart('call_a', 'weather', 0),
      ev.toolCallStart('call_b', 'time', 1),
      ev.toolCallDelta('call_a', '{"city":"Oslo"', 0),
      ev.toolCallDelta('call_b', '{"tz":', 1),
      ev.toolCallDelta('call_a', '}', 0),
      ev.toolCallDelta('call_b', '"CET"}', 1),
      ev.toolCall('call_b', 'time', { tz: 'CET' }, 1),
    ]);
    expect(state.tracks.default!.toolCalls).toEqual([
      { id: 'call_a', name: 'weather', index: 0, argsText: '{"city":"Oslo"}', complete: false },
      { id: 'call_b', name: 'time', index: 1, argsText: '{"tz":"CET"}', args: { tz: 'CET' }, complete: true },
    ]);
  });

  it('marks a tool call cut off before its arguments were complete', () => {
    const cut: RxllmEvent = {
      type: 'tool-call',
      id: 'call_1',
      name: 'write',
      index: 0,
      args: { path: 'a.txt' },
      argsText: '{"path":"a.txt","body":"He',
      incomplete: true,
    };
    const state = reduce([ev.toolCallStart('call_1', 'write', 0), cut, ev.finish('length')]);
    expect(state.tracks.default!.toolCalls).toEqual([
      {
        id: 'call_1',
        name: 'write',
        index: 0,
        args: { path: 'a.txt' },
        argsText: '{"path":"a.txt","body":"He',
        complete: true,
        incomplete: true,
      },
    ]);
    expect(state.tracks.default!.status).toBe('done');
    expect(state.tracks.default!.finishReason).toBe('length');
  });

  it('keeps refusal text apart from the answer', () => {
    const state = reduce([
      { type: 'refusal', text: "I can't " },
      { type: 'refusal', text: 'help.' },
      ev.finish('refusal'),
    ]);
    expect(state.tracks.default).toMatchObject({
      text: '',
      refusal: "I can't help.",
      finishReason: 'refusal',
    });
  });

  it('sets the track status from the finish reason', () => {
    expect(reduce([ev.text('a'), ev.finish('stop')]).tracks.default!.status).toBe('done');
    expect(reduce([ev.text('a'), ev.finish('cancelled')]).tracks.default!.status).toBe('cancelled');
    expect(reduce([ev.text('a'), ev.finish('error')]).tracks.default!.status).toBe('error');
  });

  it('keeps tracks apart, and a reset clears only its own track, keeping usage', () => {
    const before = reduce([
      ev.start({ model: 'llama3.2' }),
      { ...ev.start({ model: 'gpt-4o' }), track: 'cloud' },
      ev.text('draft ', 'local'),
      ev.text('Final ', 'cloud'),
      ev.toolCallStart('c1', 'f', 0, 'local'),
      ev.usage(3, 2, 'local'),
      ev.text('answer', 'cloud'),
    ]);
    expect(Object.keys(before.tracks).sort()).toEqual(['cloud', 'default', 'local']);
    expect(before.tracks.local).toMatchObject({ text: 'draft ', status: 'streaming' });
    expect(before.tracks.cloud).toMatchObject({ text: 'Final answer', model: 'gpt-4o' });

    const after = messageReducer(before, ev.reset('handoff', 'local'));
    expect(after.tracks.local).toEqual({
      ...emptyTrack,
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      steps: [
        {
          step: 0,
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
          finishReason: null,
        },
      ],
      resetReason: 'handoff',
    });
    expect(after.tracks.cloud).toBe(before.tracks.cloud);
    expect(after.tracks.default).toBe(before.tracks.default);
  });

  it('marks a track failed by an in-band error while the stream goes on', () => {
    const failure = new RxllmError('local model crashed', { code: 'provider' });
    const state = reduce([
      ev.text('a', 'local'),
      ev.text('b', 'cloud'),
      { type: 'error', error: failure, track: 'local' },
      ev.text('c', 'cloud'),
    ]);
    expect(state.status).toBe('streaming');
    expect(state.tracks.local).toMatchObject({ status: 'error', text: 'a' });
    expect(state.tracks.local!.error).toBe(failure);
    expect(state.tracks.cloud).toMatchObject({ status: 'streaming', text: 'bc', error: null });
  });

  it('fails the stream and every track still streaming on stream-error, wrapping a foreign error', () => {
    const cause = new TypeError('fetch failed');
    const state = reduce([
      ev.text('done text', 'a'),
      ev.finish('stop', 'a'),
      ev.text('partial', 'b'),
      { type: 'stream-error', error: cause },
    ]);
    expect(state.status).toBe('error');
    expect(RxllmError.isInstance(state.error)).toBe(true);
    expect(state.error!.code).toBe('network');
    expect(state.error!.cause).toBe(cause);
    expect(state.tracks.a).toMatchObject({ status: 'done', error: null, text: 'done text' });
    expect(state.tracks.b).toMatchObject({ status: 'error', text: 'partial' });
    expect(state.tracks.b!.error).toBe(state.error);
  });

  it('keeps an RxllmError from stream-error as it is', () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    expect(reduce([ev.text('x'), { type: 'stream-error', error: failure }]).error).toBe(failure);
  });

  it('cancels a streaming message, and ignores a cancel once the stream has ended', () => {
    const cancelled = reduce([
      ev.text('x'),
      ev.text('y', 'b'),
      ev.finish('stop', 'b'),
      { type: 'stream-cancel' },
    ]);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tracks.default!.status).toBe('cancelled');
    expect(cancelled.tracks.b!.status).toBe('done');

    const done = reduce([ev.text('x'), { type: 'stream-complete' }]);
    expect(messageReducer(done, { type: 'stream-cancel' })).toBe(done);
    expect(messageReducer(cancelled, { type: 'stream-cancel' })).toBe(cancelled);
  });

  it('completes tracks still streaming when the stream completes without a finish', () => {
    const state = reduce([ev.text('x'), { type: 'stream-complete' }]);
    expect(state.status).toBe('done');
    expect(state.tracks.default).toMatchObject({ status: 'done', finishReason: null });
  });

  it('stores the latest progress per track and the comparison', () => {
    const progress = (tokens: number): ProgressEvent => ({
      type: 'progress',
      track: 'local',
      tokens,
      characters: tokens * 4,
      elapsedMs: tokens * 10,
      tokensPerSecond: 100,
    });
    const comparison: ComparisonEvent = {
      type: 'comparison',
      tracks: [{ track: 'local', totalMs: 90, tokensPerSecond: 100, tokens: 9, text: 'hi' }],
      similarity: {},
      similarityMeasure: 'word-cosine',
    };
    const latest = progress(9);
    const state = reduce([ev.text('hi', 'local'), progress(1), latest, comparison]);
    expect(state.tracks.local!.progress).toBe(latest);
    expect(state.tracks.local!.progress).toEqual({
      type: 'progress',
      track: 'local',
      tokens: 9,
      characters: 36,
      elapsedMs: 90,
      tokensPerSecond: 100,
    });
    expect(state.comparison).toBe(comparison);
  });

  it('keeps the choices of an n>1 stream apart, choice 0 also at the top of the track', () => {
    const state = reduce([
      { type: 'text', text: 'A', choice: 0 },
      { type: 'text', text: 'B', choice: 1 },
      { type: 'text', text: 'a', choice: 0 },
      { type: 'finish', reason: 'length', choice: 1 },
    ]);
    const track = state.tracks.default!;
    expect(track.text).toBe('Aa');
    expect(track.status).toBe('streaming');
    expect(track.choices).toEqual([
      { index: 0, text: 'Aa', reasoning: '', refusal: '', toolCalls: [], finishReason: null },
      { index: 1, text: 'B', reasoning: '', refusal: '', toolCalls: [], finishReason: 'length' },
    ]);
  });

  it('returns the very same state for an event that changes nothing', () => {
    const state = reduce([ev.text('x')]);
    expect(messageReducer(state, { type: 'reasoning', text: '', signature: 'sig' })).toBe(state);
    expect(messageReducer(state, ev.toolCallDelta('unknown', '{}'))).toBe(state);
    expect(messageReducer(state, { type: 'future-event' } as unknown as MessageAction)).toBe(state);
    // A step event that repeats what the step already holds (the finish already set its reason).
    const finished = reduce([{ type: 'step-start', step: 0, model: 'm' }, ev.finish('stop')]);
    expect(messageReducer(finished, { type: 'step-finish', step: 0, finishReason: 'stop' })).toBe(finished);
    expect(messageReducer(finished, { type: 'step-finish', step: 0 })).toBe(finished);
    expect(messageReducer(finished, { type: 'start', model: 'm' })).not.toBe(finished); // status back to streaming
  });

  it('never mutates a state, and copies only the objects on the path to a change', () => {
    const states: MessageState[] = [messageReducer.initialState];
    const actions: MessageAction[] = [
      ev.start({ id: 'r' }),
      ev.text('a', 'one'),
      ev.text('b', 'two'),
      ev.toolCallStart('c1', 'f', 0, 'one'),
      ev.toolCallDelta('c1', '{"x":1}', 0, 'one'),
      ev.toolCall('c1', 'f', { x: 1 }, 0, 'one'),
      ev.usage(1, 1, 'one'),
      ev.reset('retry', 'two'),
      { type: 'stream-complete' },
    ];
    for (const action of actions) states.push(messageReducer(deepFreeze(states.at(-1)!), action));
    expect(states[2]!.tracks.one!.text).toBe('a');
    expect(states[3]!.tracks.two!.text).toBe('b');
    expect(states[8]!.tracks.two!.text).toBe('');

    // A text token on track `two` leaves track `one` and the default track as they were.
    expect(states[3]!.tracks.one).toBe(states[2]!.tracks.one);
    expect(states[3]!.tracks.default).toBe(states[2]!.tracks.default);
    // An argument delta copies the call list of its track, and only that.
    expect(states[5]!.tracks.one!.toolCalls).not.toBe(states[4]!.tracks.one!.toolCalls);
    expect(states[5]!.tracks.two).toBe(states[4]!.tracks.two);
    // Usage does not touch the tool calls.
    expect(states[7]!.tracks.one!.toolCalls).toBe(states[6]!.tracks.one!.toolCalls);
  });
});
