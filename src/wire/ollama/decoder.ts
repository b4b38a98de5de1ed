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
import { parseCutOffArgs } from '../completeValuesOnly';
import { parsePartialJson } from '../parsePartialJson';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { textEvent } from '../textEvent';

const dialect = 'ollama';

type Json = Record<string, unknown>;

/**
 * Decodes Ollama's native NDJSON streams, one JSON object per line, from both `/api/chat`
 * (`message.content`, `message.thinking`, `message.tool_calls`) and `/api/generate`
 * (`response`, `thinking`).
 *
 * Ollama sends each tool call complete in one chunk, with its arguments as an object and no id:
 * rxllm numbers them `call_0`, `call_1`, ... The last object says `done: true`, with
 * `prompt_eval_count` / `eval_count` as usage when the server reports them, and `done_reason`
 * (`stop` even after a tool call, which rxllm reports as `tool-calls`). A `{"error": "..."}` line
 * is an in-band failure.
 */
export function createOllamaDecoder(emit: EmitEvent, options?: DecoderOptions): Decoder {
  let started = false;
  let done = false;
  let failed = false;
  let calls = 0;

  const toolCalls = (data: string, list: unknown): void => {
    if (!Array.isArray(list)) throw malformed(dialect, data, 'message.tool_calls is not an array');
    for (let i = 0; i < list.length; i++) {
      const call = list[i] as Json | null;
      if (call === null || typeof call !== 'object')
        throw malformed(dialect, data, 'a tool call is not an object');
      const fn = call.function as Json | null | undefined;
      if (fn === null || typeof fn !== 'object' || typeof fn.name !== 'string')
        throw malformed(dialect, data, 'tool_calls[].function has no name');
      const name = fn.name;
      // Newer servers give an id; older ones none, so a stable one is made up in stream order.
      const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${calls}`;
      const index = calls++;
      let args: unknown = fn.arguments ?? {};
      let argsText: string;
      let incomplete = false;
      if (typeof args === 'string') {
        // Some builds send the arguments as JSON text, as OpenAI does.
        argsText = args;
        const parsed = args.trim() === '' ? { value: {}, complete: true } : parsePartialJson(args);
        incomplete = !parsed?.complete;
        args = parsed?.complete ? parsed.value : parseCutOffArgs(args);
      } else {
        argsText = JSON.stringify(args);
      }
      const start: ToolCallStartEvent = { type: 'tool-call-start', id, name, index };
      emit(start);
      const delta: ToolCallDeltaEvent = { type: 'tool-call-delta', id, index, argsText };
      emit(delta);
      const complete: ToolCallEvent = { type: 'tool-call', id, name, index, args, argsText };
      if (incomplete) complete.incomplete = true;
      emit(complete);
    }
  };

  const content = (data: string, text: unknown, field: string, reasoning: boolean): void => {
    if (text === undefined || text === null || text === '') return;
    if (typeof text !== 'string') throw malformed(dialect, data, `${field} is not a string`);
    const event: TextEvent | ReasoningEvent = reasoning ? { type: 'reasoning', text } : textEvent(text);
    emit(event);
  };

  return {
    message(data) {
      if (done || failed) return;
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
      const message = chunk.message as Json | null | undefined;
      const isDone = chunk.done;
      // Anything else (a keep-alive `{}`, a pull progress line) is not a generation chunk.
      if (message === undefined && chunk.response === undefined && isDone === undefined) return;
      if (isDone !== undefined && typeof isDone !== 'boolean')
        throw malformed(dialect, data, 'done is not a boolean');

      if (!started) {
        started = true;
        const start: StartEvent = { type: 'start', provider: options?.provider ?? 'ollama' };
        if (typeof chunk.model === 'string') start.model = chunk.model;
        if (typeof chunk.created_at === 'string') {
          const created = Date.parse(chunk.created_at);
          if (!Number.isNaN(created)) start.created = created;
        }
        emit(start);
      }

      if (message !== undefined && message !== null) {
        if (typeof message !== 'object') throw malformed(dialect, data, 'message is not an object');
        content(data, message.thinking, 'message.thinking', true);
        content(data, message.content, 'message.content', false);
        if (message.tool_calls !== undefined && message.tool_calls !== null)
          toolCalls(data, message.tool_calls);
      }
      content(data, chunk.thinking, 'thinking', true);
      content(data, chunk.response, 'response', false);

      if (isDone === true) {
        done = true;
        const rawReason = chunk.done_reason;
        let reason: FinishReason = typeof rawReason === 'string' ? finishReason(rawReason) : 'stop';
        if (reason === 'stop' && calls > 0) reason = 'tool-calls';
        const finish: FinishEvent = { type: 'finish', reason };
        if (typeof rawReason === 'string') finish.rawReason = rawReason;
        emit(finish);
        const input = chunk.prompt_eval_count;
        const output = chunk.eval_count;
        if (typeof input === 'number' || typeof output === 'number') {
          const inputTokens = typeof input === 'number' ? input : 0;
          const outputTokens = typeof output === 'number' ? output : 0;
          const usage: UsageEvent = {
            type: 'usage',
            inputTokens,
            outputTokens,
            totalTokens: inputTokens + outputTokens,
          };
          emit(usage);
        }
      }
    },
    end() {
      if (done || failed) return;
      failed = true;
      throw new RxllmError(`${dialect}: stream ended before the final "done": true object`, {
        code: 'network',
        dialect,
      });
    },
    ended: () => done,
  };
}

function finishReason(raw: string): FinishReason {
  switch (raw) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    default:
      // `load` / `unload` answer a request that only loaded or unloaded the model.
      return 'other';
  }
}

/** Ollama's error line is `{"error": "message"}`; a few proxies nest it OpenAI-style. */
function inBandError(error: unknown): RxllmError {
  const message =
    typeof error === 'string'
      ? error
      : typeof (error as Json).message === 'string'
        ? ((error as Json).message as string)
        : JSON.stringify(error);
  const nested = (error !== null && typeof error === 'object' ? error : {}) as Json;
  const code = typeof nested.code === 'string' ? nested.code : undefined;
  const type = typeof nested.type === 'string' ? nested.type : undefined;
  const status =
    typeof nested.code === 'number'
      ? nested.code
      : typeof nested.status === 'number'
        ? nested.status
        : undefined;
  return mapInBandError({
    dialect,
    message,
    // Ollama's own "server busy" is what it answers with a 503 before a stream starts.
    providerCodes: [code, type, /server busy|overloaded/i.test(message) ? 'service_unavailable' : undefined],
    ...(status !== undefined && { status }),
  });
}
