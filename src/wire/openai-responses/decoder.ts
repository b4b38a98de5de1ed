import type { FinishReason, ReasoningEvent, StartEvent, UsageEvent } from '../../base/events';
import { RxllmError } from '../../base/errors';
import { inBandError } from '../../base/httpError';
import { count, isObject } from '../json';
import { malformed } from '../malformed';
import { parseCutOffArgs } from '../completeValuesOnly';
import { parsePartialJson } from '../parsePartialJson';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { outputTextDelta } from './outputTextDelta';
import { parseKeepingShape } from '../keepShapes';
import { textEvent } from '../textEvent';

const dialect = 'openai-responses';

interface FunctionCall {
  /** The output item id (`fc_…`) that argument events refer to. */
  itemId: string;
  /** Its position in the output, the identity that servers rotating item ids keep. */
  outputIndex: unknown;
  /** The call id (`call_…`) that a tool result must quote: the id rxllm exposes. */
  id: string;
  name: string;
  index: number;
  argsText: string;
  done: boolean;
}

/**
 * Decodes the OpenAI Responses API stream, and the servers that speak it (DeepSeek, OpenRouter's
 * data-only variant ending in `[DONE]`).
 *
 * The event type is read from the JSON `type`, never from the SSE `event:` line, which data-only
 * servers omit; `sequence_number` is not relied on, early captures lack it. Reasoning summary
 * parts (and separate reasoning items) are joined with a blank line, sent with the next part's
 * first delta. Encrypted reasoning (`encrypted_content`) becomes a `reasoning` event with
 * `redacted`. A function call is exposed under its `call_id`, not its `fc_` item id.
 *
 * A text delta is read by {@link outputTextDelta} without parsing the whole event;
 * `fastPath: false` reads every event in full (the reference the tests hold the fast path to).
 */
