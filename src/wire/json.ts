/** A parsed JSON object: not `null`, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value if it is a number, else `undefined` (for token counts a provider may omit). */
export function count(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
