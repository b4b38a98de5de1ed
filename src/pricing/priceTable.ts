/**
 * Rates from a number of input tokens on: a long-context tier. When a request's input exceeds
 * `aboveInputTokens`, all of its tokens are charged at the tier's rates (as Anthropic and Google
 * bill prompts above 200K tokens).
 */
export interface PriceTier {
  /** The tier applies to a request whose input tokens exceed this. */
  aboveInputTokens: number;
  input: number;
  cachedInput?: number;
  cacheWrite?: number;
  output: number;
}

/** One model's list prices in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  /** A prompt-cache read; the `input` price when absent. */
  cachedInput?: number;
  /**
   * A prompt-cache write (Anthropic: 1.25 × input for 5 minutes), charged for `cacheWriteTokens`;
   * the `input` price when absent.
   */
  cacheWrite?: number;
  output: number;
  /** Higher rates for long prompts, in increasing order of `aboveInputTokens`. */
  tiers?: PriceTier[];
}

/**
 * A price table (`src/pricing/prices.json`, or one you pass to `aggregateUsage`): model prices in
 * US dollars per million tokens keyed by model name (lower case, optionally `provider/model` for
 * a host-specific price), and the providers whose models cost nothing (local servers).
 */
export interface PriceTable {
  $comment?: string;
  /** When the prices were last checked (ISO date); shown as `pricesAsOf` on priced usage. */
  updated?: string;
  /** Where the prices come from. */
  sources?: Record<string, string>;
  /** `start` event providers whose models cost 0 (`ollama`, `llama.cpp`, ...). */
  freeProviders: string[];
  models: Record<string, ModelPrice>;
}
