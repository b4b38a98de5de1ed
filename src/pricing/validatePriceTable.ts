import type { PriceTable } from './priceTable';

/**
 * Checks a price table given at run time (`aggregateUsage({ priceTable, pricing })`) by hand, as
 * `priceTableSchema` (zod, in `rxllm/schema`) would, so pricing never loads zod; the built-in table
 * is checked against the schema by its test instead of at import. Returns the table with its
 * defaults, or the issues as `path: message` strings.
 */
export function validatePriceTable(value: unknown): { table: PriceTable } | { issues: string[] } {
  const issues: string[] = [];
  if (!isObject(value)) return { issues: ['expected an object'] };
  for (const key of ['$comment', 'updated'] as const)
    if (value[key] !== undefined && typeof value[key] !== 'string') issues.push(`${key}: expected string`);
  if (value.sources !== undefined && !isObject(value.sources)) issues.push('sources: expected object');
  const free = value.freeProviders ?? [];
  if (!Array.isArray(free) || free.some((name) => typeof name !== 'string'))
    issues.push('freeProviders: expected an array of strings');
  if (!isObject(value.models)) issues.push('models: expected object');
  else
    for (const [name, price] of Object.entries(value.models)) {
      issues.push(
        ...validateModelPrice(price).map((issue) => `models.${name}.${issue}`.replace('.(root)', '')),
      );
      if (name !== name.toLowerCase())
        issues.push(`models.${name}: model names in a price table are lower case`);
    }
  if (issues.length > 0) return { issues };
  return { table: { ...(value as object), freeProviders: free } as PriceTable };
}

/** Issues of one model's price, each `field: message`, `(root): message` for the whole (empty when it is valid). */
export function validateModelPrice(value: unknown): string[] {
  if (!isObject(value)) return ['(root): expected object'];
  const issues = rates(value, '');
  if (value.tiers !== undefined) {
    if (!Array.isArray(value.tiers)) issues.push('tiers: expected array');
    else
      value.tiers.forEach((tier: unknown, i) => {
        if (!isObject(tier)) return issues.push(`tiers.${i}: expected object`);
        if (!isRate(tier.aboveInputTokens))
          issues.push(`tiers.${i}.aboveInputTokens: expected a number >= 0`);
        issues.push(...rates(tier, `tiers.${i}.`, ['aboveInputTokens']));
      });
  }
  return issues;
}

const rateFields = ['input', 'cachedInput', 'cacheWrite', 'output'];

function rates(value: Record<string, unknown>, prefix: string, extra: string[] = []): string[] {
  const issues: string[] = [];
  for (const field of rateFields) {
    const rate = value[field];
    const required = field === 'input' || field === 'output';
    if (rate === undefined) {
      if (required) issues.push(`${prefix}${field}: required`);
    } else if (!isRate(rate)) issues.push(`${prefix}${field}: expected a number >= 0, got ${String(rate)}`);
  }
  const allowed = new Set([...rateFields, ...extra, ...(prefix === '' ? ['tiers'] : [])]);
  for (const key of Object.keys(value)) if (!allowed.has(key)) issues.push(`${prefix}${key}: unknown field`);
  return issues;
}

function isRate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
