// Entry point `rxllm/schema`: zod schemas of rxllm's data, for validating it in your own code.
// zod (^3.25 or ^4) is an optional peer of rxllm, needed only by this entry: nothing else in rxllm
// loads it (the `rxllm` decoder and `aggregateUsage` check their input by hand, to the same rules).
export { rxllmErrorSchema, rxllmEventSchema } from './wire/rxllm/schema';
export type { RxllmWireEvent } from './wire/rxllm/schema';
export { modelPriceSchema, priceTableSchema } from './pricing/priceTableSchema';
