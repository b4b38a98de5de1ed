import type { RxllmError } from './errors';
import type { FinishReason, Usage } from './messageTypes';

// `Usage` and `FinishReason` are defined with `Message` (which errors' `partial` is), below the
// events, so that the events, the errors and the message do not import each other in a circle.
export type { FinishReason, Usage } from './messageTypes';

/**
 * The one event vocabulary every rxllm source emits and every operator and sink reads.
 *
 * Discriminated on `type` (kebab-case throughout). Events are plain objects so that they can be
 * logged, compared in marble tests and sent over the wire in the `rxllm` dialect unchanged
 * (except `error`, whose error is serialized by its encoder).
 */
export type RxllmEvent = ContentEvent | MetaEvent;

/**
 * The events that make up a model's response, as sources emit them and as a message is folded
 * from them (see "Steps and usage" in the README). An exhaustive `switch` over these needs no
 * case for pipeline metadata: narrow with {@link isMetaEvent} first.
 */
export type ContentEvent =
  | StepStartEvent
  | StepFinishEvent
  | StartEvent
  | TextEvent
  | ReasoningEvent
  | RefusalEvent
  | ToolCallStartEvent
  | ToolCallDeltaEvent
  | ToolCallEvent
  | ToolResultEvent
  | UsageEvent
  | FinishEvent
  | ResetEvent
  | ErrorEvent;

/**
 * Pipeline metadata: what operators add about a stream (`progress`, the `comparison` of
 * mergeTracks' `compare`, the `usage-total` of `aggregateUsage`), never part of any track's
 * message. Encoders and sinks handle each one deliberately.
 */
export type MetaEvent = ProgressEvent | ComparisonEvent | UsageTotalEvent;

/** The `type` discriminant of every rxllm event. */
export type RxllmEventType = RxllmEvent['type'];

/** Fields any event may carry. */
export interface EventMeta {
  /**
   * Which stream this event came from (`local`, `cloud`, ...). Absent on a single-track stream;
   * `mergeTracks` stamps it.
   */
  track?: string;
  /** Monotonic position within the track, stamped by sources (0, 1, 2, ...). */
  seq?: number;
}

/**
 * Fields of events that belong to one generated choice. OpenAI's `n > 1` streams several
 * choices at once; their texts must never be mixed, so every content event says which choice
 * it belongs to. Absent means choice 0, which is all that almost every stream has.
 */
export interface ChoiceMeta {
  choice?: number;
}

/** The response began: identifiers and the model as the provider reports them. */
export interface StartEvent extends EventMeta {
  type: 'start';
  /** The provider's id for this response (`chatcmpl-…`, `msg_…`, `resp_…`). */
  id?: string;
  /** Which dialect or service produced the stream (`openai`, `anthropic`, `ollama`, ...). */
  provider?: string;
  model?: string;
  /** Creation time in milliseconds since the epoch, when the provider reports one. */
  created?: number;
}

/** A delta of visible answer text. Never empty. */
export interface TextEvent extends EventMeta, ChoiceMeta {
  type: 'text';
  text: string;
}

/**
 * A delta of the model's reasoning ("thinking"). `text` is the visible reasoning delta; it may be
 * empty only when the event carries a `signature` (Anthropic's integrity signature for a thinking
 * block) or `redacted` (encrypted reasoning that can be passed back to the provider but not read).
 */
export interface ReasoningEvent extends EventMeta, ChoiceMeta {
  type: 'reasoning';
  text: string;
  signature?: string;
  redacted?: string;
  /**
   * The provider's id of the reasoning item this closes (OpenAI Responses' `rs_…`), sent with
   * `redacted`: a tool loop sends the item back by it.
   */
  itemId?: string;
}

/** A delta of a refusal (OpenAI's `delta.refusal`): the model declined, and this says why. Never empty. */
export interface RefusalEvent extends EventMeta, ChoiceMeta {
  type: 'refusal';
  text: string;
}

/** A tool call began. `index` orders parallel calls within one response. */
export interface ToolCallStartEvent extends EventMeta, ChoiceMeta {
  type: 'tool-call-start';
  /** The provider's call id; synthesized (`call_<n>`) where the provider gives none (Ollama). */
  id: string;
  name: string;
  index: number;
}

/** A fragment of a tool call's arguments as raw, partial JSON text. */
export interface ToolCallDeltaEvent extends EventMeta, ChoiceMeta {
  type: 'tool-call-delta';
  id: string;
  index: number;
  argsText: string;
}

/** A tool call is complete: its arguments parsed. */
export interface ToolCallEvent extends EventMeta, ChoiceMeta {
  type: 'tool-call';
  id: string;
  name: string;
  index: number;
  /** The parsed arguments (`{}` for a call with no arguments). */
  args: unknown;
  /** The arguments exactly as streamed. */
  argsText: string;
  /**
   * The stream ended (for example at `max_tokens`) before the arguments were complete JSON:
   * `args` is the best partial parse of `argsText`, and the call should not be executed blindly.
   */
  incomplete?: boolean;
}

/**
 * A tool ran (in a tool loop, `runTools`): its result, or the error that is sent back to the model
 * in its place. Content, not metadata: the result is part of the conversation the next step sends.
 * A streaming tool's progress values come first as `preliminary` results; the last one is final.
 */
