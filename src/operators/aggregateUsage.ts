import { config as rxjsConfig, Observable, type OperatorFunction } from 'rxjs';
import type { RxllmEvent, Usage, UsageEvent } from '../events';
import { RxllmError } from '../errors';
import { defaultPriceTable } from '../pricing/defaultPriceTable';
import { findPrice } from '../pricing/findPrice';
import { approximateTokens } from '../pricing/approximateTokens';
import {
  isModuleMissing,
  loadedTokenEstimator,
  loadTokenEstimator,
  type TokenEstimator,
} from '../pricing/loadTokenEstimator';
import type { ModelPrice, PriceTable } from '../pricing/priceTable';
import { validateModelPrice, validatePriceTable } from '../pricing/validatePriceTable';

/** Options of {@link aggregateUsage}. */
export interface AggregateUsageConfig {
  /**
   * Prices to add to the table or to override in it, in US dollars per million tokens:
   * `{ 'ft:gpt-4o-mini:acme': { input: 0.3, cachedInput: 0.15, output: 1.2 } }`. Keys are model
   * names (or `provider/model`), matched as the table's are. Default: none.
   */
  pricing?: Record<string, ModelPrice>;
  /** The table to price from, replacing rxllm's own. Default: `defaultPriceTable`. */
  priceTable?: PriceTable;
  /**
   * Prices usage before the table is asked: `fromGenaiPrices()` (`rxllm/prices/genai-prices`)
   * prices from the maintained `@pydantic/genai-prices` data; a model it does not know falls back
   * to the table. Default: none.
   */
  priceUsage?: UsagePricer;
  /** The model to price a track by when its `start` event names none. Default: none. */
  model?: string;
  /**
   * Where a provider reports no usage (many local servers, OpenAI without `include_usage`, a
   * cancelled or failed stream), count tokens instead and mark the usage `estimated: true`.
   * `true` uses gpt-tokenizer's `o200k_base` encoding (an optional peer), loaded only when a
   * stream first needs it, or where it is not installed `approximateTokens` (characters / 4);
   * a function is your own counter; `false` reports only what providers report. Default: `true`.
   */
  estimate?: boolean | TokenEstimator;
  /**
   * The prompt as text, for estimating input tokens when a provider reports none. Without it an
   * estimated usage has `inputTokens: 0`. Default: none.
   */
  prompt?: string;
  /** Emit the total after every per-track usage even on a single-track stream. Default: `false`. */
  total?: boolean;
  /** The `track` that marks the total usage event. Default: `'total'`. */
  totalTrack?: string;
  /**
   * Called exactly once with the final usage when the stream completes, fails or is
   * unsubscribed. Default: none.
   */
  onFinal?: (report: UsageReport) => void;
}

/**
 * Prices one usage snapshot of a model: its cost in US dollars and when the prices were checked,
 * or `undefined` when it does not know the model.
 */
export type UsagePricer = (
  usage: Usage,
  model: string | undefined,
  provider: string | undefined,
) => { cost: number; pricesAsOf?: string } | undefined;

/** The final usage of a stream, as {@link AggregateUsageConfig.onFinal} receives it. */
export interface UsageReport {
  /** How the stream ended. */
  outcome: 'complete' | 'error' | 'unsubscribe';
  /** The final usage event of every track that has usage (one without `track` on a single-track stream). */
  tracks: UsageEvent[];
  /** The sum over tracks (zeros when there is no usage at all). `cost` only when every track's is known. */
  total: Usage;
}

interface TrackState {
  track: string | undefined;
  model: string | undefined;
  provider: string | undefined;
  /** `null` once looked up and not found. */
  price: ModelPrice | null | undefined;
  /** The provider's last snapshot for the current attempt, priced. */
  reported: Usage | undefined;
  /** Reported usage of attempts a `reset` ended. */
  banked: Usage | undefined;
  /**
   * Output text that no reported snapshot covers: that of ended attempts, then from
   * `attemptStart` on that of the current one. Deltas are joined only to be counted at the end:
   * appending to a string per token would keep a rope node per token alive for the whole stream
   * (see `MessageAccumulator`). Empty deltas are not kept, so the text is empty when this is.
   */
  uncounted: string[];
  /** Where the current attempt's deltas begin in `uncounted`. */
  attemptStart: number;
  /** Attempts that ended without any reported usage (each is charged an estimated prompt). */
  unreportedAttempts: number;
  /** Events of the current attempt have arrived. */
  active: boolean;
  /** Tool calls whose arguments arrived as deltas (their final `tool-call` is not counted again). */
  streamedCalls: Set<string> | undefined;
}

