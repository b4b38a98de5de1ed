/** Counts the tokens of a text. */
export type TokenEstimator = (text: string) => number;

let loaded: TokenEstimator | undefined;
let loading: Promise<TokenEstimator> | undefined;

/**
 * Loads rxllm's default token estimator (gpt-tokenizer's `o200k_base` encoding) on demand and
 * resolves with it; later calls resolve with the same function at once.
 *
 * The encoding takes a few hundred milliseconds and several megabytes to load, so rxllm never
 * loads it at startup: `aggregateUsage` calls this only when a stream ends without provider usage.
 * Call it yourself at startup to pay that cost up front instead.
 *
 * @example
 * ```ts
 * import { loadTokenEstimator } from 'rxllm';
 * const countTokens = await loadTokenEstimator();
 * countTokens('Hello, world!'); // 4
 * ```
 */
export function loadTokenEstimator(): Promise<TokenEstimator> {
  loading ??= import('./estimateTokens').then(
    (module) => (loaded = module.estimateTokens),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** The default estimator if it has finished loading (synchronous access for operators). */
export function loadedTokenEstimator(): TokenEstimator | undefined {
  return loaded;
}
