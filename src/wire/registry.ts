import type { Dialect, DialectName } from './types';

/**
 * A dialect as sources and `toSSE` accept it: the dialect object itself (what `rxllm/core` and
 * `rxllm/dialects/<name>` users pass, so a bundle holds only the dialects it uses), or its name.
 */
export type DialectInput = DialectName | Dialect;

// One registry per process, not per copy of rxllm: the ESM and CJS builds, or two installs, may
// both be loaded, and a dialect registered through one must be found through the other.
const registryKey = Symbol.for('rxllm.dialects');

function registry(): Map<string, Dialect> {
  const global = globalThis as { [registryKey]?: Map<string, Dialect> };
  return (global[registryKey] ??= new Map());
}

/**
 * Makes a dialect known by its name to `fromSSE`, `fromNDJSON`, `toSSE` and `getDialect`, for a
 * dialect of your own or, with `rxllm/core`, a built-in one you want to refer to by name.
 * Importing `rxllm/dialects/<name>` (or its decode-only `rxllm/dialects/<name>/decode`) registers
 * that dialect. A dialect replaces one registered under its name, except that a decode-only form
 * never replaces a dialect with the same decoder that also encodes: importing both entries, in
 * either order, leaves the full dialect registered, so `toSSE` still writes it by name. Returns
 * the dialect.
 */
export function registerDialect<D extends Dialect>(dialect: D): D {
  if (typeof dialect?.name !== 'string' || (dialect.framing !== 'sse' && dialect.framing !== 'ndjson'))
    throw new TypeError(`rxllm: registerDialect: not a dialect: ${String(dialect)}`);
  const registered = registry().get(dialect.name);
  const downgrade =
    !dialect.createEncoder &&
    registered?.createEncoder !== undefined &&
    registered.createDecoder === dialect.createDecoder;
  if (!downgrade) registry().set(dialect.name, dialect);
  return dialect;
}

/** The names of the registered dialects (see {@link registerDialect}). */
export function registeredDialectNames(): string[] {
  return [...registry().keys()];
}

/**
 * The dialect `input` stands for: a dialect object as given, a name looked up in `known` and then
 * in the registry. Throws a TypeError at once for an unknown name or, with `need`, a dialect
 * that cannot be decoded. (Whether it can be encoded is `encodableDialect`'s to say: a bundle that
 * only reads holds none of that.)
 */
export function resolveDialect(
  input: DialectInput | string,
  need?: 'decode',
  known: Partial<Record<string, Dialect>> = {},
): Dialect {
  let dialect: Dialect | undefined;
  if (typeof input === 'object' && input !== null) dialect = input;
  else if (typeof input === 'string')
    dialect = Object.hasOwn(known, input) ? known[input] : registry().get(input);
  if (!dialect) {
    const names = [...new Set([...Object.keys(known), ...registry().keys()])];
    const hint =
      typeof input === 'string' && Object.keys(known).length === 0
        ? ` (rxllm/core knows the dialects imported: import 'rxllm/dialects/${input}' or use 'rxllm')`
        : '';
    throw new TypeError(
      `rxllm: unknown dialect '${String(input)}'; known: ${names.join(', ') || 'none'}${hint}`,
    );
  }
  if (need === 'decode' && !dialect.createDecoder)
    throw new TypeError(`rxllm: dialect '${dialect.name}' cannot be decoded`);
  return dialect;
}
