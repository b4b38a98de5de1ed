import type {
  FinishEvent,
  FinishReason,
  ReasoningEvent,
  StartEvent,
  TextEvent,
  ToolCallDeltaEvent,
  ToolCallEvent,
  ToolCallStartEvent,
  UsageEvent,
} from '../../base/events';
import { RxllmError } from '../../base/errors';
import { inBandError as mapInBandError } from '../../base/httpError';
import { isObject } from '../json';
import { malformed } from '../malformed';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { StreamedArgs } from './streamedArgs';
import { textEvent } from '../textEvent';

const dialect = 'gemini';

type Json = Record<string, unknown>;

/** A function call whose arguments Vertex AI streams (`partialArgs`, `willContinue`). */
interface StreamingCall {
  id: string;
  name: string;
  index: number;
  args: StreamedArgs;
}

/** Per candidate: how many tool calls it made, whether it finished, the call still streaming. */
interface CandidateState {
  calls: number;
  finished: boolean;
  streaming: StreamingCall | undefined;
}

/**
 * Decodes Google Gemini's `streamGenerateContent?alt=sse` stream: each SSE `data` is a
 * `GenerateContentResponse`.
 *
 * `candidates[].content.parts[].text` is answer text, or reasoning when the part says
 * `thought: true`; a `functionCall` part is a complete tool call (Gemini sends no call id before
 * its newest models, so `call_<n>` is made up, numbered across the stream). `usageMetadata`
 * comes on many chunks and the latest wins. The stream has no terminal message: it ends at EOF,
 * so a `finishReason` (or a blocked prompt) is what makes it complete.
 */
