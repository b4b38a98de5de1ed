/**
 * A JSON parser fed a piece at a time, for structured output that streams in as text deltas.
 *
 * `parsePartialJson` reparses the whole text on every call, so following a growing document with
 * it costs O(n²) over n characters. This parser keeps its place instead: every character is read
 * once, and a snapshot of the value so far costs only a shallow copy of the containers still open
 * (the path from the root to where the text ends). Closed objects and arrays are never touched
 * again, so successive snapshots share them: a UI that memoizes by identity redraws only what grew.
 *
 * What a snapshot shows: open objects and arrays, strings as far as they have arrived, and
 * completed numbers, booleans and nulls. A number or literal still being written is left out (a
 * price of `1` that is becoming `129.99` is not shown as 1), and so is an object key whose value
 * has not started.
 *
 * Leniencies, for what models actually write: leading whitespace and a Markdown fence line
 * (```` ```json ````) before the value, raw control characters inside strings, and anything after the
 * value (a closing fence, a remark) are accepted.
 */
export class IncrementalJsonParser {
  /** The complete value, once `done`. */
  value: unknown;
  /** The root value is complete. */
  done = false;
  /** Characters consumed so far (for error positions). */
  position = 0;

  private readonly frames: Frame[] = [];
  private state: State = State.Value;
  /** The string being read (a value or a key). */
  private string = '';
  private stringIsKey = false;
  /** Characters of a number or a literal being read. */
  private token = '';
  /** Hex digits of a `\u` escape being read. */
  private hex = '';
  /** Whether something visible changed since the last `takeChanged()`. */
  private changed = false;
  private started = false;
  /** Values held by the open containers: with `frames.length`, what a snapshot copies. */
  private openValues = 0;

  /**
   * Reads `chunk`. Throws a `SyntaxError` naming the position on text that cannot be JSON.
   * Text after the complete root value is ignored.
   */
  write(chunk: string): void {
    let i = 0;
    const length = chunk.length;
    while (i < length && !this.done) {
      switch (this.state) {
        case State.String: {
          // Copy the run up to the next quote or backslash in one slice: strings are most of the text.
          let end = i;
          while (end < length) {
            const code = chunk.charCodeAt(end);
            if (code === 0x22 || code === 0x5c) break;
            end++;
          }
          if (end > i) {
            this.string += chunk.slice(i, end);
            if (!this.stringIsKey) this.changed = true;
          }
          i = end;
          if (i < length) {
            if (chunk.charCodeAt(i) === 0x22) this.endString();
            else this.state = State.Escape;
            i++;
          }
          continue;
        }
        case State.Escape: {
          const char = chunk[i]!;
          i++;
          if (char === 'u') {
            this.hex = '';
            this.state = State.Unicode;
            continue;
          }
          const escaped = escapes[char];
          if (escaped === undefined) this.fail(chunk, i - 1, `invalid escape \\${char}`);
          this.string += escaped;
          if (!this.stringIsKey) this.changed = true;
          this.state = State.String;
          continue;
        }
        case State.Unicode: {
          const char = chunk[i]!;
          if (!/[0-9a-fA-F]/.test(char)) this.fail(chunk, i, `invalid \\u escape`);
          i++;
          this.hex += char;
          if (this.hex.length === 4) {
            this.string += String.fromCharCode(parseInt(this.hex, 16));
            if (!this.stringIsKey) this.changed = true;
            this.state = State.String;
          }
          continue;
        }
        case State.Number:
        case State.Literal: {
          const char = chunk[i]!;
          if (this.state === State.Number ? /[0-9eE+\-.]/.test(char) : /[a-z]/.test(char)) {
            this.token += char;
            i++;
            if (this.state === State.Literal && !literalPrefix.test(this.token))
              this.fail(chunk, i - 1, `unexpected ${JSON.stringify(this.token)}`);
            continue;
          }
          this.endToken(chunk, i);
          continue; // The delimiter is read in the next state.
        }
        case State.Fence: {
          const newline = chunk.indexOf('\n', i);
          if (newline === -1) i = length;
          else {
            i = newline + 1;
            this.state = State.Value;
          }
          continue;
        }
      }
      const char = chunk[i]!;
      if (char === ' ' || char === '\n' || char === '\r' || char === '\t') {
        i++;
        continue;
      }
      i = this.structural(chunk, i, char);
    }
    this.position += length;
  }

  /** The input ended: a number at the very end of the root (`42`) is complete now. */
  end(): void {
    if (
      !this.done &&
      (this.state === State.Number || this.state === State.Literal) &&
      this.frames.length === 0
    )
      this.endToken('', 0);
  }

  /** True once since the visible value last changed. */
  takeChanged(): boolean {
    const changed = this.changed;
    this.changed = false;
    return changed;
  }

  /** Whether the visible value changed since the last `takeChanged()` (without taking it). */
  get hasChanges(): boolean {
    return this.changed;
  }

  /**
   * What the next `snapshot()` costs: the open containers it copies and the values they hold
   * (a property weighs 16 items).
   * A caller that snapshots on every change of a growing array pays O(n²); this lets it space
   * snapshots out.
   */
  get snapshotCost(): number {
    return this.frames.length + this.openValues;
  }

  /** Nothing of a value has been read yet. */
  get empty(): boolean {
    return !this.started;
  }

