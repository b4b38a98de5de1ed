import type { FinishReason, Usage } from '../../base/events';
import type { RxllmError, RxllmErrorCode } from '../../base/errors';
import { randomId } from '../randomId';
import { createHoldingEncoder, type EncoderBody, type HeldResponse } from '../createHoldingEncoder';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';
import { jsonNumber } from '../jsonNumber';

const errorCodes: Record<RxllmErrorCode, [type: string, code: string]> = {
  network: ['server_error', 'server_error'],
  http: ['server_error', 'server_error'],
  auth: ['invalid_request_error', 'invalid_api_key'],
  'rate-limit': ['rate_limit_error', 'rate_limit_exceeded'],
  overloaded: ['server_error', 'server_overloaded'],
  'context-length': ['invalid_request_error', 'context_length_exceeded'],
  timeout: ['server_error', 'timeout_error'],
  malformed: ['server_error', 'server_error'],
  provider: ['server_error', 'server_error'],
  aborted: ['server_error', 'server_error'],
  'invalid-argument': ['invalid_request_error', 'invalid_request_error'],
  'limit-exceeded': ['server_error', 'server_error'],
  tool: ['server_error', 'server_error'],
};

/** Finish reasons that end a Responses stream with `response.incomplete`, and the reason it gives. */
const incompleteReasons: Partial<Record<FinishReason, string>> = {
  length: 'max_output_tokens',
  'content-filter': 'content_filter',
};

interface MessageItem {
  kind: 'message';
  id: string;
  outputIndex: number;
  done: boolean;
  parts: ContentPart[];
}

interface ContentPart {
  type: 'output_text' | 'refusal';
  text: string;
  /**
   * Deltas not yet joined into `text`. A string grown per token keeps a rope node per token alive
   * for the whole stream, which every scavenge copies; an array of deltas does not.
   */
  deltas: string[];
  /** `"item_id":…,"output_index":…,"content_index":…`, built once per part, not per token. */
  at: string;
}

interface ReasoningItem {
  kind: 'reasoning';
  id: string;
  outputIndex: number;
  done: boolean;
  text: string;
  /** Deltas not yet joined into `text` (see {@link ContentPart.deltas}). */
  deltas: string[];
  encrypted?: string;
}

interface FunctionCallItem {
  kind: 'function_call';
  id: string;
  outputIndex: number;
  done: boolean;
  callId: string;
  name: string;
  args: string;
}

type Item = MessageItem | ReasoningItem | FunctionCallItem;

/**
 * Encodes rxllm events as OpenAI Responses API stream events, the format `openai`'s
 * `responses.stream()` and the Agents SDK read. Every event carries `sequence_number` and is
 * named by an `event:` line.
 *
 * - `response.created` and `response.in_progress` open the stream (ids and model from the first
 *   `start` event, else `options`, else a random `resp_` id).
 * - Text and refusal are `output_text` / `refusal` content parts of a `message` item; reasoning
 *   is a `reasoning` item with one `summary_text` part (`reasoning_summary_text.delta`); redacted
 *   reasoning is a reasoning item with `encrypted_content`; a reasoning signature has no place
 *   here and is dropped. Tool calls are `function_call` items (`call_id` is the event's id) with
 *   `function_call_arguments.delta` / `.done`; each call keeps its own output index, so
 *   interleaved calls stay apart. A message or reasoning item is closed when an item of another
 *   kind starts.
 * - At the end every open item is closed, and `response.completed` carries the whole output and
 *   the usage; a `length` or `content-filter` finish ends with `response.incomplete` instead.
 * - The Responses API has one choice: events of `choice` k > 0 are dropped. Output cannot be
 *   taken back in this format: a `reset` after output ends the stream with an error
 *   (`stream_restarted`, see `cannotTakeBack`) rather than add a second answer; a `reset` before
 *   output is ignored, as are in-band `error`, `progress`, `comparison`.
 * - Steps: one response has one usage, so the usage written is the sum of every step's latest
 *   snapshot (see StepUsage); `step-start`, `step-finish` and `usage-total` are dropped.
 * - On failure: an `error` event (the error both nested, as OpenAI sends it and as the `openai`
 *   SDK throws it, and at the top level, as OpenAI documents it), then `response.failed`.
 */
export function createOpenAIResponsesEncoder(write: WriteFrame, options: EncoderOptions = {}): Encoder {
  return createHoldingEncoder('openai-responses', options, (held) => responsesBody(write, held), {
    firstChoiceOnly: true,
  });
}

