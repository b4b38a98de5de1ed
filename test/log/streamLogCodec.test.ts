import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { decodeBatch, decodeEvent, encodeEvent } from '../../src/log/streamLogCodec';
import { ev } from '../../src/testing';

describe('decodeBatch', () => {
  it('decodes a batch of lines in one parse to the events decodeEvent gives one by one', () => {
    const events: RxllmEvent[] = [
      ev.text('a\nb'),
      ev.text('"quoted", with, commas'),
      { type: 'error', error: new RxllmError('boom', { code: 'rate-limit', retryAfterMs: 5 }) } as RxllmEvent,
      ev.text('end'),
    ];
    const batch = events.map(encodeEvent).join('\n');
    const decoded = decodeBatch(batch);
    expect(decoded).toEqual(batch.split('\n').map(decodeEvent));
    expect(decoded).toHaveLength(4);
    const error = (decoded[2] as { error: unknown }).error;
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ message: 'boom', code: 'rate-limit', retryAfterMs: 5 });
  });

  it('a line that is not one JSON value fails as decoding it alone would, not as extra events', () => {
    expect(() => decodeBatch('{"type":"text","text":"a"}\n1,2')).toThrow(SyntaxError);
    expect(() => decodeBatch('{"type":"text","text":"a"}\n')).toThrow(SyntaxError);
  });
});