  /** The value so far, with open containers copied and closed ones shared. `undefined` before any. */
  snapshot(): unknown {
    if (this.done) return this.value;
    const inString =
      this.state === State.String || this.state === State.Escape || this.state === State.Unicode;
    let child: unknown = inString && !this.stringIsKey ? this.string : missing;
    for (let depth = this.frames.length - 1; depth >= 0; depth--) {
      const frame = this.frames[depth]!;
      if (frame.array) {
        const copy = (frame.container as unknown[]).slice();
        if (child !== missing) copy.push(child);
        child = copy;
      } else {
        const copy = { ...(frame.container as Record<string, unknown>) };
        if (child !== missing && frame.key !== undefined) setOwn(copy, frame.key, child);
        child = copy;
      }
    }
    return child === missing ? undefined : child;
  }

  private structural(chunk: string, i: number, char: string): number {
    const frame = this.frames.at(-1);
    switch (this.state) {
      case State.Value:
      case State.ValueOrEnd:
        if (char === ']' && this.state === State.ValueOrEnd) return this.close(i);
        if (char === '`' && !this.started) {
          this.state = State.Fence;
          return i + 1;
        }
        return this.startValue(chunk, i, char);
      case State.KeyOrEnd:
      case State.Key:
        if (char === '}' && this.state === State.KeyOrEnd) return this.close(i);
        if (char !== '"') this.fail(chunk, i, `expected a property name, got ${JSON.stringify(char)}`);
        this.string = '';
        this.stringIsKey = true;
        this.state = State.String;
        return i + 1;
      case State.Colon:
        if (char !== ':') this.fail(chunk, i, `expected ':', got ${JSON.stringify(char)}`);
        this.state = State.Value;
        return i + 1;
      case State.CommaOrEnd:
        if (char === ',') {
          this.state = frame!.array ? State.Value : State.Key;
          return i + 1;
        }
        if (char === (frame!.array ? ']' : '}')) return this.close(i);
        return this.fail(
          chunk,
          i,
          `expected ',' or '${frame!.array ? ']' : '}'}', got ${JSON.stringify(char)}`,
        );
    }
    return this.fail(chunk, i, 'unexpected state');
  }

  private startValue(chunk: string, i: number, char: string): number {
    this.started = true;
    if (char === '{' || char === '[') {
      const array = char === '[';
      this.frames.push({ array, container: array ? [] : {}, key: undefined, values: 0 });
      this.state = array ? State.ValueOrEnd : State.KeyOrEnd;
      this.changed = true;
      return i + 1;
    }
    if (char === '"') {
      this.string = '';
      this.stringIsKey = false;
      this.state = State.String;
      this.changed = true;
      return i + 1;
    }
    if (char === '-' || (char >= '0' && char <= '9')) {
      this.token = char;
      this.state = State.Number;
      return i + 1;
    }
    if (char === 't' || char === 'f' || char === 'n') {
      this.token = char;
      this.state = State.Literal;
      return i + 1;
    }
    return this.fail(chunk, i, `unexpected ${JSON.stringify(char)}`);
  }

  private endString(): void {
    if (this.stringIsKey) {
      this.frames.at(-1)!.key = this.string;
      this.state = State.Colon;
    } else this.commit(this.string, false); // Shown as it grew: completing it changes nothing visible.
    this.string = '';
  }

  private endToken(chunk: string, i: number): void {
    const token = this.token;
    this.token = '';
    if (this.state === State.Literal) {
      if (!(token in literals)) this.fail(chunk, i, `unexpected ${JSON.stringify(token)}`);
      this.commit(literals[token], true);
      return;
    }
    if (!numberPattern.test(token)) this.fail(chunk, i, `invalid number ${token}`);
    this.commit(Number(token), true);
  }

  private close(i: number): number {
    const frame = this.frames.pop()!;
    this.openValues -= frame.values;
    this.commit(frame.container, false); // Already shown open, with the same contents.
    return i + 1;
  }

  private commit(value: unknown, visible: boolean): void {
    if (visible) this.changed = true;
    const frame = this.frames.at(-1);
    if (frame === undefined) {
      this.value = value;
      this.done = true;
      return;
    }
    // Spreading an object copies a property ~16x slower than slicing an array copies an item.
    const weight = frame.array ? 1 : 16;
    frame.values += weight;
    this.openValues += weight;
    if (frame.array) (frame.container as unknown[]).push(value);
    else {
      setOwn(frame.container as Record<string, unknown>, frame.key!, value);
      frame.key = undefined;
    }
    this.state = State.CommaOrEnd;
  }

  private fail(chunk: string, i: number, reason: string): never {
    const near = chunk.slice(Math.max(0, i - 20), i + 20);
    throw new SyntaxError(`${reason} at character ${this.position + i + 1} (near ${JSON.stringify(near)})`);
  }
}

/** Where the parser is in the grammar (a plain object rather than an enum: erasable syntax only). */
const State = {
  Value: 0,
  ValueOrEnd: 1,
  KeyOrEnd: 2,
  Key: 3,
  Colon: 4,
  CommaOrEnd: 5,
  String: 6,
  Escape: 7,
  Unicode: 8,
  Number: 9,
  Literal: 10,
  Fence: 11,
} as const;
type State = (typeof State)[keyof typeof State];

interface Frame {
  array: boolean;
  container: unknown[] | Record<string, unknown>;
  /** The key whose value is being read (objects). */
  key: string | undefined;
  /** Copy cost of `container`: 1 per item, 16 per property (a repeated key counts twice: a bound is enough). */
  values: number;
}

const missing = Symbol('missing');

const escapes: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const literals: Record<string, unknown> = { true: true, false: false, null: null };
const literalPrefix = /^(t(r(ue?)?)?|f(a(l(se?)?)?)?|n(u(ll?)?)?)$/;
const numberPattern = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * `object[key] = value` as `JSON.parse` does it: an own property, even for `__proto__` (whose
 * assignment would replace the object's prototype: `{"__proto__":{"isAdmin":true}}` must not
 * make `isAdmin` readable on the result).
 */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}
