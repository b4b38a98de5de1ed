import { parsePartialJson } from '../src/internal/parsePartialJson';

describe('parsePartialJson', () => {
  it('parses complete JSON as complete', () => {
    expect(parsePartialJson('{"a":[1,2]}')).toEqual({ value: { a: [1, 2] }, complete: true });
  });

  it.each([
    ['{"location": "Par', { location: 'Par' }],
    ['{"a":1,', { a: 1 }],
    ['{"a":', {}],
    ['{"a":1,"b', { a: 1 }],
    ['[1, 2', [1, 2]],
    ['{"n": 12.', { n: 12 }],
    ['{"ok": tru', {}],
    ['{"s": "x\\', { s: 'x' }],
    ['{"nested": {"list": ["a", "b', { nested: { list: ['a', 'b'] } }],
  ])('completes %s', (text, expected) => {
    expect(parsePartialJson(text)).toEqual({ value: expected, complete: false });
  });

  it('returns undefined when nothing parseable remains', () => {
    expect(parsePartialJson('')).toBeUndefined();
    expect(parsePartialJson('tru')).toBeUndefined();
  });
});
