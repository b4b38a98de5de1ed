/**
 * Parses JSON that may be cut off mid-way (a streaming tool call's arguments, structured output
 * as it grows): open strings, arrays and objects are closed, and a trailing fragment that cannot
 * be completed (a dangling key, `tru`, `1.`) is dropped.
 *
 * Returns `undefined` when nothing parseable remains. `complete` is true only when the text was
 * valid JSON as it stood.
 *
 * Linear time: one pass finds the longest prefix that closing what is open makes valid (the text
 * may be hostile: 1 MB of an unfinished key once took minutes when every shorter prefix was tried),
 * then `JSON.parse` reads that prefix once, so keys such as `__proto__` become own properties.
 */
export function parsePartialJson(text: string): { value: unknown; complete: boolean } | undefined {
  try {
    return { value: JSON.parse(text), complete: true };
  } catch {
    // Fall through to repair.
  }
  const cut = longestClosablePrefix(text);
  if (cut === 0) return undefined;
  try {
    return { value: JSON.parse(closeOpenStructures(text.slice(0, cut))), complete: false };
  } catch {
    return undefined; // Not reached when the scan below agrees with JSON.parse, as it is meant to.
  }
}

/** Where the scan is in the JSON grammar (plain objects rather than enums: erasable syntax only). */
const Expect = {
  /** A value (root, after `,` in an array, after `:`). */
  Value: 0,
  /** A value or `]` (right after `[`). */
  ValueOrClose: 1,
  /** A key or `}` (right after `{`). */
  KeyOrClose: 2,
  /** A key (after `,` in an object). */
  Key: 3,
  Colon: 4,
  /** `,` or the closer of the container (or only whitespace at the root). */
  After: 5,
  String: 6,
  Escape: 7,
  /** Inside `\uXXXX`; `hexLeft` digits to go. */
  Unicode: 8,
  Number: 9,
  Literal: 10,
} as const;
type Expect = (typeof Expect)[keyof typeof Expect];

/** Number sub-states, in the order of the grammar `-? (0 | [1-9]\d*) (\.\d+)? ([eE][+-]?\d+)?`. */
const Num = { Sign: 0, Zero: 1, Int: 2, Dot: 3, Frac: 4, E: 5, ESign: 6, Exp: 7 } as const;
type Num = (typeof Num)[keyof typeof Num];

/**
 * The length of the longest prefix of `text` that becomes valid JSON once an open string is
 * closed and open containers are closed (0 when none does). Reads each character once and stops
 * at the first character no JSON text could continue with.
 */
function longestClosablePrefix(text: string): number {
  const stack: number[] = []; // 0x5d `]` or 0x7d `}` for each open container
  let state: Expect = Expect.Value;
  let stringIsKey = false;
  let hexLeft = 0;
  let num: Num = Num.Sign;
  let literal = '';
  let literalAt = 0;
  let lastCut = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    switch (state) {
      case Expect.String:
        if (code === 0x22) {
          if (stringIsKey) state = Expect.Colon;
          else state = Expect.After;
        } else if (code === 0x5c) state = Expect.Escape;
        else if (code < 0x20) return lastCut;
        break;
      case Expect.Escape:
        if (code === 0x75 /* u */) {
          state = Expect.Unicode;
          hexLeft = 4;
        } else if (simpleEscape(code)) state = Expect.String;
        else return lastCut;
        break;
      case Expect.Unicode:
        if (!isHex(code)) return lastCut;
        if (--hexLeft === 0) state = Expect.String;
        break;
      case Expect.Literal:
        if (literalAt < literal.length) {
          if (code !== literal.charCodeAt(literalAt)) return lastCut;
          literalAt++;
          break;
        }
        state = Expect.After;
        i--; // The literal is complete: read this character after it.
        continue;
      case Expect.Number: {
        const next = numberStep(num, code);
        if (next !== undefined) {
          num = next;
          break;
        }
        if (!numberComplete(num)) return lastCut;
        state = Expect.After;
        i--; // The number ended: read this character after it.
        continue;
      }
      default:
        if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) break;
        switch (state) {
          case Expect.Value:
          case Expect.ValueOrClose:
            if (code === 0x5d && state === Expect.ValueOrClose) {
              stack.pop();
              state = Expect.After;
            } else if (code === 0x5b) {
              stack.push(0x5d);
              state = Expect.ValueOrClose;
            } else if (code === 0x7b) {
              stack.push(0x7d);
              state = Expect.KeyOrClose;
            } else if (code === 0x22) {
              state = Expect.String;
              stringIsKey = false;
            } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
              state = Expect.Number;
              num = code === 0x2d ? Num.Sign : code === 0x30 ? Num.Zero : Num.Int;
            } else if (code === 0x74 || code === 0x66 || code === 0x6e) {
              state = Expect.Literal;
              literal = code === 0x74 ? 'true' : code === 0x66 ? 'false' : 'null';
              literalAt = 1;
            } else return lastCut;
            break;
          case Expect.KeyOrClose:
          case Expect.Key:
            if (code === 0x7d && state === Expect.KeyOrClose) {
              stack.pop();
              state = Expect.After;
            } else if (code === 0x22) {
              state = Expect.String;
              stringIsKey = true;
            } else return lastCut;
            break;
          case Expect.Colon:
            if (code !== 0x3a) return lastCut;
            state = Expect.Value;
            break;
          case Expect.After: {
            const closer = stack[stack.length - 1];
            if (closer === undefined) return lastCut; // Only whitespace may follow the root value.
            if (code === closer) stack.pop();
            else if (code === 0x2c) state = closer === 0x5d ? Expect.Value : Expect.Key;
            else return lastCut;
            break;
          }
        }
    }
    if (closable(state, stringIsKey, num, literalAt, literal)) lastCut = i + 1;
  }
  return lastCut;
}

