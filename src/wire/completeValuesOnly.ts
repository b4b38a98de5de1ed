import { parsePartialJson } from './parsePartialJson';

/**
 * Cuts JSON text that stopped mid-way back to before its last value if that value is unfinished:
 * an unterminated string, or a number or literal at the very end (`12` may be the start of
 * `125`). What is left, closed by `parsePartialJson`, holds complete values only: the reading
 * of cut-off tool arguments that Anthropic's SDKs give (`{"a": 1, "b": "x` → `{"a": 1}`).
 *
 * One pass over the text, no allocation beyond the returned slice.
 */
export function completeValuesOnly(text: string): string {
  let inString = false;
  let escaped = false;
  // Where the value (or key) being read began; -1 between values.
  let valueStart = -1;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (char === 0x5c /* \ */) escaped = true;
      else if (char === 0x22 /* " */) {
        inString = false;
        valueStart = -1;
      }
      continue;
    }
    switch (char) {
      case 0x22 /* " */:
        inString = true;
        valueStart = i;
        break;
      case 0x2c /* , */:
      case 0x3a /* : */:
      case 0x7b /* { */:
      case 0x7d /* } */:
      case 0x5b /* [ */:
      case 0x5d /* ] */:
        valueStart = -1;
        break;
      case 0x20 /* space */:
      case 0x0a /* \n */:
      case 0x0d /* \r */:
      case 0x09 /* \t */:
        // Whitespace ends a bare number or literal, which is then complete.
        valueStart = -1;
        break;
      default:
        if (valueStart === -1) valueStart = i;
    }
  }
  return valueStart === -1 ? text : text.slice(0, valueStart);
}

/**
 * Reads the arguments of a tool call that was cut off: complete values only (see
 * {@link completeValuesOnly}), `{}` when none is left. Every decoder reads cut-off arguments
 * this way, so a call reads the same whichever dialect carried it.
 */
export function parseCutOffArgs(text: string): unknown {
  return parsePartialJson(completeValuesOnly(text))?.value ?? {};
}
