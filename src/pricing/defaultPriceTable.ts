import prices from './prices.json';
import { priceTableSchema, type PriceTable } from './priceTableSchema';

/**
 * The list prices rxllm ships with (`src/pricing/prices.json`): OpenAI, Anthropic and Google
 * models, and open models (Llama, Qwen, DeepSeek, Mistral) as common hosts sell them; local
 * servers (Ollama, llama.cpp, LM Studio, vLLM) cost 0. Validated by {@link priceTableSchema} when
 * the module loads, so a broken edit to the data fails at once rather than pricing wrongly.
 *
 * Prices change: check `updated`, and extend or override entries with `aggregateUsage({ pricing })`.
 */
export const defaultPriceTable: PriceTable = priceTableSchema.parse(prices);
