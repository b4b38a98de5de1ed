import { RxllmError } from '../../src/base/errors';
import type { RxllmEvent } from '../../src/base/events';
import { decodeBatch, decodeEvent, encodeEvent, expandEntry, visitBatch } from '../../src/log/streamLogCodec';
import { ev } from '../../src/testing';
import { textEvent } from '../../src/wire/textEvent';

describe('decodeBatch', () => {
  it('decodes a batch of lines in one parse to the events decodeEvent gives one by one', () => {
    const events: RxllmEvent[] = [
      ev.text('a\nb'),
      { ...ev.text('"quoted", with, commas'), seq: 11 },
      { type: 'error', error: new RxllmError('boom', { code: 'rate-limit', retryAfterMs: 5 }) } as RxllmEvent,
      { ...ev.text('end'), seq: 13 },
    ];
    const batch = events.map((event, i) => encodeEvent(event, 10 + i)).join('\n');
    const decoded = decodeBatch(batch, 10);
    expect(decoded).toEqual(batch.split('\n').map((line, i) => decodeEvent(line, 10 + i)));
    expect(decoded).toEqual([events[0], events[1], expect.anything(), events[3]]);
    const error = (decoded[2] as { error: unknown }).error;
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ message: 'boom', code: 'rate-limit', retryAfterMs: 5 });
  });

  it('undoes every JSON escape as JSON.parse does, and leaves malformed lines to JSON.parse', () => {
    const texts = [
      '\\',
      '"',
      '/',
      '\b\f\n\r\t',
      '\u0000\u001f',
      'é\u2028😀',
      'a\\nb',
      '\\"',
      'x'.repeat(40) + '\n',
    ];
    const batch = texts.map((text, i) => encodeEvent({ type: 'text', text, seq: i }, i)).join('\n');
    expect(decodeBatch(batch, 0)).toEqual(texts.map((text, seq) => ({ type: 'text', text, seq })));
    // Escapes JSON.stringify does not write, but a JSON string may hold.
    expect(decodeBatch('"\\/\\u00e9\\u00E9"', 3)).toEqual([{ type: 'text', text: '/éé', seq: 3 }]);
    // Malformed: a bad escape, a short \u, an unescaped quote, a raw control character, an escaped
    // closing quote. Each fails as JSON.parse of the line does.
    for (const line of ['"a\\x"', '"\\u12"', '"a\\"b"c"', '"a\tb\\n"', '"a\\"']) {
      expect(() => JSON.parse(line) as unknown).toThrow(SyntaxError);
      expect(() => decodeBatch(`"ok"\n${line}`, 0)).toThrow(SyntaxError);
    }
  });

  it('a line that is not one JSON value fails as decoding it alone would, not as extra events', () => {
    expect(() => decodeBatch('{"type":"text","text":"a"}\n1,2', 0)).toThrow(SyntaxError);
    expect(() => decodeBatch('{"type":"text","text":"a"}\n', 0)).toThrow(SyntaxError);
  });
});

describe('visitBatch', () => {
  const visited = (batch: string, first: number, from: number, stopAt = Infinity) => {
    const seen: [number, RxllmEvent][] = [];
    const count = visitBatch(batch, first, from, (seq, event) => {
      seen.push([seq, event]);
      return seq < stopAt;
    });
    return { count, seen };
  };
  const events: RxllmEvent[] = [
    { type: 'text', text: 'a', seq: 5 },
    { type: 'text', text: 'b\n"c"', seq: 6 },
    { type: 'text', text: 'd', seq: 7 },
  ];
  const bare = events.map((event, i) => encodeEvent(event, 5 + i)).join('\n');

  it("hands on the events from `from` on, with their positions, and returns the batch's entry count", () => {
    expect(visited(bare, 5, 0)).toEqual({ count: 3, seen: events.map((event, i) => [5 + i, event]) });
    // From inside the batch (a resume at any seq): the events before are skipped, not handed on.
    expect(visited(bare, 5, 6)).toEqual({
      count: 3,
      seen: [
        [6, events[1]],
        [7, events[2]],
      ],
    });
    expect(visited(bare, 5, 8)).toEqual({ count: 3, seen: [] });
    // Stopped by visit: -1, nothing after.
    expect(visited(bare, 5, 0, 5)).toEqual({ count: -1, seen: [[5, events[0]]] });
  });

  it('gives what decodeBatch gives for a batch with object lines, from any position', () => {
    const mixed = [
      encodeEvent(events[0]!, 5),
      encodeEvent({ type: 'finish', reason: 'stop', rawReason: 'stop' } as RxllmEvent, 6),
      encodeEvent({ type: 'text', text: 'x', seq: 1 }, 7),
    ].join('\n');
    const decoded = decodeBatch(mixed, 5);
    for (const from of [0, 6, 7])
      expect(visited(mixed, 5, from).seen).toEqual(
        decoded.map((event, i) => [5 + i, event] as const).filter(([seq]) => seq >= from),
      );
  });
});

describe('encodeEvent', () => {
  it('stores a text event whose seq is its position as its bare text, and nothing else that way', () => {
    expect(encodeEvent({ type: 'text', text: 'hé\n"', seq: 4 }, 4)).toBe('"hé\\n\\""');
    // As the decoders create them: `choice` present and undefined, `seq` stamped in place.
    const decoded = textEvent('hé');
    decoded.seq = 4;
    expect(encodeEvent(decoded, 4)).toBe('"hé"');
    // Anything the position cannot restore keeps the object form.
    for (const event of [
      { type: 'text', text: 'a', seq: 3 },
      { type: 'text', text: 'a' },
      { type: 'text', text: 'a', seq: 4, choice: 1 },
      { type: 'text', text: 'a', seq: 4, track: 'local' },
      { type: 'reasoning', text: 'a', seq: 4 },
    ] as RxllmEvent[]) {
      const entry = encodeEvent(event, 4);
      expect(entry).toBe(JSON.stringify(event));
      expect(decodeEvent(entry, 4)).toEqual(event);
    }
  });

  it('round-trips bare text through decodeEvent, decodeBatch and expandEntry', () => {
    const event: RxllmEvent = { type: 'text', text: 'x\u2028"y"\\', seq: 7 };
    const entry = encodeEvent(event, 7);
    expect(entry.startsWith('"')).toBe(true);
    expect(decodeEvent(entry, 7)).toEqual(event);
    expect(decodeBatch(`${encodeEvent(ev.text('a'), 6)}\n${entry}`, 6)[1]).toEqual(event);
    // The expanded line is the event's own JSON, key order included.
    expect(expandEntry(entry, 7)).toBe(JSON.stringify(event));
    const object = encodeEvent(ev.text('a'), 7);
    expect(expandEntry(object, 7)).toBe(object);
  });
});
