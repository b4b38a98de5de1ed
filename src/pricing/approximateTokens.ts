/**
 * A cheap token count without a tokenizer: one token per four characters (UTF-16 code units),
 * rounded up. English prose with OpenAI's and Anthropic's tokenizers runs 3.5 to 4.5 characters a
 * token; code, non-Latin scripts and numbers run fewer, so treat it as a rough figure.
 * `aggregateUsage` counts with it when gpt-tokenizer is not installed (the usage is
 * `estimated: true` either way).
 *
 * @example
 * ```ts
 * import { approximateTokens } from 'rxllm';
 * approximateTokens('Hello, world!'); // 4
 * ```
 */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
