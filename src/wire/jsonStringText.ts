/**
 * The text of a JSON string token whose body (between its quotes) is `body`, or `undefined` when
 * the body is not a valid JSON string (a bad escape, a raw control character): the caller then
 * falls back to the full decoder, which reports the line as malformed. A body without a backslash
 * is its own text, so the common token costs no parse at all.
 */
export function jsonStringText(body: string): string | undefined {
  if (body.indexOf('\\') === -1) return body;
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}
