/**
 * A short random id with a prefix (`chatcmpl-k3j…`), for encoders that must name a response the
 * events did not name. Not cryptographic: it only has to be unlikely to repeat within a client.
 */
export function randomId(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`;
}