/**
 * Keeps a running account of token usage and cost per track and in total, and guarantees a
 * final figure however the stream ends.
 *
 * Think of it as a meter on the stream: providers' usage snapshots pass through priced, a total
 * follows them, and text that no provider counted is counted by a tokenizer at the end.
 *
 * ```text
 * source:   -a-b-c-d----e----|
 * expected: -a-b-c-(DS)-(ET)-|
 * ```
 *
 * Every event passes through in order. A `usage` event is replaced by the track's cumulative
 * usage with `cost` added from the price table (a cost the provider reports is kept). The price
 * is found by the model and provider of the track's `start` event (see `findPrice`). When the
 * stream has more than one track (or `total: true`), each per-track usage is followed by the total:
 * a usage event whose `track` is `totalTrack` (`'total'`), summing every track (an incoming total,
 * from an aggregateUsage upstream, is dropped rather than counted as a track). Usage of an attempt
 * that a `reset` voided stays counted: its tokens were billed.
 *
 * Completion: output text (answer, reasoning, refusal, tool arguments) that no provider snapshot
 * covers is counted with the estimator, and the track's usage is emitted again with
 * `estimated: true` (then the total), before `complete`. Error: the final usage of every track
 * (estimated where needed) and the total are emitted, then the error passes through unchanged.
 * Unsubscribe: nothing more is emitted. In all three cases `onFinal` is called exactly once with
 * the final figures; if it throws on completion the stream fails with that error instead (on an
 * error the source's error wins; on unsubscribe it goes to RxJS's `config.onUnhandledError`).
 * The first time a process needs the default estimator it is loaded, which makes that one ending
 * asynchronous.
 *
 * @example
 * ```ts
 * import { aggregateUsage, fromOllama, fromOpenAI, mergeTracks } from 'rxllm';
 * fromOllama({ model: 'llama3.2', messages })
 *   .pipe(
 *     mergeTracks({ cloud: fromOpenAI(openai, { model: 'gpt-4o-mini', messages }) }, { strategy: 'interleave' }),
 *     aggregateUsage({
 *       pricing: { 'gpt-4o-mini': { input: 0.12, output: 0.5 } }, // your negotiated rate
 *       onFinal: ({ total }) => console.log(`${total.totalTokens} tokens, $${total.cost?.toFixed(6)}`),
 *     }),
 *   )
 *   .subscribe(render);
 * ```
 */
