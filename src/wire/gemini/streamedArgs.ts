/**
 * Vertex AI's streamed function-call arguments (`streamFunctionCallArguments`) arrive as values
 * at JSON paths (`{jsonPath: '$.recipe.ingredients[0].amount', stringValue: '16 oz',
 * willContinue: true}`), strings in pieces, in document order. `StreamedArgs` turns them into
 * what every other dialect streams: fragments of the arguments' JSON text, which concatenate to
 * valid JSON once the call is complete, and the arguments as an object.
 *
 * The text is written as the paths arrive: containers opened on the way down to a path and
 * closed when a later path leaves them, a string's quote left open while its pieces continue.
 * The object is built beside it from the same values, so that the arguments stay right even if
 * a server ever sent a path out of document order (the text would then repeat a key).
 */
export class StreamedArgs {
  /** The arguments so far. */
  readonly value: Record<string, unknown> = {};
  /** The JSON text written so far (complete only after {@link close}). */
  text = '';
  /** The path segments of the containers open in `text`, below the root object. */
  private readonly open: Array<string | number> = [];
  /** What closes each of them: `}` or `]`. */
  private readonly closers: string[] = [];
  /** How many members each open container (the root first) has written. */
  private readonly members: number[] = [0];
  /** The path of the string whose closing quote is still to come, as a key. */
  private openString: string | undefined;

  /**
   * Adds one `partialArgs` entry and returns the JSON text it added ('' for none). Throws a
   * message (for the decoder's malformed error) when the entry has no readable path.
   */
  add(entry: Record<string, unknown>): string {
    const path = entry.jsonPath;
    if (typeof path !== 'string') throw new Error('partialArgs[].jsonPath is not a string');
    const segments = parsePath(path);
    if (segments === undefined || segments.length === 0)
      throw new Error(`partialArgs[].jsonPath ${JSON.stringify(path)} is not a path this decoder reads`);
    const continues = entry.willContinue === true;
    let piece: string;
    let value: unknown;
    if (typeof entry.stringValue === 'string') {
      const chunk = entry.stringValue;
      if (this.openString === path) {
        // The next piece of a string already open: append, and close it when it ends.
        const previous = getAt(this.value, segments);
        setAt(this.value, segments, (typeof previous === 'string' ? previous : '') + chunk);
        piece = escape(chunk) + (continues ? '' : '"');
        if (!continues) this.openString = undefined;
        this.text += piece;
        return piece;
      }
      value = chunk;
      piece = `"${escape(chunk)}${continues ? '' : '"'}`;
    } else if (typeof entry.numberValue === 'number') {
      value = entry.numberValue;
      piece = JSON.stringify(value);
    } else if (typeof entry.boolValue === 'boolean') {
      value = entry.boolValue;
      piece = String(value);
    } else if ('nullValue' in entry) {
      value = null;
      piece = 'null';
    } else {
      return '';
    }
    const added = this.closeString() + this.moveTo(segments) + piece;
    if (typeof value === 'string' && continues) this.openString = path;
    setAt(this.value, segments, value);
    this.text += added;
    return added;
  }

  /** Closes whatever is still open; returns the text that took. */
  close(): string {
    let added = this.closeString();
    for (let i = this.closers.length - 1; i >= 0; i--) added += this.closers[i];
    this.open.length = 0;
    this.closers.length = 0;
    added = (this.text === '' ? '{' : '') + added + '}';
    this.text += added;
    return added;
  }

  private closeString(): string {
    if (this.openString === undefined) return '';
    this.openString = undefined;
    return '"';
  }

  /** The text that closes the containers the new path leaves and opens the ones it enters. */
  private moveTo(segments: Array<string | number>): string {
    let out = this.text === '' ? '{' : '';
    // The containers shared with the path stay open; below them, close what is open.
    let shared = 0;
    const parents = segments.length - 1;
    while (shared < this.open.length && shared < parents && this.open[shared] === segments[shared]) shared++;
    for (let i = this.open.length - 1; i >= shared; i--) {
      out += this.closers.pop()!;
      this.open.pop();
      this.members.pop();
    }
    // Open the containers on the way down, then name the member the value belongs to.
    for (let i = shared; i < segments.length; i++) {
      const segment = segments[i]!;
      const depth = this.members.length - 1;
      out += this.members[depth]! > 0 ? ',' : '';
      this.members[depth]!++;
      if (typeof segment === 'string') out += `${JSON.stringify(segment)}:`;
      if (i < parents) {
        const isArray = typeof segments[i + 1] === 'number';
        out += isArray ? '[' : '{';
        this.open.push(segment);
        this.closers.push(isArray ? ']' : '}');
        this.members.push(0);
      }
    }
    return out;
  }
}

/** Escapes a piece of a string as JSON does, without the quotes. */
function escape(piece: string): string {
  const quoted = JSON.stringify(piece);
  return quoted.slice(1, -1);
}

/** `$.a.b[0]['c d']` → `['a', 'b', 0, 'c d']`; undefined for anything else. */
export function parsePath(path: string): Array<string | number> | undefined {
  if (path.charCodeAt(0) !== 0x24 /* $ */) return undefined;
  const segments: Array<string | number> = [];
  let at = 1;
  while (at < path.length) {
    const char = path[at];
    if (char === '.') {
      let end = at + 1;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
      if (end === at + 1) return undefined;
      segments.push(path.slice(at + 1, end));
      at = end;
    } else if (char === '[') {
      const close = path.indexOf(']', at);
      if (close === -1) return undefined;
      const inside = path.slice(at + 1, close);
      if (/^\d+$/.test(inside)) segments.push(Number(inside));
      else if (/^'.*'$|^".*"$/.test(inside)) segments.push(inside.slice(1, -1));
      else return undefined;
      at = close + 1;
    } else return undefined;
  }
  return segments;
}

function getAt(root: Record<string, unknown>, segments: Array<string | number>): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function setAt(root: Record<string, unknown>, segments: Array<string | number>, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    let next = node[segment];
    if (next === null || typeof next !== 'object') {
      next = typeof segments[i + 1] === 'number' ? [] : {};
      node[segment] = next;
    }
    node = next as Record<string | number, unknown>;
  }
  node[segments[segments.length - 1]!] = value;
}
