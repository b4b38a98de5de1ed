/** Counts the tokens of a text. */
export type TokenEstimator = (text: string) => number;

let loaded: TokenEstimator | undefined;
let loading: Promise<TokenEstimator> | undefined;

// Specifiers bundlers leave alone: gpt-tokenizer is an optional peer, so a bundle must build
// without it (and a browser bundle should not grow by its megabytes unless you pass it yourself).
// The encoding is built from its parts rather than taken from `gpt-tokenizer/encoding/o200k_base`,
// so that its merge cache is rxllm's own (see tokenizerMergeCacheSize), not a global setting of
// the gpt-tokenizer an app may use itself.
const encodingModule = 'gpt-tokenizer/GptEncoding';
const ranksModule = 'gpt-tokenizer/bpeRanks/o200k_base';

/**
 * Pieces of text whose tokens the estimator remembers. gpt-tokenizer's default, 100,000, keeps
 * every piece of unfamiliar text (names, code, other languages; random letters at worst) alive
 * long enough for the young-generation GC to copy it: at a million random-letter tokens that made
 * pauses of 20–50 ms and a 3× slower count (`npm run bench:usage-block`). Text a cache helps,
 * prose, repeats its common words within a thousand pieces.
 */
export const tokenizerMergeCacheSize = 1024;

interface GptEncodingModule {
  GptEncoding: {
    getEncodingApi(
      name: 'o200k_base',
      ranks: () => unknown,
    ): { countTokens(text: string): number; setMergeCacheSize(size: number): void };
  };
}

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
  loading ??= Promise.all([
    import(/* webpackIgnore: true */ /* @vite-ignore */ encodingModule) as Promise<GptEncodingModule>,
    import(/* webpackIgnore: true */ /* @vite-ignore */ ranksModule) as Promise<{ default: unknown }>,
  ]).then(
    ([{ GptEncoding }, ranks]) => {
      const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks.default);
      encoding.setMergeCacheSize(tokenizerMergeCacheSize);
      return (loaded = (text: string) => encoding.countTokens(text));
    },
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
