/**
 * `value` when it is a finite number, else 0: what an encoder writes for a number it splices into
 * JSON text, since `Infinity` or `NaN` there would make the whole frame invalid JSON. Events from
 * rxllm's decoders are validated already; events built by hand or by other code are not.
 */
export function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
