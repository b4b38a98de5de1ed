// Entry point `rxllm/prices/genai-prices`: aggregateUsage's prices from @pydantic/genai-prices.
export { fromGenaiPrices } from './fromGenaiPrices';