export function createGeminiDecoder(emit: EmitEvent, options?: DecoderOptions): Decoder {
  // A Map, not an array: the index comes from the wire, and an array would be filled up to it.
  const candidates = new Map<number, CandidateState>();
  let started = false;
  let finished = false;
  let failed = false;
  let calls = 0;
  // The last usage sent, so that the copy Gemini repeats on every chunk is sent once.
  let lastInput = -1;
  let lastOutput = -1;
  let lastTotal = -1;

  const candidateState = (index: number): CandidateState => {
    let candidate = candidates.get(index);
    if (candidate === undefined) {
      candidate = { calls: 0, finished: false, streaming: undefined };
      candidates.set(index, candidate);
    }
    return candidate;
  };

  const finish = (k: number, rawReason: string, reason: FinishReason): void => {
    const candidate = candidateState(k);
    finished = true;
    if (candidate.finished) return;
    candidate.finished = true;
    const event: FinishEvent = { type: 'finish', reason, rawReason };
    if (k !== 0) event.choice = k;
    emit(event);
  };

  const functionCall = (data: string, k: number, call: unknown): void => {
    if (call === null || typeof call !== 'object')
      throw malformed(dialect, data, 'functionCall is not an object');
    const { name, args, id: givenId, partialArgs, willContinue } = call as Json;
    const candidate = candidateState(k);
    // Vertex AI's streamed arguments: the first part names the call and says more will come.
    if (candidate.streaming !== undefined || willContinue === true || partialArgs !== undefined) {
      streamedFunctionCall(data, k, candidate, call as Json);
      return;
    }
    if (typeof name !== 'string') throw malformed(dialect, data, 'functionCall.name is not a string');
    const index = candidate.calls++;
    const id = typeof givenId === 'string' && givenId !== '' ? givenId : `call_${calls}`;
    calls++;
    const value = args === undefined || args === null ? {} : args;
    const argsText = JSON.stringify(value);
    const start: ToolCallStartEvent = { type: 'tool-call-start', id, name, index };
    const delta: ToolCallDeltaEvent = { type: 'tool-call-delta', id, index, argsText };
    const done: ToolCallEvent = { type: 'tool-call', id, name, index, args: value, argsText };
    if (k !== 0) start.choice = delta.choice = done.choice = k;
    emit(start);
    emit(delta);
    emit(done);
  };

  /**
   * One part of a call whose arguments stream: `{name, willContinue: true}` starts it (the name
   * comes only there), parts with `partialArgs` add to it, and a part without `willContinue`
   * ends it (often an empty `functionCall: {}`, sometimes the last `partialArgs` part itself).
   */
  const streamedFunctionCall = (data: string, k: number, candidate: CandidateState, part: Json): void => {
    const { name, id: givenId, partialArgs, args } = part;
    let open = candidate.streaming;
    if (open !== undefined && typeof name === 'string' && name !== '') {
      // A new name while a call is open: the open one ended without saying so.
      completeStreamedCall(k, candidate);
      open = undefined;
    }
    if (open === undefined) {
      if (typeof name !== 'string' || name === '') {
        // The empty `functionCall: {}` that ends a call, arriving after it ended: nothing more.
        if (partialArgs === undefined && (args === undefined || args === null)) return;
        throw malformed(dialect, data, 'a streamed functionCall starts without a name');
      }
      const index = candidate.calls++;
      const id = typeof givenId === 'string' && givenId !== '' ? givenId : `call_${calls}`;
      calls++;
      open = { id, name, index, args: new StreamedArgs() };
      candidate.streaming = open;
      const start: ToolCallStartEvent = { type: 'tool-call-start', id, name, index };
      if (k !== 0) start.choice = k;
      emit(start);
    }
    if (partialArgs !== undefined && partialArgs !== null) {
      if (!Array.isArray(partialArgs))
        throw malformed(dialect, data, 'functionCall.partialArgs is not an array');
      for (let i = 0; i < partialArgs.length; i++) {
        const entry = partialArgs[i] as Json | null;
        if (entry === null || typeof entry !== 'object')
          throw malformed(dialect, data, 'a partialArgs entry is not an object');
        let added: string;
        try {
          added = open.args.add(entry);
        } catch (error) {
          throw malformed(dialect, data, (error as Error).message);
        }
        emitArgsDelta(k, open, added);
      }
    }
    if (part.willContinue !== true) completeStreamedCall(k, candidate);
  };

  const emitArgsDelta = (k: number, call: StreamingCall, argsText: string): void => {
    if (argsText === '') return;
    const delta: ToolCallDeltaEvent = { type: 'tool-call-delta', id: call.id, index: call.index, argsText };
    if (k !== 0) delta.choice = k;
    emit(delta);
  };

  /** Ends the candidate's streaming call; `cutOff` when the stream ended inside it. */
  const completeStreamedCall = (k: number, candidate: CandidateState, cutOff = false): void => {
    const call = candidate.streaming;
    if (call === undefined) return;
    candidate.streaming = undefined;
    emitArgsDelta(k, call, call.args.close());
    const { id, name, index } = call;
    const done: ToolCallEvent = {
      type: 'tool-call',
      id,
      name,
      index,
      args: call.args.value,
      argsText: call.args.text,
    };
    if (cutOff) done.incomplete = true;
    if (k !== 0) done.choice = k;
    emit(done);
  };

  const candidate = (data: string, raw: unknown, position: number): void => {
    if (raw === null || typeof raw !== 'object')
      throw malformed(dialect, data, 'a candidate is not an object');
    const entry = raw as Json;
    const k = typeof entry.index === 'number' ? entry.index : position;
    const content = entry.content as Json | null | undefined;
    if (content !== undefined && content !== null) {
      if (typeof content !== 'object')
        throw malformed(dialect, data, 'candidates[].content is not an object');
      const parts = content.parts;
      if (parts !== undefined && parts !== null) {
        if (!Array.isArray(parts)) throw malformed(dialect, data, 'content.parts is not an array');
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i] as Json | null;
          if (part === null || typeof part !== 'object')
            throw malformed(dialect, data, 'a part is not an object');
          // Thinking models sign their thoughts (the signature must be sent back next turn). It
          // goes out ahead of the part it signs, as Anthropic's signed thinking precedes tool use.
          const signature = part.thoughtSignature;
          if (typeof signature === 'string' && signature !== '') {
            const event: ReasoningEvent = { type: 'reasoning', text: '', signature };
            if (k !== 0) event.choice = k;
            emit(event);
          }
          const text = part.text;
          if (text !== undefined && text !== null) {
            if (typeof text !== 'string') throw malformed(dialect, data, 'parts[].text is not a string');
            if (text !== '') {
              const event: TextEvent | ReasoningEvent =
                part.thought === true ? { type: 'reasoning', text } : textEvent(text);
              if (k !== 0) event.choice = k;
              emit(event);
            }
          }
          if (part.functionCall !== undefined) functionCall(data, k, part.functionCall);
          // Other parts (inlineData, executableCode, ...) carry nothing rxllm has an event for.
        }
      }
    }
    const rawReason = entry.finishReason;
    if (typeof rawReason === 'string' && rawReason !== '' && rawReason !== 'FINISH_REASON_UNSPECIFIED') {
      const state = candidateState(k);
      if (state.streaming !== undefined) completeStreamedCall(k, state);
      let reason = finishReason(rawReason);
      // Gemini says STOP after a function call; the caller needs to know tools are due.
      if (reason === 'stop' && candidateState(k).calls > 0) reason = 'tool-calls';
      finish(k, rawReason, reason);
    } else if (rawReason !== undefined && rawReason !== null && typeof rawReason !== 'string') {
      throw malformed(dialect, data, 'finishReason is not a string');
    }
  };

  const usage = (data: string, metadata: unknown): void => {
    if (typeof metadata !== 'object') throw malformed(dialect, data, 'usageMetadata is not an object');
    const meta = metadata as Json;
    // Vertex AI sends `{"trafficType":"ON_DEMAND"}` on chunks before the counts are known.
    if (
      meta.promptTokenCount === undefined &&
      meta.candidatesTokenCount === undefined &&
      meta.totalTokenCount === undefined &&
      meta.thoughtsTokenCount === undefined
    )
      return;
    const input = count(data, meta.promptTokenCount, 'promptTokenCount');
    const thoughts = count(data, meta.thoughtsTokenCount, 'thoughtsTokenCount');
    // Gemini counts thinking apart from the candidates; rxllm counts it as part of the output.
    const output = count(data, meta.candidatesTokenCount, 'candidatesTokenCount') + thoughts;
    const total =
      meta.totalTokenCount === undefined
        ? input + output
        : count(data, meta.totalTokenCount, 'totalTokenCount');
    if (input === lastInput && output === lastOutput && total === lastTotal) return;
    lastInput = input;
    lastOutput = output;
    lastTotal = total;
    const event: UsageEvent = { type: 'usage', inputTokens: input, outputTokens: output, totalTokens: total };
    if (typeof meta.cachedContentTokenCount === 'number')
      event.cachedInputTokens = meta.cachedContentTokenCount;
    if (typeof meta.thoughtsTokenCount === 'number') event.reasoningTokens = thoughts;
    emit(event);
  };

  return {
    message(data) {
      if (failed) return;
      if (data === '[DONE]') return; // Gemini sends none; a proxy in between may add one
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch (cause) {
        throw malformed(dialect, data, 'invalid JSON', cause);
      }
      if (!isObject(json)) return;
      const chunk: Json = json;
      if (chunk.error !== undefined && chunk.error !== null) {
        failed = true;
        throw inBandError(chunk.error);
      }
      const list = chunk.candidates;
      const metadata = chunk.usageMetadata;
      const feedback = chunk.promptFeedback as Json | null | undefined;
      if (list === undefined && metadata === undefined && (feedback === undefined || feedback === null))
        return;
      if (!started) {
        started = true;
        const start: StartEvent = { type: 'start', provider: options?.provider ?? 'google' };
        if (typeof chunk.responseId === 'string') start.id = chunk.responseId;
        if (typeof chunk.modelVersion === 'string') start.model = chunk.modelVersion;
        emit(start);
      }
      if (list !== undefined && list !== null) {
        if (!Array.isArray(list)) throw malformed(dialect, data, 'candidates is not an array');
        for (let i = 0; i < list.length; i++) candidate(data, list[i], i);
      }
      // A blocked prompt gets no candidates at all, only the reason it was blocked.
      if (feedback !== undefined && feedback !== null && typeof feedback === 'object') {
        const blockReason = feedback.blockReason;
        if (typeof blockReason === 'string' && blockReason !== '' && !finished)
          finish(0, blockReason, 'content-filter');
      }
      if (metadata !== undefined && metadata !== null) usage(data, metadata);
    },
    end() {
      if (failed) return;
      // A call still streaming when the input ends was cut off.
      for (const [k, state] of candidates) {
        if (state.streaming !== undefined) completeStreamedCall(k, state, true);
      }
      if (finished) return;
      failed = true;
      throw new RxllmError(`${dialect}: stream ended before a finishReason`, { code: 'network', dialect });
    },
  };
}

function count(data: string, value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null) return 0;
  throw malformed(dialect, data, `usageMetadata.${field} is not a number`);
}

function finishReason(raw: string): FinishReason {
  switch (raw) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content-filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return 'error';
    default:
      return 'other';
  }
}

/** Google's error body: `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`. */
function inBandError(error: unknown): RxllmError {
  const body = (error !== null && typeof error === 'object' ? error : {}) as Json;
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof error === 'string'
        ? error
        : JSON.stringify(error);
  const status = typeof body.code === 'number' ? body.code : undefined;
  const providerCode = typeof body.status === 'string' ? body.status : undefined;
  // {"code":500,"status":"INTERNAL"} and {"code":503,"status":"UNAVAILABLE"} are retryable, as
  // the same statuses are over HTTP.
  return mapInBandError({
    dialect,
    message,
    providerCodes: [providerCode],
    ...(status !== undefined && { status }),
  });
}