/** Whether the text read so far, closed, is valid JSON. */
function closable(
  state: Expect,
  stringIsKey: boolean,
  num: Num,
  literalAt: number,
  literal: string,
): boolean {
  switch (state) {
    case Expect.ValueOrClose:
    case Expect.KeyOrClose:
    case Expect.After:
      return true;
    case Expect.String:
      return !stringIsKey;
    case Expect.Number:
      return numberComplete(num);
    case Expect.Literal:
      return literalAt === literal.length;
    default:
      return false;
  }
}

function numberStep(num: Num, code: number): Num | undefined {
  const digit = code >= 0x30 && code <= 0x39;
  switch (num) {
    case Num.Sign:
      return code === 0x30 ? Num.Zero : digit ? Num.Int : undefined;
    case Num.Zero:
    case Num.Int:
      if (code === 0x2e) return Num.Dot;
      if (code === 0x65 || code === 0x45) return Num.E;
      return digit && num === Num.Int ? Num.Int : undefined;
    case Num.Dot:
      return digit ? Num.Frac : undefined;
    case Num.Frac:
      if (code === 0x65 || code === 0x45) return Num.E;
      return digit ? Num.Frac : undefined;
    case Num.E:
      return code === 0x2b || code === 0x2d ? Num.ESign : digit ? Num.Exp : undefined;
    case Num.ESign:
    case Num.Exp:
      return digit ? Num.Exp : undefined;
  }
}

function numberComplete(num: Num): boolean {
  return num === Num.Zero || num === Num.Int || num === Num.Frac || num === Num.Exp;
}

function simpleEscape(code: number): boolean {
  // " \ / b f n r t
  return (
    code === 0x22 ||
    code === 0x5c ||
    code === 0x2f ||
    code === 0x62 ||
    code === 0x66 ||
    code === 0x6e ||
    code === 0x72 ||
    code === 0x74
  );
}

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function closeOpenStructures(prefix: string): string {
  const closers: string[] = [];
  let inString = false;
  let escaped = false;
  for (let i = 0; i < prefix.length; i++) {
    const char = prefix.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (char === 0x5c /* \ */) escaped = true;
      else if (char === 0x22 /* " */) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x7b /* { */) closers.push('}');
    else if (char === 0x5b /* [ */) closers.push(']');
    else if (char === 0x7d /* } */ || char === 0x5d /* ] */) closers.pop();
  }
  let closed = inString ? `${prefix}"` : prefix;
  for (let i = closers.length - 1; i >= 0; i--) closed += closers[i];
  return closed;
}
