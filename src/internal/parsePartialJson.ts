/**
 * Parses JSON that may be cut off mid-way (a streaming tool call's arguments, structured output
 * as it grows): open strings, arrays and objects are closed, and a trailing fragment that cannot
 * be completed (a dangling key, `tru`, `1.`) is dropped.
 *
 * Returns `undefined` when nothing parseable remains. `complete` is true only when the text was
 * valid JSON as it stood.
 */
export function parsePartialJson(text: string): { value: unknown; complete: boolean } | undefined {
  try {
    return { value: JSON.parse(text), complete: true };
  } catch {
    // Fall through to repair.
  }
  // Cutting a character at a time and closing what is open finds the longest parseable prefix;
  // almost always within the last token, so few attempts are made.
  for (let cut = text.length; cut > 0; cut--) {
    const candidate = closeOpenStructures(text.slice(0, cut));
    if (candidate === undefined) continue;
    try {
      return { value: JSON.parse(candidate), complete: false };
    } catch {
      // Try a shorter prefix.
    }
  }
  return undefined;
}

function closeOpenStructures(prefix: string): string | undefined {
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
  if (escaped) return undefined;
  let closed = inString ? `${prefix}"` : prefix;
  for (let i = closers.length - 1; i >= 0; i--) closed += closers[i];
  return closed;
}