export function createOpenAIResponsesDecoder(
  emit: EmitEvent,
  options?: DecoderOptions,
  fastPath = true,
): Decoder {
  const provider = options?.provider ?? 'openai';
  let started = false;
  let ended = false;
  const calls: FunctionCall[] = [];
  // The reasoning part being streamed, to know when a new one begins and needs a separator.
  let reasoningItem: unknown;
  let reasoningPart: unknown;
  let reasoningShown = false;
  // Items whose text (or refusal, or reasoning) arrived, so that a server that sends it only in
  // the `.done` events (or only in `output_item.done`) is read, and one that sends both is not
  // read twice. The last item is kept apart so that a delta costs one comparison.
  let lastTextItem: unknown;
  const textItems = new Set<unknown>();
  const refusalItems = new Set<unknown>();
  const reasoningItems = new Set<string>();

  function findCall(json: Record<string, unknown>, data: string): FunctionCall {
    const call = knownCall(json.item_id, json.output_index);
    if (call === undefined)
      throw malformed(dialect, data, 'function call event for an item that was never added');
    return call;
  }

  /** The call by its item id, else (GitHub Copilot sends a new item id on every event) its output index. */
  function knownCall(itemId: unknown, outputIndex: unknown): FunctionCall | undefined {
    for (let i = calls.length - 1; i >= 0; i--) if (calls[i]!.itemId === itemId) return calls[i]!;
    if (typeof outputIndex !== 'number') return undefined;
    for (let i = calls.length - 1; i >= 0; i--) if (calls[i]!.outputIndex === outputIndex) return calls[i]!;
    return undefined;
  }

  function finishCall(call: FunctionCall, finalArgs: unknown, cutOff: boolean): void {
    call.done = true;
    if (typeof finalArgs === 'string' && finalArgs !== call.argsText) {
      // The final arguments are authoritative; a server that streamed none sends them here only.
      if (call.argsText === '' && finalArgs !== '')
        emit({ type: 'tool-call-delta', id: call.id, index: call.index, argsText: finalArgs });
      call.argsText = finalArgs;
    }
    let args: unknown = {};
    let incomplete = cutOff;
    if (call.argsText !== '') {
      const parsed = parsePartialJson(call.argsText);
      incomplete = cutOff || !parsed?.complete;
      args = parsed?.complete ? parsed.value : parseCutOffArgs(call.argsText);
    }
    const { id, name, index, argsText } = call;
    emit(
      incomplete
        ? { type: 'tool-call', id, name, index, args, argsText, incomplete }
        : { type: 'tool-call', id, name, index, args, argsText },
    );
  }

  function reasoningDelta(json: Record<string, unknown>, part: unknown, data: string): void {
    const text = json.delta;
    if (typeof text !== 'string')
      throw malformed(dialect, data, `${String(json.type)} without a delta string`);
    if (text === '') return;
    const item = itemKey(json);
    if (item !== reasoningItem || part !== reasoningPart) {
      reasoningItem = item;
      reasoningPart = part;
      reasoningItems.add(`${String(item)}/${String(part)}`);
      if (reasoningShown) {
        emit({ type: 'reasoning', text: `\n\n${text}` });
        return;
      }
    }
    reasoningShown = true;
    emit({ type: 'reasoning', text });
  }

  function outputItemAdded(json: Record<string, unknown>, data: string): void {
    const item = json.item;
    if (!isObject(item)) throw malformed(dialect, data, 'output_item.added without an item');
    if (item.type !== 'function_call') return;
    if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.id !== 'string')
      throw malformed(dialect, data, 'function_call item without id, call_id and name');
    const call: FunctionCall = {
      itemId: item.id,
      outputIndex: json.output_index,
      id: item.call_id,
      name: item.name,
      index: calls.length,
      argsText: '',
      done: false,
    };
    calls.push(call);
    emit({ type: 'tool-call-start', id: call.id, name: call.name, index: call.index });
    if (typeof item.arguments === 'string' && item.arguments !== '') {
      call.argsText = item.arguments;
      emit({ type: 'tool-call-delta', id: call.id, index: call.index, argsText: item.arguments });
    }
  }

  /** Text sent only in a `.done` event (no deltas came for its item). */
  function textDone(json: Record<string, unknown>): void {
    const item = itemKey(json);
    if (textItems.has(item)) return;
    textItems.add(item);
    if (typeof json.text === 'string' && json.text !== '') emit(textEvent(json.text));
  }

  /** A message item whose content came in no delta and no `.done` event: read it from the item. */
  function messageDone(item: Record<string, unknown>, key: unknown): void {
    const content = item.content;
    if (!Array.isArray(content)) return;
    const readText = !textItems.has(key);
    const readRefusal = !refusalItems.has(key);
    textItems.add(key);
    refusalItems.add(key);
    for (const part of content) {
      if (!isObject(part)) continue;
      if (readText && part.type === 'output_text' && typeof part.text === 'string' && part.text !== '')
        emit(textEvent(part.text));
      else if (
        readRefusal &&
        part.type === 'refusal' &&
        typeof part.refusal === 'string' &&
        part.refusal !== ''
      )
        emit({ type: 'refusal', text: part.refusal });
    }
  }

  function outputItemDone(json: Record<string, unknown>, data: string): void {
    const item = json.item;
    if (!isObject(item)) throw malformed(dialect, data, 'output_item.done without an item');
    if (item.type === 'function_call') {
      let call = knownCall(item.id, json.output_index);
      // A server that never announced the call with output_item.added sends it whole here.
      if (call === undefined) {
        outputItemAdded({ item: { ...item, arguments: '' }, output_index: json.output_index }, data);
        call = calls[calls.length - 1]!;
      }
      if (!call.done) finishCall(call, item.arguments, item.status === 'incomplete');
    } else if (item.type === 'message') {
      messageDone(item, typeof json.output_index === 'number' ? json.output_index : item.id);
    } else if (item.type === 'reasoning' && typeof item.encrypted_content === 'string') {
      // The final item carries the encrypted reasoning to pass back on the next turn.
      // With its item id: the next request's input names the reasoning item by it.
      const event: ReasoningEvent = { type: 'reasoning', text: '', redacted: item.encrypted_content };
      if (typeof item.id === 'string') event.itemId = item.id;
      emit(event);
    }
  }

  function responseEnded(json: Record<string, unknown>, data: string): void {
    const response = json.response;
    if (!isObject(response)) throw malformed(dialect, data, `${String(json.type)} without a response`);
    ended = true;
    let reason: FinishReason = calls.length > 0 ? 'tool-calls' : 'stop';
    let rawReason = typeof response.status === 'string' ? response.status : 'completed';
    if (json.type === 'response.incomplete') {
      const details = response.incomplete_details;
      const why = isObject(details) && typeof details.reason === 'string' ? details.reason : undefined;
      if (why !== undefined) rawReason = why;
      reason = why === 'max_output_tokens' ? 'length' : why === 'content_filter' ? 'content-filter' : 'other';
    }
    for (const call of calls) if (!call.done) finishCall(call, undefined, true);
    emit({ type: 'finish', reason, rawReason, choice: undefined, seq: undefined });
    if (isObject(response.usage)) emit(usage(response.usage));
  }

  return {
    message(data, event) {
      // After response.completed (or a failure) the response is finished: nothing is appended.
      if (ended) return;
      if (data === '[DONE]') {
        // OpenRouter's terminator, after response.completed; on its own it still ends the stream.
        ended = true;
        return;
      }
      const fast = fastPath ? outputTextDelta(data) : undefined;
      if (fast !== undefined) {
        // The same bookkeeping as the full path below: the item keyed by its output index.
        if (fast.outputIndex !== lastTextItem) {
          lastTextItem = fast.outputIndex;
          textItems.add(fast.outputIndex);
        }
        if (fast.text !== '') emit(textEvent(fast.text));
        return;
      }
      let json: unknown;
      try {
        json = parseKeepingShape(data);
      } catch (error) {
        // An error event whose body is not JSON is still the provider's error, not a broken stream.
        if (event === 'error') {
          ended = true;
          throw new RxllmError(`openai-responses: ${data}`, { code: 'provider', dialect });
        }
        throw malformed(dialect, data, 'invalid JSON', error);
      }
      if (!isObject(json)) throw malformed(dialect, data, 'expected a JSON object');
      switch (json.type) {
        case 'response.output_text.delta': {
          const text = json.delta;
          if (typeof text !== 'string')
            throw malformed(dialect, data, 'output_text.delta without a delta string');
          const item = itemKey(json);
          if (item !== lastTextItem) {
            lastTextItem = item;
            textItems.add(item);
          }
          if (text !== '') emit(textEvent(text));
          return;
        }
        case 'response.output_text.done':
          textDone(json);
          return;
        case 'response.refusal.done':
          if (!refusalItems.has(itemKey(json))) {
            refusalItems.add(itemKey(json));
            if (typeof json.refusal === 'string' && json.refusal !== '')
              emit({ type: 'refusal', text: json.refusal });
          }
          return;
        case 'response.reasoning_summary_text.done':
        case 'response.reasoning_text.done': {
          const part = json.type === 'response.reasoning_text.done' ? json.content_index : json.summary_index;
          if (
            !reasoningItems.has(`${String(itemKey(json))}/${String(part)}`) &&
            typeof json.text === 'string'
          )
            reasoningDelta({ ...json, delta: json.text }, part, data);
          return;
        }
        case 'response.reasoning_summary_text.delta':
          reasoningDelta(json, json.summary_index, data);
          return;
        case 'response.reasoning_text.delta':
          reasoningDelta(json, json.content_index, data);
          return;
        case 'response.function_call_arguments.delta': {
          const fragment = json.delta;
          if (typeof fragment !== 'string')
            throw malformed(dialect, data, 'function_call_arguments.delta without a delta string');
          const call = findCall(json, data);
          if (fragment === '' || call.done) return;
          call.argsText += fragment;
          emit({ type: 'tool-call-delta', id: call.id, index: call.index, argsText: fragment });
          return;
        }
        case 'response.refusal.delta': {
          const text = json.delta;
          if (typeof text !== 'string')
            throw malformed(dialect, data, 'refusal.delta without a delta string');
          refusalItems.add(itemKey(json));
          if (text !== '') emit({ type: 'refusal', text });
          return;
        }
        case 'response.function_call_arguments.done': {
          const call = findCall(json, data);
          if (!call.done) finishCall(call, json.arguments, false);
          return;
        }
        case 'response.output_item.added':
          outputItemAdded(json, data);
          return;
        case 'response.output_item.done':
          outputItemDone(json, data);
          return;
        case 'response.created': {
          const response = json.response;
          if (!isObject(response)) throw malformed(dialect, data, 'response.created without a response');
          if (started) return;
          started = true;
          // Every field present from the start (see textEvent): a source stamps `seq` in place.
          const start: StartEvent = {
            type: 'start',
            provider,
            id: undefined,
            model: undefined,
            created: undefined,
            seq: undefined,
          };
          if (typeof response.id === 'string') start.id = response.id;
          if (typeof response.model === 'string') start.model = response.model;
          if (typeof response.created_at === 'number') start.created = response.created_at * 1000;
          emit(start);
          return;
        }
        case 'response.completed':
        case 'response.incomplete':
          responseEnded(json, data);
          return;
        case 'error':
          ended = true;
          throw errorEvent(json);
        case 'response.failed': {
          ended = true;
          const response = json.response;
          const error = isObject(response) ? response.error : undefined;
          throw isObject(error)
            ? providerError(error, 'response failed')
            : providerError({}, 'response failed');
        }
        default:
          // response.queued, response.in_progress, the *.done and *.added events whose content the
          // deltas already carried, and any event type added later.
          return;
      }
    },
    end() {
      if (ended) return;
      for (const call of calls) if (!call.done) finishCall(call, undefined, true);
      throw new RxllmError('openai-responses: stream ended before response.completed', {
        code: 'network',
        dialect,
      });
    },
    ended: () => ended,
  };
}