function responsesBody(write: WriteFrame, held: HeldResponse): EncoderBody {
  let stem = '';
  let started = false;
  let sequence = 0;
  const items: Item[] = [];
  let message: MessageItem | undefined;
  let reasoning: ReasoningItem | undefined;
  let reasoningAt = ''; // `"item_id":…,"output_index":…,"summary_index":0` of the open reasoning item
  const calls = new Map<string, FunctionCallItem>();

  const emit = (type: string, body: string): void => {
    write({ event: type, data: `{"type":"${type}","sequence_number":${sequence++},${body}}` });
  };

  const response = (status: string, tail = ''): string => {
    let output = '';
    for (const item of items) output += `${output === '' ? '' : ','}${itemJson(item)}`;
    return `{"id":${JSON.stringify(held.id)},"object":"response","created_at":${jsonNumber(held.createdSeconds)},"status":"${status}","model":${JSON.stringify(held.model ?? '')},"output":[${output}]${tail}}`;
  };

  const start = (): void => {
    if (started) return;
    started = true;
    const id = (held.id ??= randomId('resp_'));
    // Item ids are made from the response id, which may come from upstream: only safe characters
    // and a bounded length go into them, since they are spliced into every frame unescaped.
    stem = (id.startsWith('resp_') ? id.slice(5) : id).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    held.createdSeconds ??= Math.floor(Date.now() / 1000);
    emit('response.created', `"response":${response('in_progress', ',"usage":null,"error":null')}`);
    emit('response.in_progress', `"response":${response('in_progress', ',"usage":null,"error":null')}`);
  };

  const add = <T extends Item>(item: T): T => {
    items.push(item);
    emit('response.output_item.added', `"output_index":${item.outputIndex},"item":${itemJson(item)}`);
    return item;
  };

  const itemDone = (item: Item): void => {
    item.done = true;
    emit('response.output_item.done', `"output_index":${item.outputIndex},"item":${itemJson(item)}`);
  };

  const closePart = (item: MessageItem): void => {
    const part = item.parts[item.parts.length - 1];
    if (part === undefined) return;
    joinDeltas(part);
    const at = part.at;
    if (part.type === 'output_text')
      emit('response.output_text.done', `${at},"text":${JSON.stringify(part.text)},"logprobs":[]`);
    else emit('response.refusal.done', `${at},"refusal":${JSON.stringify(part.text)}`);
    emit('response.content_part.done', `${at},"part":${partJson(part)}`);
  };

  const closeMessage = (): void => {
    if (message === undefined) return;
    closePart(message);
    itemDone(message);
    message = undefined;
  };

  const closeReasoning = (): void => {
    if (reasoning === undefined) return;
    const at = reasoningAt;
    joinDeltas(reasoning);
    const text = JSON.stringify(reasoning.text);
    emit('response.reasoning_summary_text.done', `${at},"text":${text}`);
    emit('response.reasoning_summary_part.done', `${at},"part":{"type":"summary_text","text":${text}}`);
    itemDone(reasoning);
    reasoning = undefined;
  };

  /** The open message's current part of `type`, opening the message and the part as needed. */
  const part = (type: 'output_text' | 'refusal'): ContentPart => {
    if (message === undefined) {
      closeReasoning();
      start();
      message = add<MessageItem>({
        kind: 'message',
        id: `msg_${stem}_${items.length}`,
        outputIndex: items.length,
        done: false,
        parts: [],
      });
    }
    const last = message.parts[message.parts.length - 1];
    if (last !== undefined && last.type === type) return last;
    closePart(message);
    const added: ContentPart = {
      type,
      text: '',
      deltas: [],
      at: `"item_id":"${message.id}","output_index":${message.outputIndex},"content_index":${message.parts.length}`,
    };
    message.parts.push(added);
    emit('response.content_part.added', `${added.at},"part":${partJson(added)}`);
    return added;
  };

  /** Closes the open message or reasoning item and adds a new reasoning item. */
  const openReasoning = (encrypted?: string): ReasoningItem => {
    closeMessage();
    closeReasoning();
    start();
    const item: ReasoningItem = {
      kind: 'reasoning',
      id: `rs_${stem}_${items.length}`,
      outputIndex: items.length,
      done: false,
      text: '',
      deltas: [],
    };
    if (encrypted !== undefined) item.encrypted = encrypted;
    return add(item);
  };

  const openCall = (callId: string, name: string): FunctionCallItem => {
    closeMessage();
    closeReasoning();
    start();
    const item = add<FunctionCallItem>({
      kind: 'function_call',
      id: `fc_${stem}_${items.length}`,
      outputIndex: items.length,
      done: false,
      callId,
      name,
      args: '',
    });
    calls.set(callId, item);
    return item;
  };

  const argsDelta = (item: FunctionCallItem, delta: string): void => {
    item.args += delta;
    emit(
      'response.function_call_arguments.delta',
      `"item_id":"${item.id}","output_index":${item.outputIndex},"delta":${JSON.stringify(delta)}`,
    );
  };

  const closeCall = (item: FunctionCallItem): void => {
    calls.delete(item.callId);
    emit(
      'response.function_call_arguments.done',
      `"item_id":"${item.id}","output_index":${item.outputIndex},"arguments":${JSON.stringify(item.args)}`,
    );
    itemDone(item);
  };

  return {
    started: () => started,
    wroteOutput: () => items.length > 0,
    event(event) {
      switch (event.type) {
        case 'text':
        case 'refusal': {
          const current = part(event.type === 'text' ? 'output_text' : 'refusal');
          current.deltas.push(event.text);
          if (event.type === 'text')
            emit(
              'response.output_text.delta',
              `${current.at},"delta":${JSON.stringify(event.text)},"logprobs":[]`,
            );
          else emit('response.refusal.delta', `${current.at},"delta":${JSON.stringify(event.text)}`);
          return;
        }
        case 'reasoning':
          if (event.redacted !== undefined) itemDone(openReasoning(event.redacted));
          if (event.text === '') return;
          if (reasoning === undefined) {
            reasoning = openReasoning();
            reasoningAt = `"item_id":"${reasoning.id}","output_index":${reasoning.outputIndex},"summary_index":0`;
            emit(
              'response.reasoning_summary_part.added',
              `${reasoningAt},"part":{"type":"summary_text","text":""}`,
            );
          }
          reasoning.deltas.push(event.text);
          emit(
            'response.reasoning_summary_text.delta',
            `${reasoningAt},"delta":${JSON.stringify(event.text)}`,
          );
          return;
        case 'tool-call-start':
          openCall(event.id, event.name);
          return;
        case 'tool-call-delta': {
          const item = calls.get(event.id);
          if (item !== undefined && event.argsText !== '') argsDelta(item, event.argsText);
          return;
        }
        case 'tool-call': {
          const item = calls.get(event.id) ?? openCall(event.id, event.name);
          if (event.argsText.length > item.args.length)
            argsDelta(item, event.argsText.slice(item.args.length));
          closeCall(item);
          return;
        }
        default:
          return;
      }
    },
    error(error: RxllmError) {
      start();
      const [type, fallbackCode] = errorCodes[error.code] ?? errorCodes.provider;
      const code = JSON.stringify(
        error.dialect === 'openai-responses' && error.providerCode !== undefined
          ? error.providerCode
          : fallbackCode,
      );
      const text = JSON.stringify(error.providerMessage ?? error.message);
      emit(
        'error',
        `"code":${code},"message":${text},"param":null,"error":{"type":"${type}","code":${code},"message":${text},"param":null}`,
      );
      const usage = held.usage();
      emit(
        'response.failed',
        `"response":${response('failed', `,"usage":${usage === undefined ? 'null' : usageJson(usage)},"error":{"code":${code},"message":${text}}`)}`,
      );
    },
    end() {
      start();
      closeMessage();
      closeReasoning();
      for (const item of [...calls.values()]) closeCall(item);
      const incomplete = held.finish === undefined ? undefined : incompleteReasons[held.finish];
      const usage = held.usage();
      const tail = `,"usage":${usage === undefined ? 'null' : usageJson(usage)},"error":null,"incomplete_details":${incomplete === undefined ? 'null' : `{"reason":"${incomplete}"}`}`;
      if (incomplete === undefined) emit('response.completed', `"response":${response('completed', tail)}`);
      else emit('response.incomplete', `"response":${response('incomplete', tail)}`);
    },
  };
}

