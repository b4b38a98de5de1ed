/**
 * `JSON.stringify(value)`, or `fallback` when the value has no JSON text: nested too deeply for
 * the stack (a `RangeError`), circular, a `BigInt`, or a function or `undefined` (for which
 * `JSON.stringify` returns `undefined`, which spliced into a frame would be invalid JSON).
 */
export function jsonOr<T>(value: unknown, fallback: T): string | T {
  try {
    const json = JSON.stringify(value) as string | undefined;
    return json === undefined ? fallback : json;
  } catch {
    return fallback;
  }
}