/**
 * Which output item an event belongs to: its `output_index` where it has one (GitHub Copilot's
 * Responses stream sends a new `item_id` on every event, the index stays), else its `item_id`.
 */
function itemKey(json: Record<string, unknown>): unknown {
  return typeof json.output_index === 'number' ? json.output_index : json.item_id;
}

/** The `error` event: documented with top-level `code`/`message`, sent nested under `error` too. */
function errorEvent(json: Record<string, unknown>): RxllmError {
  return providerError(isObject(json.error) ? json.error : json, 'error event');
}

function providerError(error: Record<string, unknown>, fallback: string): RxllmError {
  const message = typeof error.message === 'string' ? error.message : fallback;
  // `server_error` (a 500) is retryable and `insufficient_quota` is not, as over HTTP.
  return inBandError({
    dialect,
    label: 'openai-responses',
    message,
    providerCodes: [
      typeof error.code === 'string' ? error.code : undefined,
      typeof error.type === 'string' ? error.type : undefined,
    ],
  });
}

function usage(raw: Record<string, unknown>): UsageEvent {
  const inputTokens = count(raw.input_tokens) ?? 0;
  const outputTokens = count(raw.output_tokens) ?? 0;
  const event: UsageEvent = {
    type: 'usage',
    inputTokens,
    outputTokens,
    totalTokens: count(raw.total_tokens) ?? inputTokens + outputTokens,
    cachedInputTokens: undefined,
    reasoningTokens: undefined,
    cost: undefined,
    seq: undefined,
  };
  const inputDetails = raw.input_tokens_details;
  if (isObject(inputDetails) && typeof inputDetails.cached_tokens === 'number')
    event.cachedInputTokens = inputDetails.cached_tokens;
  const outputDetails = raw.output_tokens_details;
  if (isObject(outputDetails) && typeof outputDetails.reasoning_tokens === 'number')
    event.reasoningTokens = outputDetails.reasoning_tokens;
  // OpenRouter reports the charge in dollars.
  if (typeof raw.cost === 'number') event.cost = raw.cost;
  return event;
}
