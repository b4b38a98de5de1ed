import { config as rxjsConfig, Observable, type OperatorFunction } from 'rxjs';
import type { RxllmEvent, StepStartEvent, Usage, UsageEvent } from '../base/events';
import { RxllmError } from '../base/errors';
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
import { TokenTally } from '../pricing/TokenTally';

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
   * a function is your own counter, called on chunks of the text (cut before a space that
   * follows a non-space) whose counts are summed; `false` reports only what providers report.
   * Default: `true`.
   */
  estimate?: boolean | TokenEstimator;
  /**
   * The prompt as text, for estimating input tokens when a provider reports none. Without it an
   * estimated usage has `inputTokens: 0`. Default: none.
   */
  prompt?: string;
  /**
   * Follow every usage with a `usage-total` event even on a single-track stream. Default:
   * `false` (a total is emitted once the stream has more than one track).
   */
  total?: boolean;
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
  /**
   * The final usage of every track that has usage, summed over its steps (one without `track`
   * on a single-track stream).
   */
  tracks: UsageEvent[];
  /** The final usage of every step of every track, each event naming its `track` and `step`. */
  steps: UsageEvent[];
  /** The sum over tracks (zeros when there is no usage at all). `cost` only when every track's is known. */
  total: Usage;
}

/** One step (provider request) of a track, as counted. */
interface StepCount {
  step: number;
  /** The model and provider to price it by: the step's request, then its `start` event. */
  model: string | undefined;
  provider: string | undefined;
  /** `null` once looked up and not found. */
  price: ModelPrice | null | undefined;
  /** The provider's last snapshot for this step, priced. */
  reported: Usage | undefined;
  /**
   * Output text that no reported snapshot covers (since the last one), counted as it arrives in
   * chunks of a few KB (see TokenTally): no delta is held past its chunk, and the count left for
   * the end is at most one chunk's.
   */
  uncounted: TokenTally;
  /** Events of this step have arrived: its request was made, so its prompt was billed. */
  active: boolean;
  /** Tool calls whose arguments arrived as deltas (their final `tool-call` is not counted again). */
  streamedCalls: Set<string> | undefined;
}

interface TrackCount {
  track: string | undefined;
  /** The track's steps in order; the last is the current one. */
  steps: StepCount[];
  /** A `step-start` was seen: usage events name their step. */
  stepped: boolean;
  /** An event other than a `step-start` arrived: the implicit step 0 is in use. */
  touched: boolean;
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
 * Every event passes through in order. Usage is counted per step (one provider request; see
 * "Steps and usage" in the README): a `usage` event is its step's latest snapshot, passed on with
 * `cost` added from the price table (a cost the provider reports is kept) and, once the track
 * has `step-start` events, the `step` it is for. The price is found by the step's model and
 * provider: its `start` event's, else its `step-start`'s (the model requested), else `model`
 * (see `findPrice`). A track's usage is the sum of its steps': a second request on a track (a
 * retry, a fallback, a tool loop) adds to the first instead of replacing it, and usage of an
 * attempt that a `reset` voided stays counted: its tokens were billed. When the stream has more
 * than one track (or `total: true`), each usage is followed by a `usage-total` event, the sum
 * over every track and step: metadata, not a track (an incoming `usage-total`, from an
 * aggregateUsage upstream, is dropped and replaced).
 *
 * Counting: output text (answer, reasoning, refusal, tool arguments) that no provider snapshot
 * covers is counted as it arrives, in chunks of about 1 KB cut at word boundaries (the counts of
 * such chunks add up to the count of the whole text; text with no space in 64 KB is cut there),
 * so no delta is held and no ending tokenizes more than one chunk: a million tokens never block
 * the event loop for more than a chunk's count. A snapshot starts the count of its step afresh.
 *
 * Completion: each step's text that no provider snapshot covers is counted, and its usage is emitted
 * again with `estimated: true` (then the total), before `complete`. A track cancelled before its
 * response (a race's or hedge's loser) is priced by the model its `step-start` requested, its
 * prompt estimated from `prompt`. Error: the final usage of every track
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
  const counting = estimate !== false;
  const fallbackModel = config.model;
  const priceUsage = config.priceUsage;
  /**
   * The estimator to count text with as it arrives: the user's, or the default once loaded (its
   * loading starts with the first text to count; until it is done, text waits). Undefined while
   * not known yet, so a tally holds its text.
   */
  const estimatorNow = (): TokenEstimator | undefined => {
    if (estimate === false) return undefined;
    if (estimate !== true) return estimate;
    if (tokenizerMissing) return approximateTokens;
    const loaded = loadedTokenEstimator();
    if (loaded === undefined) startLoading();
    return loaded;
  };
  if (priceUsage !== undefined && typeof priceUsage !== 'function')
    throw new TypeError(`aggregateUsage: priceUsage must be a function, got ${typeof priceUsage}`);