export function aggregateUsage(config: AggregateUsageConfig = {}): OperatorFunction<RxllmEvent, RxllmEvent> {
  const table = priceTableOf(config);
  // The user's own rates win over every table entry, however the model is spelled: a negotiated
  // `gpt-4o` price must apply to the `gpt-4o-2024-08-06` that the provider reports.
  const ownRates: PriceTable | undefined =
    config.pricing === undefined ? undefined : { freeProviders: [], models: ownModels(table, config) };
  const estimate = config.estimate ?? true;
  if (typeof estimate !== 'boolean' && typeof estimate !== 'function')
    throw new TypeError(`aggregateUsage: estimate must be a boolean or a function, got ${String(estimate)}`);
  const prompt = config.prompt;
  if (prompt !== undefined && typeof prompt !== 'string')
    throw new TypeError(`aggregateUsage: prompt must be a string, got ${typeof prompt}`);
  const onFinal = config.onFinal;
  if (onFinal !== undefined && typeof onFinal !== 'function')
    throw new TypeError(`aggregateUsage: onFinal must be a function, got ${typeof onFinal}`);
  const totalTrack = config.totalTrack ?? 'total';
  if (typeof totalTrack !== 'string' || totalTrack === '')
    throw new TypeError(`aggregateUsage: totalTrack must be a non-empty string, got ${String(totalTrack)}`);
  const counting = estimate !== false;
  const fallbackModel = config.model;
  const priceUsage = config.priceUsage;
  if (priceUsage !== undefined && typeof priceUsage !== 'function')
    throw new TypeError(`aggregateUsage: priceUsage must be a function, got ${typeof priceUsage}`);

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const tracks = new Map<string | undefined, TrackState>();
      let last: TrackState | undefined;
      let ended = false;

      const stateOf = (track: string | undefined): TrackState => {
        if (last !== undefined && last.track === track) return last;
        let state = tracks.get(track);
        if (state === undefined) {
          state = newTrack(track, fallbackModel);
          tracks.set(track, state);
        }
        return (last = state);
      };

      const priceOf = (state: TrackState): ModelPrice | undefined => {
        if (state.price === undefined)
          state.price =
            (ownRates && findPrice(ownRates, state.model, state.provider)) ??
            findPrice(table, state.model, state.provider) ??
            null;
        return state.price ?? undefined;
      };

      /** Adds `cost` and `pricesAsOf` to `usage` when its price is known. */
      const priceInto = (state: TrackState, usage: Usage): void => {
        const priced = priceUsage?.(usage, state.model, state.provider);
        if (priced !== undefined) {
          usage.cost = priced.cost;
          if (priced.pricesAsOf !== undefined) usage.pricesAsOf = priced.pricesAsOf;
          return;
        }
        const price = priceOf(state);
        if (price === undefined) return;
        usage.cost = costOf(usage, price);
        if (table.updated !== undefined) usage.pricesAsOf = table.updated;
      };

      /** What no provider snapshot covers, counted by `estimator`; undefined when nothing is uncounted. */
      const estimateOf = (state: TrackState, estimator: TokenEstimator): Usage | undefined => {
        const text = state.uncounted.join('');
        const attempts = unreportedAttempts(state);
        const outputTokens = text === '' ? 0 : estimator(text);
        const inputTokens = prompt !== undefined && attempts > 0 ? attempts * estimator(prompt) : 0;
        if (outputTokens === 0 && inputTokens === 0) return undefined;
        const usage: Usage = {
          inputTokens,
          outputTokens,
          totalTokens: inputTokens + outputTokens,
          estimated: true,
        };
        priceInto(state, usage);
        return usage;
      };

      const needsEstimate = (): boolean => {
        for (const state of tracks.values())
          if (state.uncounted.length > 0 || (prompt !== undefined && unreportedAttempts(state) > 0))
            return true;
        return false;
      };

      const showsTotal = (): boolean => tracks.size > 1 || config.total === true;

      const emitTotal = (usages: Iterable<Usage | undefined>): void => {
        const total = sum(usages);
        if (total !== undefined) subscriber.next({ type: 'usage', track: totalTrack, ...total });
      };

      const onUsage = (event: UsageEvent): void => {
        const state = stateOf(event.track);
        state.active = true;
        const { type: _type, track: _track, seq, ...counts } = event;
        if (counts.cost === undefined) priceInto(state, counts);
        state.reported = counts;
        state.uncounted.length = state.attemptStart;
        subscriber.next(toEvent(state.track, add(state.banked, counts)!, seq));
        if (showsTotal()) emitTotal(reportedUsages(tracks));
      };

      const finish = (
        outcome: UsageReport['outcome'],
        estimator: TokenEstimator | undefined,
        failure: { error: unknown } | undefined,
      ): void => {
        const states = [...tracks.values()];
        let extras: (Usage | undefined)[] = [];
        if (estimator !== undefined) {
          try {
            extras = states.map((state) => estimateOf(state, estimator));
          } catch (error) {
            // A throwing estimator is a failing user callback: report it, keep the reported figures.
            extras = [];
            failure ??= { error };
          }
        }
        const finals: UsageEvent[] = [];
        const usages: (Usage | undefined)[] = [];
        let shown = false;
        states.forEach((state, i) => {
          const usage = add(add(state.banked, state.reported), extras[i]);
          usages.push(usage);
          if (usage === undefined) return;
          const event = toEvent(state.track, usage);
          finals.push(event);
          if (outcome === 'error' || (outcome === 'complete' && extras[i] !== undefined)) {
            if (!subscriber.closed) subscriber.next(event);
            shown = true;
          }
        });
        if (shown && showsTotal() && !subscriber.closed) emitTotal(usages);
        if (onFinal !== undefined) {
          try {
            onFinal({ outcome, tracks: finals, total: sum(usages) ?? zero() });
          } catch (error) {
            if (outcome === 'unsubscribe') rxjsConfig.onUnhandledError?.(error);
            else failure ??= { error };
          }
        }
        if (outcome === 'unsubscribe' || subscriber.closed) return;
        if (failure !== undefined) subscriber.error(failure.error);
        else subscriber.complete();
      };

      const end = (outcome: UsageReport['outcome'], failure?: { error: unknown }): void => {
        if (ended) return;
        ended = true;
        if (estimate === false) return finish(outcome, undefined, failure);
        if (estimate !== true) return finish(outcome, estimate, failure);
        const loaded = tokenizerMissing ? approximateTokens : loadedTokenEstimator();
        if (loaded !== undefined || !needsEstimate()) return finish(outcome, loaded, failure);
        // The first stream in this process that needs the tokenizer waits for it to load.
        loadTokenEstimator().then(
          (estimator) => finish(outcome, estimator, failure),
          (error: unknown) => {
            // gpt-tokenizer is an optional peer: without it, count characters / 4.
            if (isModuleMissing(error)) {
              tokenizerMissing = true;
              return finish(outcome, approximateTokens, failure);
            }
            finish(outcome, undefined, failure ?? { error: estimatorLoadError(error) });
          },
        );
      };

      const subscription = source.subscribe({
        next: (event) => {
          switch (event.type) {
            case 'text':
            case 'reasoning':
            case 'refusal': {
              const state = stateOf(event.track);
              state.active = true;
              if (counting) uncount(state, event.text);
              break;
            }
            case 'tool-call-delta': {
              const state = stateOf(event.track);
              state.active = true;
              if (counting) {
                uncount(state, event.argsText);
                (state.streamedCalls ??= new Set()).add(event.id);
              }
              break;
            }
            case 'tool-call': {
              const state = stateOf(event.track);
              state.active = true;
              if (counting && !state.streamedCalls?.has(event.id)) uncount(state, event.argsText);
              break;
            }
            case 'start': {
              const state = stateOf(event.track);
              state.active = true;
              if (event.model !== undefined) state.model = event.model;
              if (event.provider !== undefined) state.provider = event.provider;
              state.price = undefined;
              break;
            }
            case 'usage':
              // An upstream aggregateUsage's total: this operator's own total replaces it.
              if (event.track === totalTrack) return;
              return onUsage(event);
            case 'reset': {
              const state = stateOf(event.track);
              // The voided attempt was billed all the same: bank what it used.
              if (state.active && state.reported === undefined) state.unreportedAttempts++;
              state.banked = add(state.banked, state.reported);
              state.attemptStart = state.uncounted.length;
              state.reported = undefined;
              state.streamedCalls = undefined;
              state.active = false;
              break;
            }
            case 'progress':
            case 'comparison':
              break;
            default:
              stateOf(event.track).active = true;
          }
          subscriber.next(event);
        },
        error: (error: unknown) => end('error', { error }),
        complete: () => end('complete'),
      });

      return () => {
        subscription.unsubscribe();
        end('unsubscribe');
      };
    });
}