export interface ToolResultEvent extends EventMeta {
  type: 'tool-result';
  /** The id of the tool call this answers. */
  id: string;
  name: string;
  /** What the tool returned (absent when it failed). */
  result?: unknown;
  /** Why the call failed (invalid arguments, a throw, a timeout, a denial): the text the model is sent. */
  error?: string;
  /** The call was not approved (`needsApproval`); `error` says so to the model. */
  denied?: boolean;
  /** A progress value of a streaming tool, not its result. */
  preliminary?: boolean;
  /** From the start of `execute` (after approval) to this result. */
  durationMs: number;
}

/**
 * A usage snapshot for one step (one provider request) of the track (or, without `track`, of the
 * stream). Cumulative within its step: a later snapshot of the same step replaces an earlier one;
 * a track's usage is the sum of its steps'.
 */
export interface UsageEvent extends EventMeta, Usage {
  type: 'usage';
  /** The step this usage is for; absent: the track's current step (the last `step-start`). */
  step?: number;
}

/**
 * Generation of a choice ended. `rawReason` keeps the provider's own word for it: `null` when the
 * stream ended properly without one, and the reason was inferred.
 */
export interface FinishEvent extends EventMeta, ChoiceMeta {
  type: 'finish';
  reason: FinishReason;
  rawReason?: string | null;
}

/**
 * Take-back: everything this track showed so far is void (a retry or a fallback restarts it,
 * a handoff replaces a draft). A UI clears the track's message when it sees one.
 */
export interface ResetEvent extends EventMeta {
  type: 'reset';
  reason: string;
}

/**
 * An error carried in-band, where a stream must outlive one track's failure (mergeTracks'
 * `interleave`). Elsewhere errors travel on RxJS's error channel as an {@link RxllmError}.
 */
export interface ErrorEvent extends EventMeta {
  type: 'error';
  error: RxllmError;
}

/** Streaming progress of a track, from the `progress` operator. */
export interface ProgressEvent extends EventMeta {
  type: 'progress';
  /** Text, reasoning, refusal and tool-argument deltas received so far (a delta is usually one token). */
  tokens: number;
  /** Characters (Unicode code points) in those deltas so far. */
  characters: number;
  /** Milliseconds since subscription. */
  elapsedMs: number;
  /** Milliseconds from subscription to the first content delta; absent until it arrives. */
  timeToFirstTokenMs?: number;
  /**
   * Deltas per second after the first: `(tokens - 1) * 1000 / (now - first delta)`; 0 until a
   * second delta arrives. Falls while the stream stalls, as a rate so far should.
   */
  tokensPerSecond: number;
}

/** Per-track figures in a {@link ComparisonEvent}. */
export interface TrackComparison {
  track: string;
  timeToFirstTokenMs?: number;
  totalMs: number;
  tokensPerSecond: number;
  tokens: number;
  text: string;
  usage?: Usage;
  cost?: number;
  finishReason?: FinishReason;
  error?: string;
}

/** The outcome of mergeTracks' `compare` strategy: how the tracks did, and how far they agree. */
export interface ComparisonEvent extends EventMeta {
  type: 'comparison';
  tracks: TrackComparison[];
  /** Pairwise text similarity in [0, 1], keyed `a|b` by track names in order. */
  similarity: Record<string, number>;
  /** The name of the similarity measure, documented with mergeTracks. */
  similarityMeasure: string;
}

// ---- Steps: model-call boundaries ----------------------------------------------------------

/**
 * A step began: one provider request inside a track, numbered 0, 1, 2, … per track. Sources that
 * know the request emit it first, before the response arrives, naming the requested model (so a
 * track cancelled before its `start` can still be priced). Operators that make a new request on
 * the same track (`retryStream`, `deadline`'s fallback, a tool loop) start the next step. Events
 * up to the next `step-start` of the track belong to this step; a track that announced none is
 * in step 0. Every `step-start` opens a step: numbered `step`, or one past the track's last step
 * when `step` is not beyond it (two sources concatenated on one track both say 0: the second
 * request is step 1).
 */
export interface StepStartEvent extends EventMeta {
  type: 'step-start';
  step: number;
  /** The model as requested (the `start` event then has the provider's own name for it). */
  model?: string;
  provider?: string;
}

/**
 * A step ended, with its final usage and finish reason when known. Optional: a `step-start` or
 * the end of the stream ends a step as well. A tool loop emits it to close each model call.
 */
export interface StepFinishEvent extends EventMeta {
  type: 'step-finish';
  step: number;
  usage?: Usage;
  finishReason?: FinishReason;
}

// ---- Pipeline metadata ---------------------------------------------------------------------

/**
 * The usage of the whole stream, summed over every track and step (from `aggregateUsage`). Not
 * a track: stores show it as the message's `usage`. `estimated` when any part is; `cost` only
 * when every part's is known.
 */
export interface UsageTotalEvent extends EventMeta, Usage {
  type: 'usage-total';
}

const metaTypes: ReadonlySet<string> = new Set<MetaEvent['type']>(['progress', 'comparison', 'usage-total']);

/**
 * Whether an event is pipeline metadata rather than content: `if (isMetaEvent(event)) return;`
 * leaves `event` narrowed to {@link ContentEvent} for an exhaustive `switch`.
 */
export function isMetaEvent(event: RxllmEvent): event is MetaEvent {
  return metaTypes.has(event.type);
}

/** Narrows an event by its type: `events$.pipe(filter(isEventType('text')))`. */
export function isEventType<T extends RxllmEventType>(
  type: T,
): (event: RxllmEvent) => event is Extract<RxllmEvent, { type: T }> {
  return (event): event is Extract<RxllmEvent, { type: T }> => event.type === type;
}
