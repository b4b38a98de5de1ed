// Entry point `rxllm/prices/genai-prices`: aggregateUsage's prices from @pydantic/genai-prices.
export { fromGenaiPrices } from './fromGenaiPrices';
export type { FromGenaiPricesConfig } from './fromGenaiPrices';