/** gpt-tokenizer was found missing once: later estimates count characters at once. */
let tokenizerMissing = false;

function priceTableOf(config: AggregateUsageConfig): PriceTable {
  let table = defaultPriceTable;
  if (config.priceTable !== undefined) {
    const checked = validatePriceTable(config.priceTable);
    if ('issues' in checked)
      throw new TypeError(`aggregateUsage: priceTable is invalid: ${checked.issues.join('; ')}`);
    table = checked.table;
  }
  if (config.pricing === undefined) return table;
  if (typeof config.pricing !== 'object' || config.pricing === null)
    throw new TypeError(
      `aggregateUsage: pricing must be an object of model prices, got ${String(config.pricing)}`,
    );
  const models = { ...table.models };
  for (const [name, price] of Object.entries(config.pricing)) {
    const issues = validateModelPrice(price);
    if (issues.length > 0)
      throw new TypeError(
        `aggregateUsage: pricing[${JSON.stringify(name)}] is invalid: ${issues.join('; ')}`,
      );
    models[name.trim().toLowerCase()] = price;
  }
  return { ...table, models };
}

/** The entries of `table` that came from `config.pricing`. */
function ownModels(table: PriceTable, config: AggregateUsageConfig): PriceTable['models'] {
  const models: PriceTable['models'] = {};
  for (const name of Object.keys(config.pricing ?? {})) {
    const key = name.trim().toLowerCase();
    models[key] = table.models[key]!;
  }
  return models;
}

