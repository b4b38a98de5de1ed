import type {
  FinishEvent,
  FinishReason,
  ReasoningEvent,
  ResetEvent,
  StartEvent,
  StepStartEvent,
  TextEvent,
  ToolCallDeltaEvent,
  ToolCallEvent,
  ToolCallStartEvent,
  Usage,
  UsageEvent,
} from '../base/events';

/**
 * Small builders for rxllm events, for tests and marble legends:
 * `{ a: ev.text('Hel'), b: ev.text('lo'), c: ev.finish() }`.
 * Every builder takes an optional `track` last.
 */
export const ev = {
  start: (fields: Omit<StartEvent, 'type'> = {}): StartEvent => ({ type: 'start', ...fields }),
  text: (text: string, track?: string): TextEvent => withTrack<TextEvent>({ type: 'text', text }, track),
  reasoning: (text: string, track?: string): ReasoningEvent =>
    withTrack<ReasoningEvent>({ type: 'reasoning', text }, track),
  toolCallStart: (id: string, name: string, index = 0, track?: string): ToolCallStartEvent =>
    withTrack<ToolCallStartEvent>({ type: 'tool-call-start', id, name, index }, track),
  toolCallDelta: (id: string, argsText: string, index = 0, track?: string): ToolCallDeltaEvent =>
    withTrack<ToolCallDeltaEvent>({ type: 'tool-call-delta', id, index, argsText }, track),
  toolCall: (id: string, name: string, args: unknown, index = 0, track?: string): ToolCallEvent =>
    withTrack<ToolCallEvent>(
      { type: 'tool-call', id, name, index, args, argsText: JSON.stringify(args) },
      track,
    ),
  usage: (
    inputTokens: number,
    outputTokens: number,
    track?: string,
    extra: Partial<Usage> = {},
  ): UsageEvent =>
    withTrack<UsageEvent>(
      { type: 'usage', inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, ...extra },
      track,
    ),
  finish: (reason: FinishReason = 'stop', track?: string): FinishEvent =>
    withTrack<FinishEvent>({ type: 'finish', reason }, track),
  reset: (reason: string, track?: string): ResetEvent =>
    withTrack<ResetEvent>({ type: 'reset', reason }, track),
  stepStart: (
    step: number,
    fields: Pick<StepStartEvent, 'model' | 'provider'> = {},
    track?: string,
  ): StepStartEvent => withTrack<StepStartEvent>({ type: 'step-start', step, ...fields }, track),
};

function withTrack<T extends { track?: string }>(event: T, track: string | undefined): T {
  if (track !== undefined) event.track = track;
  return event;
}
