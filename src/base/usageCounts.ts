/**
 * The token counts a usage can carry, in the order a usage lists them (the first three are never
 * absent). One list for the fold, which copies and sums them, and the decoders' guard, which
 * checks them.
 */
export const usageCounts = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'reasoningTokens',
] as const;