function joinDeltas(part: { text: string; deltas: string[] }): void {
  if (part.deltas.length === 0) return;
  part.text += part.deltas.join('');
  part.deltas.length = 0;
}

function partJson(part: ContentPart): string {
  joinDeltas(part);
  return part.type === 'output_text'
    ? `{"type":"output_text","text":${JSON.stringify(part.text)},"annotations":[],"logprobs":[]}`
    : `{"type":"refusal","refusal":${JSON.stringify(part.text)}}`;
}

function itemJson(item: Item): string {
  const status = item.done ? 'completed' : 'in_progress';
  switch (item.kind) {
    case 'message': {
      let content = '';
      for (const part of item.parts) content += `${content === '' ? '' : ','}${partJson(part)}`;
      return `{"type":"message","id":"${item.id}","status":"${status}","role":"assistant","content":[${content}]}`;
    }
    case 'reasoning': {
      joinDeltas(item);
      const summary = item.text !== '' ? `{"type":"summary_text","text":${JSON.stringify(item.text)}}` : '';
      const encrypted =
        item.encrypted === undefined ? '' : `,"encrypted_content":${JSON.stringify(item.encrypted)}`;
      return `{"type":"reasoning","id":"${item.id}","summary":[${summary}]${encrypted}}`;
    }
    case 'function_call':
      return `{"type":"function_call","id":"${item.id}","call_id":${JSON.stringify(item.callId)},"name":${JSON.stringify(item.name)},"arguments":${JSON.stringify(item.args)},"status":"${status}"}`;
  }
}

function usageJson(usage: Usage): string {
  return `{"input_tokens":${jsonNumber(usage.inputTokens)},"input_tokens_details":{"cached_tokens":${jsonNumber(usage.cachedInputTokens ?? 0)}},"output_tokens":${jsonNumber(usage.outputTokens)},"output_tokens_details":{"reasoning_tokens":${jsonNumber(usage.reasoningTokens ?? 0)}},"total_tokens":${jsonNumber(usage.totalTokens)}${usage.cost === undefined ? '' : `,"cost":${jsonNumber(usage.cost)}`}}`;
}
