import { parsePartialJson } from '../src/wire/parsePartialJson';

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

/** The earlier algorithm (try every shorter prefix, closed), kept as the reference for small inputs. */
function referenceParse(text: string): { value: unknown; complete: boolean } | undefined {
  try {
    return { value: JSON.parse(text), complete: true };
  } catch {
    // repair below
  }
  for (let cut = text.length; cut > 0; cut--) {
    const prefix = text.slice(0, cut);
    const closers: string[] = [];
    let inString = false;
    let escaped = false;
    for (const char of prefix) {
      if (inString) {
        if (escaped) escaped = false;
        else if (char === '\\') escaped = true;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '"') inString = true;
      else if (char === '{') closers.push('}');
      else if (char === '[') closers.push(']');
      else if (char === '}' || char === ']') closers.pop();
    }
    if (escaped) continue;
    try {
      return {
        value: JSON.parse(prefix + (inString ? '"' : '') + closers.reverse().join('')),
        complete: false,
      };
    } catch {
      // shorter
    }
  }
  return undefined;
}

describe('parsePartialJson in one pass', () => {
  it('agrees with trying every prefix, on every prefix of varied JSON and on random mutations', () => {
    const samples = [
      '{"a": [1, -2.5e+3, true, false, null, "x\\"y\\u00e9\\n"], "b": {"c": {}}, "d": []}',
      '[0, 01, 1., 1e, -, "a", {"k" : "v" , "n":12}, [[]]]',
      ' {"s": "tab\there", "u": "\\u12", "t": tru, "z": 0.5E-2 } trailing',
      '"root string\\\\"',
      '{"__proto__": {"isAdmin": true}, "x": [1,]}',
    ];
    let random = 12345;
    const next = () => (random = (random * 1103515245 + 12345) % 2147483648);
    const alphabet = '{}[]",:\\ 0123456789.-+eEtrufalsn\t\nxu';
    for (const sample of samples) {
      const variants = [sample];
      for (let k = 0; k < 20; k++) {
        const chars = [...sample];
        chars[next() % chars.length] = alphabet[next() % alphabet.length]!;
        variants.push(chars.join(''));
      }
      for (const variant of variants)
        for (let cut = 0; cut <= variant.length; cut++) {
          const prefix = variant.slice(0, cut);
          expect([prefix, parsePartialJson(prefix)]).toEqual([prefix, referenceParse(prefix)]);
        }
    }
  });
});
