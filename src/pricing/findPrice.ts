import type { ModelPrice, PriceTable } from './priceTable';

const free: ModelPrice = { input: 0, cachedInput: 0, output: 0 };

/** A dated snapshot suffix: `-2024-08-06`, `-20241022`, `@20241022` (Vertex). */
const datedSuffix = /[-@]\d{4}-?\d{2}-?\d{2}$/;

/** Characters after which a shorter table key may match a longer model name. */
const boundaries = new Set(['-', ':', '@', '_']);

/**
 * The price of `model` in `table`, or `undefined` when the table has none.
 *
 * Matching is forgiving of how hosts spell a model and strict about which model it is: names are
 * compared in lower case; an org or router prefix (`openai/`, `meta-llama/`) is tried with and
 * without; a `provider/model` key wins over a plain one; then the name without a dated suffix
 * (`gpt-4o-2024-08-06` → `gpt-4o`), then the longest key the name starts with followed by `-`,
 * `:`, `@` or `_` (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`, never `gpt-4` for `gpt-4o`).
 * Models of a free provider (a local server) cost 0.
 *
 * @example
 * ```ts
 * import { defaultPriceTable, findPrice } from 'rxllm';
 * findPrice(defaultPriceTable, 'gpt-4o-mini-2024-07-18'); // { input: 0.15, cachedInput: 0.075, output: 0.6 }
 * ```
 */
export function findPrice(
  table: PriceTable,
  model: string | undefined,
  provider?: string,
): ModelPrice | undefined {
  if (provider !== undefined && table.freeProviders.includes(provider.toLowerCase())) return free;
  if (model === undefined || model === '') return undefined;
  const name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  const names = slash === -1 ? [name] : [name, name.slice(slash + 1)];
  const host = provider?.toLowerCase();
  const keys = (candidate: string): string[] =>
    host === undefined ? [candidate] : [`${host}/${candidate}`, candidate];

  for (const candidate of names) {
    for (const key of keys(candidate)) if (Object.hasOwn(table.models, key)) return table.models[key];
    const undated = candidate.replace(datedSuffix, '');
    if (undated !== candidate)
      for (const key of keys(undated)) if (Object.hasOwn(table.models, key)) return table.models[key];
  }
  let best: string | undefined;
  for (const candidate of names) {
    for (const full of keys(candidate)) {
      for (const key in table.models) {
        if (
          key.length < full.length &&
          (best === undefined || key.length > best.length) &&
          full.startsWith(key) &&
          boundaries.has(full[key.length]!)
        )
          best = key;
      }
    }
  }
  return best === undefined ? undefined : table.models[best];
}
