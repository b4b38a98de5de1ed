import type { Dialect } from './types';

/**
 * `dialect` itself when it can be written; a decode-only dialect (`rxllm/dialects/<name>/decode`)
 * throws a TypeError that names the entry holding the full one. Apart from `resolveDialect`, so
 * that a bundle that only reads streams holds none of it.
 */
export function encodableDialect(dialect: Dialect): Dialect {
  if (!dialect.createEncoder)
    throw new TypeError(
      `rxllm: dialect '${dialect.name}' cannot be encoded: it has no encoder (decode-only); to write it, pass the full dialect from rxllm/dialects/${dialect.name}`,
    );
  return dialect;
}
