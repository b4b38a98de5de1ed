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
  counts: [number, number, { cachedInputTokens?: number }?],
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

  it('prices from @pydantic/genai-prices when asked, agreeing with the table on the long-context tier', async () => {
    const usage = await priced('claude-sonnet-4-5', 'anthropic', [1_000_000, 1_000_000], {
      priceUsage: fromGenaiPrices(),
    });
    expect(usage.cost).toBeCloseTo(28.5, 9);
    expect(usage.pricesAsOf).toBe('@pydantic/genai-prices');
  });

  it('falls back to the table for a model genai-prices does not know (a local one: free)', async () => {
    const usage = await priced('my-finetune-7b', 'ollama', [1_000, 1_000], { priceUsage: fromGenaiPrices() });
    expect(usage.cost).toBe(0);
    expect(usage.pricesAsOf).toBe(defaultPriceTable.updated);
  });
});
