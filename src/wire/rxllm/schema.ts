import { z } from 'zod/v4';
import { rxllmErrorCodes } from '../../base/errors';

const meta = { track: z.string().optional(), seq: z.number().int().nonnegative().optional() };
const choice = { choice: z.number().int().nonnegative().optional() };

const usageFields = {
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  totalTokens: z.number().nonnegative(),
  cachedInputTokens: z.number().nonnegative().optional(),
  cacheWriteTokens: z.number().nonnegative().optional(),
  reasoningTokens: z.number().nonnegative().optional(),
  cost: z.number().nonnegative().optional(),
  pricesAsOf: z.string().optional(),
  estimated: z.boolean().optional(),
};

const finishReason = z.enum([
  'stop',
  'length',
  'tool-calls',
  'content-filter',
  'refusal',
  'error',
  'cancelled',
  'other',
]);

/** An {@link RxllmError} as the `rxllm` dialect carries it. */
export const rxllmErrorSchema = z.object({
  code: z.enum(rxllmErrorCodes),
  message: z.string(),
  retryable: z.boolean().optional(),
  status: z.number().int().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
  dialect: z.string().optional(),
  providerCode: z.string().optional(),
  requestId: z.string().optional(),
  providerMessage: z.string().optional(),
  limit: z.string().optional(),
});

const trackComparison = z.object({
  track: z.string(),
  timeToFirstTokenMs: z.number().optional(),
  totalMs: z.number(),
  tokensPerSecond: z.number(),
  tokens: z.number(),
  text: z.string(),
  usage: z.object(usageFields).optional(),
  cost: z.number().optional(),
  finishReason: finishReason.optional(),
  error: z.string().optional(),
});

/**
 * The zod schema of one event of rxllm's own JSON dialect: what `toSSE({ dialect: 'rxllm' })`
 * writes and `fromSSE(input, { dialect: 'rxllm' })` reads. An error event carries its error as
 * {@link rxllmErrorSchema}; `fatal: true` marks the error that ended the stream.
 */
export const rxllmEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    ...meta,
    id: z.string().optional(),
    provider: z.string().optional(),
    model: z.string().optional(),
    created: z.number().optional(),
  }),
  z.object({ type: z.literal('text'), ...meta, ...choice, text: z.string().min(1) }),
  z.object({
    type: z.literal('reasoning'),
    ...meta,
    ...choice,
    text: z.string(),
    signature: z.string().optional(),
    redacted: z.string().optional(),
    itemId: z.string().optional(),
  }),
  z.object({ type: z.literal('refusal'), ...meta, ...choice, text: z.string().min(1) }),
  z.object({
    type: z.literal('tool-call-start'),
    ...meta,
    ...choice,
    id: z.string(),
    name: z.string(),
    index: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('tool-call-delta'),
    ...meta,
    ...choice,
    id: z.string(),
    index: z.number().int().nonnegative(),
    argsText: z.string(),
  }),
  z.object({
    type: z.literal('tool-call'),
    ...meta,
    ...choice,
    id: z.string(),
    name: z.string(),
    index: z.number().int().nonnegative(),
    args: z.unknown(),
    argsText: z.string(),
    incomplete: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('tool-result'),
    ...meta,
    id: z.string(),
    name: z.string(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    denied: z.boolean().optional(),
    preliminary: z.boolean().optional(),
    durationMs: z.number().nonnegative(),
  }),
  z.object({
    type: z.literal('usage'),
    ...meta,
    ...usageFields,
    step: z.number().int().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('step-start'),
    ...meta,
    step: z.number().int().nonnegative(),
    model: z.string().optional(),
    provider: z.string().optional(),
  }),
  z.object({
    type: z.literal('step-finish'),
    ...meta,
    step: z.number().int().nonnegative(),
    usage: z.object(usageFields).optional(),
    finishReason: finishReason.optional(),
  }),
  z.object({ type: z.literal('usage-total'), ...meta, ...usageFields }),
  z.object({
    type: z.literal('finish'),
    ...meta,
    ...choice,
    reason: finishReason,
    rawReason: z.string().nullable().optional(),
  }),
  z.object({ type: z.literal('reset'), ...meta, reason: z.string() }),
  z.object({ type: z.literal('error'), ...meta, error: rxllmErrorSchema, fatal: z.boolean().optional() }),
  z.object({
    type: z.literal('progress'),
    ...meta,
    tokens: z.number(),
    characters: z.number(),
    elapsedMs: z.number(),
    timeToFirstTokenMs: z.number().optional(),
    tokensPerSecond: z.number(),
  }),
  z.object({
    type: z.literal('comparison'),
    ...meta,
    tracks: z.array(trackComparison),
    similarity: z.record(z.string(), z.number()),
    similarityMeasure: z.string(),
  }),
]);

/** One event of the `rxllm` dialect as it appears on the wire. */
export type RxllmWireEvent = z.infer<typeof rxllmEventSchema>;
