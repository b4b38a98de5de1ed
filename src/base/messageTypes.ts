// What a stream folds into: the shapes of `Message` and the values it holds. This file imports
// nothing, so that `RxllmError` (whose `partial` is a Message) and the events (whose `error` is an
// RxllmError) build on it without a circle. The fold that builds a Message is MessageAccumulator (message.ts).

/** Token counts. Snapshots are cumulative: a later usage event replaces an earlier one. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the provider's prompt cache (part of `inputTokens`). */
  cachedInputTokens?: number;
  /**
   * Input tokens written to the provider's prompt cache (part of `inputTokens`, apart from
   * `cachedInputTokens`): Anthropic's `cache_creation_input_tokens`, Bedrock's
   * `cacheWriteInputTokens`. Present when the provider reported writes; priced at the price
   * table's `cacheWrite` rate.
   */
  cacheWriteTokens?: number;
  /** Output tokens spent on reasoning (part of `outputTokens`). */
  reasoningTokens?: number;
  /** Cost in US dollars, from a price table or as the provider reports it. */
  cost?: number;
  /** When the prices behind `cost` were last checked (the price table's `updated` date). */
  pricesAsOf?: string;
  /** True when the counts were estimated by a tokenizer because the provider reported none. */
  estimated?: boolean;
}

/** Why generation stopped, normalized across providers. */
export type FinishReason =
  'stop' | 'length' | 'tool-calls' | 'content-filter' | 'refusal' | 'error' | 'cancelled' | 'other';

/** One step of a track: one provider request, its model, usage and finish reason. */
export interface StepState {
  /** 0, 1, 2, … within the track. */
  readonly step: number;
  /** The model: as requested (`step-start`), then as the provider named it (`start`). */
  readonly model?: string;
  readonly provider?: string;
  /** The step's latest usage snapshot (the latest wins within a step). */
  readonly usage: Usage | null;
  readonly finishReason: FinishReason | null;
}

/** A finished (or, on a failed stream, partial) tool call. */
export interface ToolCall {
  id: string;
  name: string;
  /** Parsed arguments; on an incomplete call, the best partial parse (`{}` if none). */
  args: unknown;
  argsText: string;
  /** The arguments were cut off before they were complete JSON. */
  incomplete?: boolean;
  /** What the tool returned, when a tool loop ran it. */
  result?: unknown;
  /** The tool's error as sent back to the model, when a tool loop ran it and it failed. */
  error?: string;
  durationMs?: number;
}

/** One generated choice (OpenAI `n > 1`). */
export interface ChoiceMessage {
  index: number;
  text: string;
  reasoning: string;
  refusal: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
}

/** The whole response as `collect` returns it, and as a failed stream's `partial`. */
export interface Message {
  id?: string;
  provider?: string;
  model?: string;
  /** Choice 0's answer text. */
  text: string;
  /** Choice 0's visible reasoning ('' when none, or when the reasoning was encrypted). */
  reasoning: string;
  /** Choice 0's refusal text ('' when the model did not refuse). */
  refusal: string;
  toolCalls: ToolCall[];
  usage: Usage | null;
  finishReason: FinishReason | null;
  /** Every choice, present only when the stream carried more than one. */
  choices?: ChoiceMessage[];
  /**
   * The steps (provider requests) of this message's track, present only when there was more
   * than one (a retry, a fallback on the same track, a tool loop). `usage` is their sum.
   */
  steps?: StepState[];
  /**
   * Every track's own message, present only when the stream carried more than one track
   * (`mergeTracks`). The message itself is then the answer: the first track, in order of
   * appearance, that shows content and was neither cancelled nor failed (else the first with
   * content, else the first).
   */
  tracks?: Record<string, Message>;
  /**
   * The usage of every track and step together, present when the stream carried more than one
   * track or a `usage-total` event (`aggregateUsage`), which then gives it.
   */
  totalUsage?: Usage;
}
