import prices from '../../src/pricing/prices.json';
import { defaultPriceTable } from '../../src/pricing/defaultPriceTable';
import { findPrice } from '../../src/pricing/findPrice';
import type { ModelPrice } from '../../src/pricing/priceTable';
import { priceTableSchema } from '../../src/pricing/priceTableSchema';

/** Checks the default table's price of each model, naming the model when one differs. */
function expectPrices(expected: Record<string, ModelPrice>): void {
  for (const [model, price] of Object.entries(expected))
    expect({ model, price: findPrice(defaultPriceTable, model) }).toEqual({ model, price });
}

describe('findPrice', () => {
  it('finds a model by its exact name', () => {
    expectPrices({ 'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 } });
  });

  it('prefers an exact dated entry over the undated one', () => {
    // gpt-4o-2024-05-13 was priced higher than later gpt-4o snapshots.
    expectPrices({ 'gpt-4o-2024-05-13': { input: 5, output: 15 } });
  });

  it('drops a dated suffix in either spelling', () => {
    expectPrices({
      'o3-mini-2025-01-31': { input: 1.1, cachedInput: 0.55, output: 4.4 },
      'claude-3-5-haiku-20241022': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
      'claude-3-5-haiku@20241022': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
    });
  });

  it('takes the longest key the name starts with, at a separator', () => {
    expectPrices({
      'claude-sonnet-4-5-20250929': {
        input: 3,
        cachedInput: 0.3,
        cacheWrite: 3.75,
        output: 15,
        tiers: [{ aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, cacheWrite: 7.5, output: 22.5 }],
      },
      'claude-opus-4-1-20250805': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
      'claude-opus-4-5-20251101': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
      'claude-3-7-sonnet-latest': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
      'gpt-5-mini-2025-08-07': { input: 0.25, cachedInput: 0.025, output: 2 },
    });
  });

  it('never matches a key that is only a prefix of a different model name', () => {
    const table = priceTableSchema.parse({ models: { 'gpt-4': { input: 30, output: 60 } } });
    expect(findPrice(table, 'gpt-4o')).toBeUndefined();
    expect(findPrice(table, 'gpt-4.1')).toBeUndefined();
    expect(findPrice(table, 'gpt-4-0613')).toEqual({ input: 30, output: 60 });
  });

  it('ignores case and an org or router prefix', () => {
    expectPrices({
      'openai/GPT-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
      'meta-llama/Llama-3.3-70B-Instruct-Turbo': { input: 0.88, output: 0.88 },
      'anthropic/claude-sonnet-4.5': {
        input: 3,
        cachedInput: 0.3,
        cacheWrite: 3.75,
        output: 15,
        tiers: [{ aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, cacheWrite: 7.5, output: 22.5 }],
      },
    });
  });

  it('prefers a provider-specific entry', () => {
    const table = priceTableSchema.parse({
      models: { 'llama-3.3-70b': { input: 1, output: 1 }, 'groq/llama-3.3-70b': { input: 0.5, output: 0.5 } },
    });
    expect(findPrice(table, 'llama-3.3-70b', 'groq')).toEqual({ input: 0.5, output: 0.5 });
    expect(findPrice(table, 'llama-3.3-70b', 'together')).toEqual({ input: 1, output: 1 });
  });

  it('prices every model of a local provider at zero', () => {
    expect(findPrice(defaultPriceTable, 'llama3.2:3b', 'ollama')).toEqual({
      input: 0,
      cachedInput: 0,
      output: 0,
    });
    expect(findPrice(defaultPriceTable, 'gpt-oss-20b', 'llama.cpp')).toEqual({
      input: 0,
      cachedInput: 0,
      output: 0,
    });
  });

  it('returns undefined for an unknown or missing model', () => {
    expect(findPrice(defaultPriceTable, 'my-private-model')).toBeUndefined();
    expect(findPrice(defaultPriceTable, undefined)).toBeUndefined();
  });
});

describe('defaultPriceTable', () => {
  it('is the validated prices.json, covering the common models of each family', () => {
    expect(priceTableSchema.safeParse(prices).success).toBe(true);
    for (const model of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'o3',
      'o4-mini',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'claude-3-5-sonnet-20241022',
      'claude-3-7-sonnet-20250219',
      'claude-sonnet-4-20250514',
      'claude-sonnet-4-5-20250929',
      'claude-3-5-haiku-20241022',
      'claude-haiku-4-5-20251001',
      'claude-opus-4-20250514',
      'claude-opus-4-1-20250805',
      'llama-3.3-70b-versatile',
      'qwen-plus',
      'deepseek-chat',
      'mistral-large-latest',
    ])
      expect([model, findPrice(defaultPriceTable, model)]).toEqual([
        model,
        expect.objectContaining({ input: expect.any(Number) }),
      ]);
  });

  it('rejects a table with a negative price, naming the entry', () => {
    const result = priceTableSchema.safeParse({ models: { 'gpt-x': { input: -1, output: 1 } } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['models', 'gpt-x', 'input']);
  });
});
