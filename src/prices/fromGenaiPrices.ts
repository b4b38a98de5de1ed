import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type { UsagePricer } from '../operators/aggregateUsage';

/** rxllm's `start.provider` labels that genai-prices knows by another id. */
const providerIds: Record<string, string> = { gemini: 'google', 'google-ai': 'google' };

/**
 * Prices usage from `@pydantic/genai-prices` (an optional peer: `npm install @pydantic/genai-prices`),
 * Pydantic's maintained price data for hundreds of models and providers, with long-context tiers,
 * cache reads and price changes by date. Pass it to `aggregateUsage({ priceUsage: fromGenaiPrices() })`;
 * a model it does not know is priced from rxllm's table instead. Its data ships with the package
 * version you install (no network access), so `pricesAsOf` names the source rather than a date.
 *
 * @example
 * ```ts
 * import { aggregateUsage } from 'rxllm';
 * import { fromGenaiPrices } from 'rxllm/prices/genai-prices';
 * events$.pipe(aggregateUsage({ priceUsage: fromGenaiPrices() }));
 * ```
 */
export function fromGenaiPrices(): UsagePricer {
  return (usage, model, provider) => {
    if (model === undefined || model === '') return undefined;
    const id = provider === undefined ? undefined : (providerIds[provider] ?? provider);
    const known = id !== undefined && findProvider({ providerId: id }) !== undefined;
    const result = calcPrice(
      {
        // rxllm's inputTokens include cache reads, as genai-prices' input_tokens do.
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        ...(usage.cachedInputTokens !== undefined && { cache_read_tokens: usage.cachedInputTokens }),
      },
      model,
      known ? { providerId: id } : undefined,
    );
    if (result === null || result === undefined) return undefined;
    return { cost: result.total_price, pricesAsOf: '@pydantic/genai-prices' };
  };
}
