import { calcPrice } from '@pydantic/genai-prices';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { RxllmEvent, UsageEvent } from '../../src/base/events';
import { aggregateUsage, type AggregateUsageConfig } from '../../src/operators/aggregateUsage';
import { defaultPriceTable } from '../../src/pricing/defaultPriceTable';
import { fromGenaiPrices } from '../../src/prices/fromGenaiPrices';
import { ev } from '../../src/testing';

/** The priced usage of one response of `model` with these counts. */
async function priced(
  model: string,
  provider: string,
  counts: [number, number, { cachedInputTokens?: number; cacheWriteTokens?: number }?],
  config: AggregateUsageConfig = {},
): Promise<UsageEvent> {
  const events = await lastValueFrom(
    of<RxllmEvent[]>(
      ev.start({ provider, model }),
      ev.usage(counts[0], counts[1], undefined, counts[2]),
    ).pipe(aggregateUsage({ estimate: false, ...config }), toArray()),
  );
  return events.find((event): event is UsageEvent => event.type === 'usage')!;
}

describe('long-context tiers and where the prices come from', () => {
  it('prices claude-sonnet-4-5 at 1M in + 1M out at the long-context rates: $28.50 ($6 + $22.50), dated', async () => {
    const usage = await priced('claude-sonnet-4-5-20250929', 'anthropic', [1_000_000, 1_000_000]);
    expect(usage.cost).toBeCloseTo(28.5, 9);
    expect(usage.pricesAsOf).toBe(defaultPriceTable.updated);
    expect(usage.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('keeps the standard rates up to the threshold: 200K in + 1K out is $0.615', async () => {
    const usage = await priced('claude-sonnet-4-5', 'anthropic', [200_000, 1_000]);
    expect(usage.cost).toBeCloseTo((200_000 * 3 + 1_000 * 15) / 1e6, 12);
  });

  it('charges cache reads above the threshold at the tier rate too', async () => {
    const usage = await priced('claude-sonnet-4-5', 'anthropic', [
      300_000,
      0,
      { cachedInputTokens: 100_000 },
    ]);
    expect(usage.cost).toBeCloseTo((200_000 * 6 + 100_000 * 0.6) / 1e6, 12);
  });

  it('gemini-2.5-pro above 200K input: $2.50 / $15', async () => {
    const usage = await priced('gemini-2.5-pro', 'google', [1_000_000, 1_000_000]);
    expect(usage.cost).toBeCloseTo(17.5, 9);
  });

  it('prices from @pydantic/genai-prices when asked, agreeing with the table on the long-context tier, dated by the day priced', async () => {
    const usage = await priced('claude-sonnet-4-5', 'anthropic', [1_000_000, 1_000_000], {
      priceUsage: fromGenaiPrices({ now: () => new Date('2026-03-01T12:00:00Z') }),
    });
    expect(usage.cost).toBeCloseTo(28.5, 9);
    expect(usage.pricesAsOf).toBe('2026-03-01');
  });

  const table = defaultPriceTable.models['claude-sonnet-4-5']!;
  const longTier = table.tiers![0]!;

  it("charges cache writes at the table's cacheWrite rate: 100K written + 50K read + 50K in + 10K out", async () => {
    const usage = await priced('claude-sonnet-4-5', 'anthropic', [
      200_000,
      10_000,
      { cachedInputTokens: 50_000, cacheWriteTokens: 100_000 },
    ]);
    // From prices.json: $3.75 per million written, $0.30 read, $3 in, $15 out.
    expect(table.cacheWrite).toBeGreaterThan(table.input);
    const expected =
      (50_000 * table.input +
        50_000 * table.cachedInput! +
        100_000 * table.cacheWrite! +
        10_000 * table.output) /
      1e6;
    expect(usage.cost).toBeCloseTo(expected, 12);
    expect(usage.cost).toBeCloseTo(0.69, 12); // $0.15 + $0.015 + $0.375 + $0.15
    expect(usage.pricesAsOf).toBe(defaultPriceTable.updated);
  });

  it('charges cache writes at the long-context tier rate above the threshold, as genai-prices does', async () => {
    const counts: [number, number, { cacheWriteTokens: number }] = [
      1_000_000,
      0,
      { cacheWriteTokens: 100_000 },
    ];
    const usage = await priced('claude-sonnet-4-5', 'anthropic', counts);
    expect(usage.cost).toBeCloseTo((900_000 * longTier.input + 100_000 * longTier.cacheWrite!) / 1e6, 12);
    const byGenaiPrices = calcPrice(
      { input_tokens: 1_000_000, output_tokens: 0, cache_write_tokens: 100_000 },
      'claude-sonnet-4-5',
      { providerId: 'anthropic' },
    );
    expect(usage.cost).toBeCloseTo(byGenaiPrices!.total_price, 12);
    const viaAdapter = await priced('claude-sonnet-4-5', 'anthropic', counts, {
      priceUsage: fromGenaiPrices(),
    });
    expect(viaAdapter.cost).toBeCloseTo(6.15, 12);
  });

  it('falls back to the table for a model genai-prices does not know (a local one: free)', async () => {
    const usage = await priced('my-finetune-7b', 'ollama', [1_000, 1_000], { priceUsage: fromGenaiPrices() });
    expect(usage.cost).toBe(0);
    expect(usage.pricesAsOf).toBe(defaultPriceTable.updated);
  });
});
