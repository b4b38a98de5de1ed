import prices from './prices.json';
import type { PriceTable } from './priceTable';

/**
 * The list prices rxllm ships with (`src/pricing/prices.json`): OpenAI, Anthropic and Google
 * models (with their long-context tiers), and open models (Llama, Qwen, DeepSeek, Mistral) as
 * common hosts sell them; local servers (Ollama, llama.cpp, LM Studio, vLLM) cost 0. Checked
 * against `priceTableSchema` by its test rather than when the module loads, so pricing loads no
 * zod; `updated` is the date the prices were checked, shown as `pricesAsOf` on priced usage.
 *
 * Prices change: check `updated`, extend or override entries with `aggregateUsage({ pricing })`,
 * or price from a maintained source with `rxllm/prices/genai-prices`.
 */
export const defaultPriceTable: PriceTable = prices as PriceTable;
