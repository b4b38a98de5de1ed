import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type { UsagePricer } from '../operators/aggregateUsage';

/** rxllm's `start.provider` labels that genai-prices knows by another id. */
const providerIds: Record<string, string> = { gemini: 'google', 'google-ai': 'google' };

export interface FromGenaiPricesConfig {
  /**
   * The moment whose prices apply (genai-prices records price changes by start date); default:
   * when the usage is priced. Its date is the usage's `pricesAsOf`.
   */
  now?: () => Date;
}

/**
 * Prices usage from `@pydantic/genai-prices` (an optional peer: `npm install @pydantic/genai-prices`),
 * Pydantic's maintained price data for hundreds of models and providers, with long-context tiers,
 * cache reads and writes, and price changes by date. Pass it to
 * `aggregateUsage({ priceUsage: fromGenaiPrices() })`; a model it does not know is priced from
 * rxllm's table instead. Its data ships with the package version you install (no network access).
 * `pricesAsOf` is a date (`YYYY-MM-DD`): the day whose prices were applied, or the day
 * genai-prices' data was last updated when it says so (data it fetched itself).
 *
 * @example
 * ```ts
 * import { aggregateUsage } from 'rxllm';
 * import { fromGenaiPrices } from 'rxllm/prices/genai-prices';
 * events$.pipe(aggregateUsage({ priceUsage: fromGenaiPrices() }));
 * ```
 */
export function fromGenaiPrices(config: FromGenaiPricesConfig = {}): UsagePricer {
  const now = config.now ?? (() => new Date());
  return (usage, model, provider) => {
    if (model === undefined || model === '') return undefined;
    const id = provider === undefined ? undefined : (providerIds[provider] ?? provider);
    const known = id !== undefined && findProvider({ providerId: id }) !== undefined;
    const timestamp = now();
    const result = calcPrice(
      {
        // rxllm's inputTokens include cache reads and writes, as genai-prices' input_tokens do.
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        ...(usage.cachedInputTokens !== undefined && { cache_read_tokens: usage.cachedInputTokens }),
        ...(usage.cacheWriteTokens !== undefined && { cache_write_tokens: usage.cacheWriteTokens }),
      },
      model,
      known ? { providerId: id, timestamp } : { timestamp },
    );
    if (result === null || result === undefined) return undefined;
    const updated = result.auto_update_timestamp ? new Date(result.auto_update_timestamp) : undefined;
    const asOf = updated && !Number.isNaN(updated.getTime()) ? updated : timestamp;
    return { cost: result.total_price, pricesAsOf: asOf.toISOString().slice(0, 10) };
  };
}
