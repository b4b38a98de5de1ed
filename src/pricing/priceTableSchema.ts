import { z } from 'zod';

const dollarsPerMillion = z.number().finite().nonnegative();

/** One model's list prices in US dollars per million tokens. */
export const modelPriceSchema = z.strictObject({
  input: dollarsPerMillion,
  /** A prompt-cache read; the `input` price when absent. */
  cachedInput: dollarsPerMillion.optional(),
  output: dollarsPerMillion,
});

/**
 * The shape of a price table (`src/pricing/prices.json`, or one you pass to `aggregateUsage`):
 * model prices in US dollars per million tokens keyed by model name (lower case, optionally
 * `provider/model` for a host-specific price), and the providers whose models cost nothing
 * (local servers).
 */
export const priceTableSchema = z.object({
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

/** One model's prices: US dollars per million input, cached input and output tokens. */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** A validated price table. */
export type PriceTable = z.infer<typeof priceTableSchema>;
