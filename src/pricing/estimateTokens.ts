import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Counts the tokens of `text` with OpenAI's `o200k_base` encoding (GPT-4o and later, through
 * gpt-tokenizer): exact for those models, an estimate for others (Claude, Llama and Qwen
 * tokenizers differ by a few percent to a few tens of percent). This is the estimator
 * `aggregateUsage` uses by default where a provider reports no usage.
 *
 * Importing it loads the encoding (a few hundred milliseconds, several megabytes), so nothing in
 * rxllm imports this module statically: {@link loadTokenEstimator} imports it on demand, and
 * `aggregateUsage` does so only when a stream ends without reported usage.
 */
export function estimateTokens(text: string): number {
  return countTokens(text);
}
