import type { RxllmEvent } from '../src/base/events';
import { RxllmError } from '../src/base/errors';
import { getDialect } from '../src/wire/dialects';
import type { SSEFrame } from '../src/wire/types';
import { ev } from '../src/testing/eventBuilders';

function roundTrip(events: RxllmEvent[], failure?: RxllmError, named?: boolean) {
  const frames: SSEFrame[] = [];
  const encoder = getDialect('rxllm', 'encode').createEncoder!(
    (frame) => frames.push(frame),
    named === undefined ? undefined : { named },
  );
  for (const event of events) encoder.event(event);
  if (failure) encoder.error(failure);
  else encoder.end();
  const decoded: RxllmEvent[] = [];
  const decoder = getDialect('rxllm', 'decode').createDecoder!((event) => decoded.push(event));
  let thrown: unknown;
  try {
    for (const frame of frames) decoder.message(frame.data, frame.event);
    decoder.end();
  } catch (error) {
    thrown = error;
  }
  return { frames, decoded, thrown };
}

describe('rxllm dialect', () => {
  it('round-trips every event losslessly', () => {
    const events: RxllmEvent[] = [
      ev.start({ id: 'r1', model: 'm' }),
      { ...ev.text('héllo 👋', 'cloud'), seq: 3 },
      { type: 'reasoning', text: '', signature: 'sig' },
      { type: 'reasoning', text: '', redacted: 'gAAAA', itemId: 'rs_1' },
      ev.toolCall('c1', 'f', { a: [1] }),
      ev.usage(3, 4, undefined, { cachedInputTokens: 1, cost: 0.001 }),
      ev.finish('stop'),
    ];
    const { frames, decoded, thrown } = roundTrip(events);
    expect(thrown).toBeUndefined();
    expect(decoded).toEqual(events);
    expect(frames.at(-1)).toEqual({ event: 'done', data: '[DONE]' });
  });

  it('writes unnamed frames with named: false (for onmessage), which decode to the same events', () => {
    const events: RxllmEvent[] = [
      ev.start({ id: 'r1', model: 'm' }),
      ev.text('héllo'),
      { type: 'error', error: new RxllmError('one track failed', { code: 'overloaded' }), track: 'cloud' },
      ev.finish('stop'),
    ];
    const named = roundTrip(events);
    const unnamed = roundTrip(events, undefined, false);
    expect(unnamed.thrown).toBeUndefined();
    expect(unnamed.decoded).toEqual(named.decoded);
    expect(unnamed.frames.every((frame) => frame.event === undefined)).toBe(true);
    expect(unnamed.frames.map((frame) => frame.data)).toEqual(named.frames.map((frame) => frame.data));
    // Named frames: the error frame is not `error`, which EventSource keeps for a failed connection.
    expect(named.frames.map((frame) => frame.event)).toEqual([
      'start',
      'text',
      'rxllm-error',
      'finish',
      'done',
    ]);
    const failed = roundTrip([ev.text('part')], new RxllmError('slow', { code: 'rate-limit' }), false);
    expect(failed.frames.at(-1)?.event).toBeUndefined();
    expect(failed.thrown).toMatchObject({ code: 'rate-limit', message: 'slow' });
  });

  it('still reads error frames named `error`, as streams written before the rename are', () => {
    const decoded: RxllmEvent[] = [];
    const decoder = getDialect('rxllm', 'decode').createDecoder!((event) => decoded.push(event));
    expect(() =>
      decoder.message(
        '{"type":"error","error":{"name":"RxllmError","code":"overloaded","message":"Overloaded","retryable":true},"fatal":true}',
        'error',
      ),
    ).toThrow(expect.objectContaining({ code: 'overloaded' }));
  });

  it('turns a fatal error frame back into the typed error', () => {
    const { decoded, thrown } = roundTrip(
      [ev.text('part')],
      new RxllmError('slow', { code: 'rate-limit', retryAfterMs: 500 }),
    );
    expect(decoded).toEqual([ev.text('part')]);
    expect(RxllmError.isInstance(thrown)).toBe(true);
    expect((thrown as RxllmError).code).toBe('rate-limit');
    expect((thrown as RxllmError).retryAfterMs).toBe(500);
  });

  it('skips unknown event types and names the dialect and field of a broken known one', () => {
    const decoded: RxllmEvent[] = [];
    const decoder = getDialect('rxllm').createDecoder!((event) => decoded.push(event));
    decoder.message('{"type":"future-thing","x":1}');
    expect(decoded).toEqual([]);
    expect(() => decoder.message('{"type":"text","text":42}')).toThrow(/rxllm: invalid text event at text/);
    expect(() => decoder.message('{"type":')).toThrow(
      expect.objectContaining({ code: 'malformed', dialect: 'rxllm' }),
    );
  });

  it('reports a stream cut before [DONE] as a network error', () => {
    const decoder = getDialect('rxllm').createDecoder!(() => undefined);
    decoder.message(JSON.stringify(ev.text('x')));
    expect(() => decoder.end()).toThrow(expect.objectContaining({ code: 'network' }));
  });

  it('refuses an unknown dialect at once', () => {
    expect(() => getDialect('nope' as never)).toThrow(/unknown dialect 'nope'/);
  });
});