  return (source) =>
    new Observable<RxllmEvent>((subscriber) => {
      const tracks = new Map<string | undefined, TrackCount>();
      let last: TrackCount | undefined;
      let ended = false;

      const trackOf = (track: string | undefined): TrackCount => {
        if (last !== undefined && last.track === track) return last;
        let state = tracks.get(track);
        if (state === undefined) {
          state = {
            track,
            steps: [newStep(0, fallbackModel, undefined, estimatorNow)],
            stepped: false,
            touched: false,
          };
          tracks.set(track, state);
        }
        return (last = state);
      };

      /** The track's current step: the last one. */
      const currentOf = (track: string | undefined): StepCount => {
        const state = trackOf(track);
        state.touched = true;
        return state.steps[state.steps.length - 1]!;
      };

      /** Step `number` of a track, created in order if it does not exist yet. */
      const stepOf = (state: TrackCount, number: number): StepCount => {
        const steps = state.steps;
        let index = steps.length - 1;
        while (index >= 0 && steps[index]!.step > number) index -= 1;
        if (index >= 0 && steps[index]!.step === number) return steps[index]!;
        const before = steps[Math.max(index, 0)]!;
        const step = newStep(number, before.model, before.provider, estimatorNow);
        steps.splice(index + 1, 0, step);
        return step;
      };

      const priceOf = (step: StepCount): ModelPrice | undefined => {
        if (step.price === undefined)
          step.price =
            (ownRates && findPrice(ownRates, step.model, step.provider)) ??
            findPrice(table, step.model, step.provider) ??
            null;
        return step.price ?? undefined;
      };

      /** Adds `cost` and `pricesAsOf` to `usage` when its price is known. */
      const priceInto = (step: StepCount, usage: Usage): void => {
        const priced = priceUsage?.(usage, step.model, step.provider);
        if (priced !== undefined) {
          usage.cost = priced.cost;
          if (priced.pricesAsOf !== undefined) usage.pricesAsOf = priced.pricesAsOf;
          return;
        }
        const price = priceOf(step);
        if (price === undefined) return;
        usage.cost = costOf(usage, price);
        if (table.updated !== undefined) usage.pricesAsOf = table.updated;
      };

      /** What no provider snapshot of the step covers, counted by `estimator`; undefined when nothing is. */
      const estimateOf = (step: StepCount, estimator: TokenEstimator): Usage | undefined => {
        const outputTokens = step.uncounted.empty ? 0 : step.uncounted.total(estimator);
        const unreported = step.active && step.reported === undefined;
        const inputTokens = prompt !== undefined && unreported ? estimator(prompt) : 0;
        if (outputTokens === 0 && inputTokens === 0) return undefined;
        const usage: Usage = {
          inputTokens,
          outputTokens,
          totalTokens: inputTokens + outputTokens,
          estimated: true,
        };
        priceInto(step, usage);
        return usage;
      };

      const needsEstimate = (): boolean => {
        for (const state of tracks.values())
          for (const step of state.steps)
            if (!step.uncounted.empty || (prompt !== undefined && step.active && step.reported === undefined))
              return true;
        return false;
      };

      const showsTotal = (): boolean => tracks.size > 1 || config.total === true;

      const emitTotal = (usages: Iterable<Usage | undefined>): void => {
        const total = sum(usages);
        if (total !== undefined) subscriber.next({ type: 'usage-total', ...total });
      };

      const reportedUsages = (): (Usage | undefined)[] => {
        const usages: (Usage | undefined)[] = [];
        for (const state of tracks.values()) for (const step of state.steps) usages.push(step.reported);
        return usages;
      };

      const onUsage = (event: UsageEvent): void => {
        const state = trackOf(event.track);
        state.touched = true;
        const { type: _type, track: _track, seq, step: number, ...counts } = event;
        const step = number === undefined ? state.steps[state.steps.length - 1]! : stepOf(state, number);
        step.active = true;
        if (counts.cost === undefined) priceInto(step, counts);
        step.reported = counts;
        step.uncounted.clear();
        subscriber.next(toEvent(state.track, state.stepped ? step.step : undefined, counts, seq));
        if (showsTotal()) emitTotal(reportedUsages());
      };

      const onStepStart = (event: StepStartEvent): void => {
        const state = trackOf(event.track);
        const current = state.steps[state.steps.length - 1]!;
        // The implicit step 0 that nothing has used yet takes the first step-start's number.
        const fresh = !state.stepped && !state.touched;
        state.stepped = true;
        if (fresh) current.step = event.step;
        // Otherwise the next step, as the message fold numbers it (see StepStartEvent).
        const step = fresh
          ? current
          : newStep(Math.max(event.step, current.step + 1), undefined, undefined, estimatorNow);
        if (!fresh) state.steps.push(step);
        step.active = true;
        if (event.model !== undefined && (step.model === undefined || step.model === fallbackModel)) {
          step.model = event.model;
          step.price = undefined;
        }
        if (event.provider !== undefined && step.provider === undefined) {
          step.provider = event.provider;
          step.price = undefined;
        }
      };

      const finish = (
        outcome: UsageReport['outcome'],
        estimator: TokenEstimator | undefined,
        failure: { error: unknown } | undefined,
      ): void => {
        const finals: UsageEvent[] = [];
        const stepFinals: UsageEvent[] = [];
        const usages: (Usage | undefined)[] = [];
        let shown = false;
        try {
          for (const state of tracks.values()) {
            const trackUsages: (Usage | undefined)[] = [];
            for (const step of state.steps) {
              const extra = estimator === undefined ? undefined : estimateOf(step, estimator);
              const usage = add(step.reported, extra);
              trackUsages.push(usage);
              if (usage === undefined) continue;
              const event = toEvent(state.track, state.stepped ? step.step : undefined, usage);
              stepFinals.push(state.stepped ? event : toEvent(state.track, step.step, usage));
              if (outcome === 'error' || (outcome === 'complete' && extra !== undefined)) {
                if (!subscriber.closed) subscriber.next(event);
                shown = true;
              }
            }
            usages.push(...trackUsages);
            const trackTotal = sum(trackUsages);
            if (trackTotal !== undefined) finals.push(toEvent(state.track, undefined, trackTotal));
          }
        } catch (error) {
          // A throwing estimator is a failing user callback: report it.
          failure ??= { error };
        }
        if (shown && showsTotal() && !subscriber.closed) emitTotal(usages);
        if (onFinal !== undefined) {
          try {
            onFinal({ outcome, tracks: finals, steps: stepFinals, total: sum(usages) ?? zero() });
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
              const step = currentOf(event.track);
              step.active = true;
              if (counting) uncount(step, event.text);
              break;
            }
            case 'tool-call-delta': {
              const step = currentOf(event.track);
              step.active = true;
              if (counting) {
                uncount(step, event.argsText);
                (step.streamedCalls ??= new Set()).add(event.id);
              }
              break;
            }
            case 'tool-call': {
              const step = currentOf(event.track);
              step.active = true;
              if (counting && !step.streamedCalls?.has(event.id)) uncount(step, event.argsText);
              break;
            }
            case 'start': {
              const step = currentOf(event.track);
              step.active = true;
              if (event.model !== undefined) step.model = event.model;
              if (event.provider !== undefined) step.provider = event.provider;
              step.price = undefined;
              break;
            }
            case 'step-start':
              onStepStart(event);
              break;
            case 'usage':
              return onUsage(event);
            case 'usage-total':
              // An upstream aggregateUsage's total: this operator's own total replaces it.
              return;
            case 'reset':
              trackOf(event.track).touched = true;
              break;
            case 'progress':
            case 'comparison':
              break;
            case 'step-finish':
              trackOf(event.track).touched = true;
              break;
            default:
              currentOf(event.track).active = true;
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

/**
 * Starts loading the default estimator in the background (once), for tallies counting as text
 * arrives; a failure other than a missing module is reported by the stream's ending, which asks again.
 */
function startLoading(): void {
  if (backgroundLoad !== undefined) return;
  backgroundLoad = loadTokenEstimator().then(
    () => undefined,
    (error: unknown) => {
      if (isModuleMissing(error)) tokenizerMissing = true;
      else backgroundLoad = undefined;
    },
  );
}
let backgroundLoad: Promise<void> | undefined;

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

function newStep(
  step: number,
  model: string | undefined,
  provider: string | undefined,
  estimator: () => TokenEstimator | undefined,
): StepCount {
  return {
    step,
    model,
    provider,
    price: undefined,
    reported: undefined,
    uncounted: new TokenTally(estimator),
    active: false,
    streamedCalls: undefined,
  };
}

/** Counts a delta of the step that no provider snapshot covers yet. */
function uncount(step: StepCount, text: string): void {
  step.uncounted.add(text);
}

/**
 * US dollars: uncached input, cache reads, cache writes and output tokens at their prices per million, at the
 * rates of the highest tier whose threshold the input exceeds (a long prompt is billed whole at
 * the long-context rates).
 */
function costOf(usage: Usage, price: ModelPrice): number {
  let rates: Omit<ModelPrice, 'tiers'> = price;
  for (const tier of price.tiers ?? []) if (usage.inputTokens > tier.aboveInputTokens) rates = tier;
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  return (
    ((usage.inputTokens - cached - written) * rates.input +
      cached * (rates.cachedInput ?? rates.input) +
      written * (rates.cacheWrite ?? rates.input) +
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
  if (a.cacheWriteTokens !== undefined || b.cacheWriteTokens !== undefined)
    usage.cacheWriteTokens = (a.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0);
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

function zero(): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

function toEvent(
  track: string | undefined,
  step: number | undefined,
  usage: Usage,
  seq?: number,
): UsageEvent {
  const event: UsageEvent = { type: 'usage', ...usage };
  if (track !== undefined) event.track = track;
  if (step !== undefined) event.step = step;
  if (seq !== undefined) event.seq = seq;
  return event;
}
