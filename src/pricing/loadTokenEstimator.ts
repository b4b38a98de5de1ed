/** Counts the tokens of a text. */
export type TokenEstimator = (text: string) => number;

let loaded: TokenEstimator | undefined;
let loading: Promise<TokenEstimator> | undefined;

// A specifier bundlers leave alone: gpt-tokenizer is an optional peer, so a bundle must build
// without it (and a browser bundle should not grow by its megabytes unless you pass it yourself).
const tokenizerModule = 'gpt-tokenizer/encoding/o200k_base';

/**
 * Loads rxllm's default token estimator on demand and resolves with it; later calls resolve with
 * the same function at once. It is `countTokens` of gpt-tokenizer's `o200k_base` encoding (exact
 * for GPT-4o and later, within a few tens of percent for other models), an optional peer:
 * `npm install gpt-tokenizer`. Without it the promise rejects with an {@link Error} whose `code`
 * is `'ERR_RXLLM_NO_TOKENIZER'`, saying so.
 *
 * The encoding takes a few hundred milliseconds and several megabytes to load, so rxllm never
 * loads it at startup: `aggregateUsage` calls this only when a stream ends without provider usage
 * (and counts with {@link approximateTokens} when gpt-tokenizer is not installed). Call it yourself
 * at startup to pay that cost up front instead. In a browser bundle pass your own counter to
 * `aggregateUsage({ estimate })` instead (`import { countTokens } from 'gpt-tokenizer'`).
 *
 * @example
 * ```ts
 * import { loadTokenEstimator } from 'rxllm';
 * const countTokens = await loadTokenEstimator();
 * countTokens('Hello, world!'); // 4
 * ```
 */
export function loadTokenEstimator(): Promise<TokenEstimator> {
  loading ??= (
    import(/* webpackIgnore: true */ /* @vite-ignore */ tokenizerModule) as Promise<{
      countTokens: TokenEstimator;
    }>
  ).then(
    (module) => (loaded = (text: string) => module.countTokens(text)),
    (error: unknown) => {
      loading = undefined;
      throw isModuleMissing(error)
        ? Object.assign(
            new Error(
              'rxllm: token estimates need gpt-tokenizer, an optional peer that is not installed: run `npm install gpt-tokenizer`, pass your own counter (aggregateUsage({ estimate: countTokens })), or rely on the default characters/4 estimate',
              { cause: error },
            ),
            { code: 'ERR_RXLLM_NO_TOKENIZER' },
          )
        : error;
    },
  );
  return loading;
}

/** The default estimator if it has finished loading (synchronous access for operators). */
export function loadedTokenEstimator(): TokenEstimator | undefined {
  return loaded;
}

/** Whether `error` is the module loader saying gpt-tokenizer is not installed. */
export function isModuleMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_RXLLM_NO_TOKENIZER' ||
    (error instanceof Error &&
      /Cannot find (module|package)|Failed to resolve module specifier/.test(error.message))
  );
}
