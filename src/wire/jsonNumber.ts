/**
 * A number as JSON text, for encoders that build frames from template strings: `String(value)`
 * for a finite number, and `null` for anything else (undefined, NaN, a string from an untyped
 * caller), as `JSON.stringify` writes NaN. A template with `${value}` would write
 * `"total_tokens":undefined`, which no JSON parser reads.
 */
export function jsonNumber(value: number | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : 'null';
}
