import { parseKeepingShape } from '../keepShapes';
import type {
  FinishEvent,
  FinishReason,
  ReasoningEvent,
  RefusalEvent,
  StartEvent,
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
import { chatTextDelta } from './chatTextDelta';
import { textEvent } from '../textEvent';

const dialect = 'openai-chat';

/** A tool call whose arguments are still streaming. */
interface OpenCall {
  id: string;
  name: string;
  index: number;
  argsText: string;
  /** Its `tool-call` event went out; a later fragment for the same index must not restart it. */
  done: boolean;
}

/** What the decoder remembers about one choice (`n > 1` streams several at once). */
interface ChoiceState {
  /** Calls started, in order of first sight (completed ones stay, marked `done`). */
  calls: OpenCall[];
  /** The call the latest argument fragment went to. */
  current: OpenCall | undefined;
  /** Calls started so far: the index of a call that arrives without one. */
  started: number;
  finished: boolean;
}

type Json = Record<string, unknown>;

/**
 * Decodes OpenAI Chat Completions chunks (`chat.completion.chunk`), the dialect that OpenRouter,
 * DeepSeek, Groq, llama.cpp, vLLM, LM Studio and Ollama's `/v1` endpoint also speak.
 *
 * Reads `delta.content` (text), `delta.refusal` (refusal), `delta.reasoning_content` (DeepSeek,
 * llama.cpp) and `delta.reasoning` / `delta.reasoning_details` (OpenRouter, Groq) as reasoning,
 * `delta.tool_calls` fragments as tool calls, `usage` wherever it arrives (its own chunk, the
 * finish chunk, or before a trailing chunk), and in-band errors (an `error` field in a chunk, or a
 * named `event: error`). `[DONE]` or a finish reason ends the stream.
 *
 * A chunk that carries only text for choice 0 is read by {@link chatTextDelta} without parsing
 * the whole chunk; `fastPath: false` reads every chunk in full (the reference the tests hold the
 * fast path to).
 * The events a stream is made of (text, start, usage, finish) are created with every field they
 * may get, unknown ones undefined and `seq` last, in the order the fields were once added, so that
 * their JSON is unchanged: see {@link textEvent} for why.
 */
export function createOpenAIChatDecoder(emit: EmitEvent, options?: DecoderOptions, fastPath = true): Decoder {
  return new OpenAIChatDecoder(emit, options, fastPath);
}

/**
 * The decoder as one object with prototype methods (`#private`, which a minifier shortens) rather
 * than a dozen closures over a scope, and choice 0 in a field of its own: a relay holds one
 * decoder per open stream, thousands at once.
 */
class OpenAIChatDecoder implements Decoder {
  readonly #emit: EmitEvent;
  readonly #options: DecoderOptions | undefined;
  readonly #fastPath: boolean;
  // Choice 0, which nearly every stream has alone; the others in a Map made for them (a Map, not
  // an array: the index comes from the wire, and an array would be filled up to it).
  #choice0: ChoiceState | undefined = undefined;
  #choices: Map<number, ChoiceState> | undefined = undefined;
  #started = false;
  #done = false;
  #finished = false;
  #failed = false;

  constructor(emit: EmitEvent, options: DecoderOptions | undefined, fastPath: boolean) {
    this.#emit = emit;
    this.#options = options;
    this.#fastPath = fastPath;
  }

  #get(index: number): ChoiceState | undefined {
    return index === 0 ? this.#choice0 : this.#choices?.get(index);
  }

  #state(index: number): ChoiceState {
    let choice = this.#get(index);
    if (choice === undefined) {
      choice = newChoice();
      if (index === 0) this.#choice0 = choice;
      else (this.#choices ??= new Map()).set(index, choice);
    }
    return choice;
  }

  /** The indices of the choices known, in order. */
  #indices(): number[] {
    const indices = this.#choices === undefined ? [] : [...this.#choices.keys()];
    if (this.#choice0 !== undefined) indices.push(0);
    return indices.sort((a, b) => a - b);
  }

  #completeCall(call: OpenCall, choice: ChoiceState, index: number): void {
    const event = toolCallEvent(call);
    if (index !== 0) event.choice = index;
    call.done = true;
    if (choice.current === call) choice.current = undefined;
    this.#emit(event);
  }

  #completeCalls(choice: ChoiceState, index: number): void {
    for (let i = 0; i < choice.calls.length; i++) {
      const call = choice.calls[i]!;
      if (!call.done) this.#completeCall(call, choice, index);
    }
  }

  /**
   * A stream that ends properly ([DONE]) with no finish_reason still says how each choice
   * ended, so that what is re-encoded is a valid stream for every client: `tool-calls` after a
   * tool call, `stop` otherwise, and no raw reason, since the provider gave none.
   */
  #finishUnfinished(): void {
    if (!this.#started) return;
    if (this.#choice0 === undefined && this.#choices === undefined) this.#state(0);
    for (const index of this.#indices()) {
      const choice = this.#get(index)!;
      if (choice.finished) continue;
      choice.finished = true;
      const event: FinishEvent = {
        type: 'finish',
        reason: choice.started > 0 ? 'tool-calls' : 'stop',
        rawReason: null,
        choice: undefined,
        seq: undefined,
      };
      if (index !== 0) event.choice = index;
      this.#emit(event);
    }
  }

  #completeAll(): void {
    for (const index of this.#indices()) this.#completeCalls(this.#get(index)!, index);
  }

  #fail(error: RxllmError): never {
    this.#failed = true;
    throw error;
  }

  #toolCalls(data: string, choice: ChoiceState, k: number, list: unknown): void {
    if (!Array.isArray(list)) throw malformed(dialect, data, 'delta.tool_calls is not an array');
    for (let i = 0; i < list.length; i++) {
      const fragment = list[i] as Json | null;
      if (fragment === null || typeof fragment !== 'object')
        throw malformed(dialect, data, 'a tool call delta is not an object');
      const fn = fragment.function as Json | null | undefined;
      if (fn !== undefined && fn !== null && typeof fn !== 'object')
        throw malformed(dialect, data, 'tool_calls[].function is not an object');
      const id = fragment.id;
      const argsFragment = fn?.arguments;
      if (argsFragment !== undefined && argsFragment !== null && typeof argsFragment !== 'string')
        throw malformed(dialect, data, 'tool_calls[].function.arguments is not a string');

      // Which call this fragment belongs to: its index, else its id, else the current call.
      let call: OpenCall | undefined;
      let index: number;
      if (typeof fragment.index === 'number') {
        index = fragment.index;
        call = choice.current?.index === index ? choice.current : findByIndex(choice.calls, index);
        // Some servers number every call 0: a new id at a known index is a new call.
        if (call !== undefined && typeof id === 'string' && id !== '' && id !== call.id) {
          call = undefined;
          index = nextIndex(choice.calls);
        }
      } else if (typeof id === 'string' && id !== '' && choice.current?.id !== id) {
        call = findById(choice.calls, id);
        index = call?.index ?? choice.started;
      } else {
        call = choice.current;
        index = call?.index ?? choice.started;
      }
      // Parallel calls may interleave their fragments (0, 1, 0); a call completed early, when the
      // next began with its arguments already whole JSON, takes nothing more.
      if (call?.done) continue;

      if (call === undefined) {
        // A new call starts: the one before it is complete if its arguments are whole JSON; if
        // not, more fragments for it may still come, and it completes at the finish.
        const previous = choice.current;
        if (
          previous !== undefined &&
          previous.argsText !== '' &&
          parsePartialJson(previous.argsText)?.complete
        )
          this.#completeCall(previous, choice, k);
        call = {
          id: typeof id === 'string' && id !== '' ? id : `call_${index}`,
          name: typeof fn?.name === 'string' ? fn.name : '',
          index,
          argsText: '',
          done: false,
        };
        choice.calls.push(call);
        choice.started++;
        const start: ToolCallStartEvent = {
          type: 'tool-call-start',
          id: call.id,
          name: call.name,
          index,
        };
        if (k !== 0) start.choice = k;
        this.#emit(start);
      } else if (call.name === '' && typeof fn?.name === 'string') {
        call.name = fn.name;
      }
      choice.current = call;

      if (typeof argsFragment === 'string' && argsFragment !== '') {
        call.argsText += argsFragment;
        const delta: ToolCallDeltaEvent = {
          type: 'tool-call-delta',
          id: call.id,
          index: call.index,
          argsText: argsFragment,
        };
        if (k !== 0) delta.choice = k;
        this.#emit(delta);
      }
    }
  }

  #reasoningDetails(data: string, k: number, details: unknown, hasReasoningText: boolean): void {
    if (!Array.isArray(details)) throw malformed(dialect, data, 'delta.reasoning_details is not an array');
    for (let i = 0; i < details.length; i++) {
      const detail = details[i] as Json | null;
      if (detail === null || typeof detail !== 'object') continue;
      const type = detail.type;
      if (type === 'reasoning.encrypted') {
        if (typeof detail.data === 'string' && detail.data !== '') {
          const event: ReasoningEvent = { type: 'reasoning', text: '', redacted: detail.data };
          if (k !== 0) event.choice = k;
          this.#emit(event);
        }
        continue;
      }
      // The same text also arrives in `delta.reasoning`: take it from there, once.
      let text = '';
      if (!hasReasoningText) {
        if (type === 'reasoning.text' && typeof detail.text === 'string') text = detail.text;
        else if (type === 'reasoning.summary' && typeof detail.summary === 'string') text = detail.summary;
      }
      const signature =
        typeof detail.signature === 'string' && detail.signature !== '' ? detail.signature : '';
      if (text === '' && signature === '') continue;
      const event: ReasoningEvent = { type: 'reasoning', text };
      if (signature !== '') event.signature = signature;
      if (k !== 0) event.choice = k;
      this.#emit(event);
    }
  }

  /**
   * `delta.content` as an array of typed parts: Mistral's Magistral models stream
   * `[{type:'thinking', thinking:[{type:'text', text}]}, {type:'text', text}]`, and OpenAI's
   * content may be an array of `{type:'text', text}` (and `{type:'refusal', refusal}`) parts too. Parts of other types (Mistral's
   * `reference`, images) carry nothing rxllm has an event for.
   */
  #contentParts(data: string, k: number, parts: unknown[]): void {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Json | null;
      if (part === null || typeof part !== 'object')
        throw malformed(dialect, data, 'a delta.content part is not an object');
      if (part.type === 'thinking') {
        const thinking = part.thinking;
        if (typeof thinking === 'string') this.#emitReasoning(k, thinking);
        else if (Array.isArray(thinking)) {
          for (let j = 0; j < thinking.length; j++) {
            const inner = thinking[j] as Json | null;
            if (inner !== null && typeof inner === 'object' && typeof inner.text === 'string')
              this.#emitReasoning(k, inner.text);
          }
        } else if (thinking !== undefined && thinking !== null)
          throw malformed(dialect, data, 'a thinking part has neither text nor a list of parts');
        continue;
      }
      if (part.type === 'refusal' && typeof part.refusal === 'string') {
        if (part.refusal !== '') {
          const event: RefusalEvent = { type: 'refusal', text: part.refusal };
          if (k !== 0) event.choice = k;
          this.#emit(event);
        }
        continue;
      }
      const text = part.text;
      if (text === undefined || text === null) continue;
      if (typeof text !== 'string')
        throw malformed(dialect, data, 'a delta.content part has a text that is not a string');
      if (text === '') continue;
      const event = textEvent(text);
      if (k !== 0) event.choice = k;
      this.#emit(event);
    }
  }

  #emitReasoning(k: number, text: string): void {
    if (text === '') return;
    const event: ReasoningEvent = { type: 'reasoning', text };
    if (k !== 0) event.choice = k;
    this.#emit(event);
  }

  #choice(data: string, raw: unknown, position: number): void {
    if (raw === null || typeof raw !== 'object') throw malformed(dialect, data, 'a choice is not an object');
    const entry = raw as Json;
    const k = typeof entry.index === 'number' ? entry.index : position;
    // Known to the finish that [DONE] gives a choice that sent none.
    this.#state(k);
    const delta = entry.delta as Json | null | undefined;
    if (delta !== undefined && delta !== null) {
      if (typeof delta !== 'object') throw malformed(dialect, data, 'choices[].delta is not an object');
      const reasoning =
        optionalString(data, delta.reasoning_content, 'reasoning_content') ||
        optionalString(data, delta.reasoning, 'reasoning');
      if (reasoning !== '') {
        const event: ReasoningEvent = { type: 'reasoning', text: reasoning };
        if (k !== 0) event.choice = k;
        this.#emit(event);
      }
      if (delta.reasoning_details !== undefined && delta.reasoning_details !== null)
        this.#reasoningDetails(data, k, delta.reasoning_details, reasoning !== '');
      const content = delta.content;
      if (typeof content === 'string') {
        if (content !== '') {
          const event = textEvent(content);
          if (k !== 0) event.choice = k;
          this.#emit(event);
        }
      } else if (Array.isArray(content)) {
        this.#contentParts(data, k, content);
      } else if (content !== undefined && content !== null) {
        throw malformed(dialect, data, 'delta.content is neither a string nor an array of parts');
      }
      const refusal = optionalString(data, delta.refusal, 'refusal');
      if (refusal !== '') {
        const event: RefusalEvent = { type: 'refusal', text: refusal };
        if (k !== 0) event.choice = k;
        this.#emit(event);
      }
      if (delta.tool_calls !== undefined && delta.tool_calls !== null)
        this.#toolCalls(data, this.#state(k), k, delta.tool_calls);
      // The legacy `functions` API: one call, no id, streamed like a tool call.
      else if (delta.function_call !== undefined && delta.function_call !== null)
        this.#toolCalls(data, this.#state(k), k, [{ index: 0, function: delta.function_call }]);
    }
    const rawReason = entry.finish_reason;
    // Ollama's /v1 endpoint once sent "" for "not finished"; null is the usual word for it.
    if (typeof rawReason === 'string' && rawReason !== '') {
      const current = this.#state(k);
      this.#completeCalls(current, k);
      this.#finished = true;
      if (current.finished) return; // OpenRouter repeats the finish chunk
      current.finished = true;
      let reason = finishReason(rawReason);
      // Some compatible servers say "stop" after calling tools; the caller needs to know tools are due.
      if (reason === 'stop' && current.started > 0) reason = 'tool-calls';
      const event: FinishEvent = { type: 'finish', reason, rawReason, choice: undefined, seq: undefined };
      if (k !== 0) event.choice = k;
      this.#emit(event);
    } else if (rawReason !== undefined && rawReason !== null && typeof rawReason !== 'string') {
      throw malformed(dialect, data, 'finish_reason is not a string');
    }
  }

  message(data: string, event?: string): void {
    if (this.#done || this.#failed) return;
    // Only once started with choice 0 known does a text chunk change no state but emit its text.
    if (this.#fastPath && this.#started && event !== 'error' && this.#choice0 !== undefined) {
      const text = chatTextDelta(data);
      if (text !== undefined) {
        if (text !== '') this.#emit(textEvent(text));
        return;
      }
    }
    if (data === '[DONE]') {
      this.#done = true;
      this.#completeAll();
      this.#finishUnfinished();
      return;
    }
    let json: unknown;
    try {
      json = parseKeepingShape(data);
    } catch (cause) {
      // A named error event whose body is not JSON is still an error, not a malformed chunk.
      if (event === 'error') this.#fail(new RxllmError(`${dialect}: ${data}`, { code: 'provider', dialect }));
      throw malformed(dialect, data, 'invalid JSON', cause);
    }
    if (!isObject(json)) {
      if (event === 'error') this.#fail(new RxllmError(`${dialect}: ${data}`, { code: 'provider', dialect }));
      return;
    }
    const chunk: Json = json;
    const list = chunk.choices;
    // Groq has reported usage in its own `x_groq` field rather than in `usage`.
    const usage = chunk.usage ?? (chunk.x_groq as Json | null | undefined)?.usage;

    if (list !== undefined) {
      if (!Array.isArray(list)) throw malformed(dialect, data, 'choices is not an array');
      // Azure opens with a `prompt_filter_results` chunk (no choices, empty id and model): the
      // start waits for the first chunk that says something about the response.
      if (!this.#started && (list.length > 0 || (usage !== undefined && usage !== null))) {
        this.#started = true;
        this.#emit(startEvent(chunk, this.#options));
      }
      for (let i = 0; i < list.length; i++) this.#choice(data, list[i], i);
    }
    if (usage !== undefined && usage !== null) {
      if (typeof usage !== 'object') throw malformed(dialect, data, 'usage is not an object');
      this.#emit(usageEvent(data, usage as Json));
    }
    const error = chunk.error;
    if ((error !== undefined && error !== null) || event === 'error') {
      this.#fail(inBandError(error ?? chunk));
    }
  }

  end(): void {
    if (this.#done || this.#failed) return;
    this.#completeAll();
    if (!this.#finished) {
      this.#failed = true;
      throw new RxllmError(`${dialect}: stream ended before [DONE] or a finish_reason`, {
        code: 'network',
        dialect,
      });
    }
  }

  ended(): boolean {
    return this.#done;
  }
}

/** An index no call of the choice has yet, for a call whose server reused one. */
function nextIndex(calls: OpenCall[]): number {
  let next = 0;
  for (let i = 0; i < calls.length; i++) if (calls[i]!.index >= next) next = calls[i]!.index + 1;
  return next;
}

function newChoice(): ChoiceState {
  return { calls: [], current: undefined, started: 0, finished: false };
}

function findByIndex(calls: OpenCall[], index: number): OpenCall | undefined {
  for (let i = 0; i < calls.length; i++) if (calls[i]!.index === index) return calls[i];
  return undefined;
}

function findById(calls: OpenCall[], id: string): OpenCall | undefined {
  for (let i = 0; i < calls.length; i++) if (calls[i]!.id === id) return calls[i];
  return undefined;
}

/** A string field that may be absent or null (`''` then); anything else is a broken chunk. */
function optionalString(data: string, value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw malformed(dialect, data, `delta.${field} is not a string`);
}

function toolCallEvent(call: OpenCall): ToolCallEvent {
  const event: ToolCallEvent = {
    type: 'tool-call',
    id: call.id,
    name: call.name,
    index: call.index,
    args: {},
    argsText: call.argsText,
  };
  // A call without arguments streams "" (or nothing): that is an empty object.
  if (call.argsText.trim() === '') return event;
  const parsed = parsePartialJson(call.argsText);
  if (parsed?.complete) {
    event.args = parsed.value;
  } else {
    event.args = parseCutOffArgs(call.argsText);
    event.incomplete = true;
  }
  return event;
}

/** OpenAI's words and the few that compatible servers use instead. */
function finishReason(raw: string): FinishReason {
  switch (raw) {
    case 'stop':
    case 'eos':
    case 'end_turn':
      return 'stop';
    case 'length':
    case 'max_tokens':
      return 'length';
    case 'tool_calls':
    case 'function_call':
    case 'tool_use':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    case 'refusal':
      return 'refusal';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}

function startEvent(chunk: Json, options: DecoderOptions | undefined): StartEvent {
  const event: StartEvent = {
    type: 'start',
    provider: options?.provider ?? guessProvider(chunk),
    id: undefined,
    model: undefined,
    created: undefined,
    seq: undefined,
  };
  if (typeof chunk.id === 'string') event.id = chunk.id;
  if (typeof chunk.model === 'string') event.model = chunk.model;
  if (typeof chunk.created === 'number') event.created = chunk.created * 1000;
  return event;
}

/**
 * Which service wrote the stream, from what its first chunk carries that OpenAI's does not. A
 * best guess for the `start` event's label only; pass `provider` to say it outright.
 */
function guessProvider(chunk: Json): string {
  if (typeof chunk.provider === 'string') return 'openrouter';
  if (chunk.x_groq !== undefined) return 'groq';
  const fingerprint = typeof chunk.system_fingerprint === 'string' ? chunk.system_fingerprint : '';
  if ('prompt_token_ids' in chunk || fingerprint.startsWith('vllm')) return 'vllm';
  if (/^b\d+-[0-9a-f]+$/.test(fingerprint)) return 'llama.cpp';
  if (typeof chunk.model === 'string' && chunk.model.startsWith('deepseek-')) return 'deepseek';
  return 'openai';
}

function usageEvent(data: string, usage: Json): UsageEvent {
  const input = count(data, usage.prompt_tokens, 'prompt_tokens') ?? 0;
  const output = count(data, usage.completion_tokens, 'completion_tokens') ?? 0;
  const event: UsageEvent = {
    type: 'usage',
    inputTokens: input,
    outputTokens: output,
    totalTokens: count(data, usage.total_tokens, 'total_tokens') ?? input + output,
    cachedInputTokens: undefined,
    reasoningTokens: undefined,
    cost: undefined,
    seq: undefined,
  };
  // DeepSeek reports its cache hits in a field of its own.
  const promptDetails = usage.prompt_tokens_details as Json | null | undefined;
  const cached =
    typeof usage.prompt_cache_hit_tokens === 'number'
      ? usage.prompt_cache_hit_tokens
      : typeof promptDetails?.cached_tokens === 'number'
        ? promptDetails.cached_tokens
        : undefined;
  if (cached !== undefined) event.cachedInputTokens = cached;
  const completionDetails = usage.completion_tokens_details as Json | null | undefined;
  const reasoning = completionDetails?.reasoning_tokens;
  if (typeof reasoning === 'number') {
    event.reasoningTokens = reasoning;
    // xAI counts reasoning apart from completion_tokens (its total is the sum of all three);
    // rxllm's outputTokens includes reasoning, as OpenAI's completion_tokens does.
    if (reasoning > 0 && event.totalTokens === input + output + reasoning)
      event.outputTokens = output + reasoning;
  }
  // OpenRouter reports what the request cost.
  if (typeof usage.cost === 'number') event.cost = usage.cost;
  return event;
}

function count(data: string, value: unknown, field: string): number | undefined {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null) return undefined;
  throw malformed(dialect, data, `usage.${field} is not a number`);
}

/**
 * An error the provider sent inside the stream: OpenRouter's `error` field (a numeric HTTP-style
 * `code`), OpenAI's `{"error":{"type","code","message"}}`, Groq's named `event: error`.
 */
function inBandError(error: unknown): RxllmError {
  if (typeof error === 'string') return mapInBandError({ dialect, message: error, providerCodes: [] });
  const body = (error !== null && typeof error === 'object' ? error : {}) as Json;
  const message = typeof body.message === 'string' ? body.message : JSON.stringify(error);
  const stringCode = typeof body.code === 'string' ? body.code : undefined;
  const type = typeof body.type === 'string' ? body.type : undefined;
  const status =
    typeof body.code === 'number'
      ? body.code
      : typeof body.status_code === 'number'
        ? body.status_code
        : typeof body.status === 'number'
          ? body.status
          : undefined;
  // OpenAI's mid-stream {"type":"server_error"} is a 500: retryable, as over HTTP.
  return mapInBandError({
    dialect,
    message,
    providerCodes: [stringCode, type],
    ...(status !== undefined && { status }),
  });
}