function estimatorLoadError(cause: unknown): RxllmError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RxllmError(
    `aggregateUsage: could not load the default token estimator (gpt-tokenizer): ${reason}; pass estimate: false or your own estimator`,
    { code: 'provider', cause },
  );
}

function newTrack(track: string | undefined, model: string | undefined): TrackState {
  return {
    track,
    model,
    provider: undefined,
    price: undefined,
    reported: undefined,
    banked: undefined,
    uncounted: [],
    attemptStart: 0,
    unreportedAttempts: 0,
    active: false,
    streamedCalls: undefined,
  };
}

/** Attempts without any reported usage, the current one included: each is charged an estimated prompt. */
function unreportedAttempts(state: TrackState): number {
  return state.unreportedAttempts + (state.active && state.reported === undefined ? 1 : 0);
}

/** Keeps a delta of the current attempt for counting at the end. */
function uncount(state: TrackState, text: string): void {
  if (text !== '') state.uncounted.push(text);
}

/**
 * US dollars: uncached input, cached input and output tokens at their prices per million, at the
 * rates of the highest tier whose threshold the input exceeds (a long prompt is billed whole at
 * the long-context rates).
 */
function costOf(usage: Usage, price: ModelPrice): number {
  let rates: Omit<ModelPrice, 'tiers'> = price;
  for (const tier of price.tiers ?? []) if (usage.inputTokens > tier.aboveInputTokens) rates = tier;
  const cached = usage.cachedInputTokens ?? 0;
  return (
    ((usage.inputTokens - cached) * rates.input +
      cached * (rates.cachedInput ?? rates.input) +
      usage.outputTokens * rates.output) /
    1_000_000
  );
}

function add(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const usage: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  if (a.cachedInputTokens !== undefined || b.cachedInputTokens !== undefined)
    usage.cachedInputTokens = (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0);
  if (a.reasoningTokens !== undefined || b.reasoningTokens !== undefined)
    usage.reasoningTokens = (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  // A sum with an unknown part is unknown: a partial cost would read as the whole bill.
  if (a.cost !== undefined && b.cost !== undefined) {
    usage.cost = a.cost + b.cost;
    const asOf = a.pricesAsOf ?? b.pricesAsOf;
    if (asOf !== undefined) usage.pricesAsOf = asOf;
  }
  if (a.estimated === true || b.estimated === true) usage.estimated = true;
  return usage;
}

function sum(usages: Iterable<Usage | undefined>): Usage | undefined {
  let total: Usage | undefined;
  for (const usage of usages) total = add(total, usage);
  return total;
}

function reportedUsages(tracks: Map<string | undefined, TrackState>): (Usage | undefined)[] {
  const usages: (Usage | undefined)[] = [];
  for (const state of tracks.values()) usages.push(add(state.banked, state.reported));
  return usages;
}

function zero(): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

function toEvent(track: string | undefined, usage: Usage, seq?: number): UsageEvent {
  const event: UsageEvent = { type: 'usage', ...usage };
  if (track !== undefined) event.track = track;
  if (seq !== undefined) event.seq = seq;
  return event;
}
