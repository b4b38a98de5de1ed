import { z } from 'zod/v4';
import type { ModelPrice, PriceTable } from './priceTable';

const dollarsPerMillion = z.number().finite().nonnegative();

const rates = {
  input: dollarsPerMillion,
  /** A prompt-cache read; the `input` price when absent. */
  cachedInput: dollarsPerMillion.optional(),
  /** A prompt-cache write. */
  cacheWrite: dollarsPerMillion.optional(),
  output: dollarsPerMillion,
};

/**
 * One model's list prices in US dollars per million tokens, with long-context tiers. zod is an
 * optional peer of rxllm: this schema (in `rxllm/schema`) is for checking tables in your own
 * tests; `aggregateUsage` checks the tables it is given without zod.
 */
export const modelPriceSchema: z.ZodType<ModelPrice> = z.strictObject({
  ...rates,
  tiers: z.array(z.strictObject({ aboveInputTokens: dollarsPerMillion, ...rates })).optional(),
});

/**
 * The shape of a price table (`src/pricing/prices.json`, or one you pass to `aggregateUsage`):
 * model prices in US dollars per million tokens keyed by model name (lower case, optionally
 * `provider/model` for a host-specific price), and the providers whose models cost nothing
 * (local servers).
 */
export const priceTableSchema: z.ZodType<PriceTable, unknown> = z.object({
  $comment: z.string().optional(),
  /** When the prices were last checked (ISO date). */
  updated: z.string().optional(),
  /** Where the prices come from. */
  sources: z.record(z.string(), z.string()).optional(),
  /** `start` event providers whose models cost 0 (`ollama`, `llama.cpp`, ...). */
  freeProviders: z.array(z.string()).default([]),
  models: z.record(z.string(), modelPriceSchema).superRefine((models, context) => {
    // Lookups lower-case the model name, so an upper-case key could never match.
    for (const name of Object.keys(models))
      if (name !== name.toLowerCase())
        context.addIssue({
          code: 'custom',
          path: [name],
          message: 'model names in a price table are lower case',
        });
  }),
});
