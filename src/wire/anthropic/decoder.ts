import { parseKeepingShape } from '../keepShapes';
import type { FinishReason, StartEvent, UsageEvent } from '../../base/events';
import { RxllmError } from '../../base/errors';
import { parseCutOffArgs } from '../completeValuesOnly';
import { inBandError } from '../../base/httpError';
import { count, isObject } from '../json';
import { malformed } from '../malformed';
import { parsePartialJson } from '../parsePartialJson';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { anthropicTextDelta } from './anthropicTextDelta';
import { textEvent } from '../textEvent';

const dialect = 'anthropic';

/** A text block's `content_block_start` with no text yet, in the field order Anthropic writes. */
const textBlockStart =
  /^\{"type":"content_block_start","index":(0|[1-9]\d{0,8}),"content_block":\{"type":"text","text":""\}\}$/;

/** What a content block is, by index; only tool blocks need state beyond their kind. */
interface ToolBlock {
  id: string;
  name: string;
  /** The call's position among this message's tool calls (0, 1, ...), not the block index. */
  index: number;
  argsText: string;
  /** `input` from `content_block_start`, used only when no `input_json_delta` arrives. */
  input: unknown;
  done: boolean;
}

type Block = 'text' | 'thinking' | 'other' | ToolBlock;

interface AnthropicUsage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
}

/**
 * Decodes the Anthropic Messages API stream (`message_start`, `content_block_*`,
 * `message_delta`, `message_stop`, `ping`, `error`).
 *
 * Usage arrives in two halves, input counts in `message_start` and output counts in
 * `message_delta`. A first snapshot is emitted at `message_start` (so a stream that fails mid-way
 * still reports its input tokens), the merged one at `message_delta`. Anthropic's
 * `input_tokens` excludes prompt-cache reads and writes, so `inputTokens` is their sum and
 * `cachedInputTokens` the cache reads. A tool call still open when the message stops (at
 * `max_tokens`) is emitted with `incomplete: true` and the best partial parse of its arguments.
 *
 * A text delta is read by {@link anthropicTextDelta} without parsing the whole message;
 * `fastPath: false` reads every message in full (the reference the tests hold the fast path to).
 * The events a stream is made of (text, start, usage, finish) are created with every field they
 * may get, unknown ones undefined and `seq` last, in the order the fields were once added, so that
 * their JSON is unchanged: see {@link textEvent} for why.
 */
export function createAnthropicDecoder(emit: EmitEvent, options?: DecoderOptions, fastPath = true): Decoder {
  return new AnthropicDecoder(emit, options?.provider ?? dialect, fastPath);
}

/**
 * The decoder as one object with prototype methods (`#private`, which a minifier shortens) rather
 * than a scope and a dozen closures made anew for each stream: the methods, their optimized code
 * and the object's hidden class outlive the stream (and a full GC, with the specimen that
 * `keepShapes` holds), and a relay holds one decoder per open stream, thousands at once.
 */
class AnthropicDecoder implements Decoder {
  readonly #emit: EmitEvent;
  readonly #provider: string;
  readonly #fastPath: boolean;
  #started = false;
  #stopped = false;
  #failed = false;
  #finished = false;
  // By the wire's block index: block 0, which a plain text reply has alone, in a field of its own;
  // the others in a Map made for them (a Map, not an array: the index comes from the wire, and an
  // array would be filled up to it). An array or a Map for one block costs ~150 B per open stream.
  #block0: Block | undefined = undefined;
  #blocks: Map<number, Block> | undefined = undefined;
  // Made at the first tool call: most streams have none.
  #tools: ToolBlock[] | undefined = undefined;
  #startUsage: AnthropicUsage | undefined = undefined;

  constructor(emit: EmitEvent, provider: string, fastPath: boolean) {
    this.#emit = emit;
    this.#provider = provider;
    this.#fastPath = fastPath;
  }

  #block(index: number): Block | undefined {
    return index === 0 ? this.#block0 : this.#blocks?.get(index);
  }

  #setBlock(index: number, block: Block): void {
    if (index === 0) this.#block0 = block;
    else (this.#blocks ??= new Map()).set(index, block);
  }

  #finishTool(tool: ToolBlock, cutOff: boolean): void {
    tool.done = true;
    let argsText = tool.argsText;
    let args: unknown;
    let incomplete = cutOff;
    if (argsText === '') {
      // A tool without arguments streams one empty `partial_json`, or none at all; a proxy that
      // does not stream input may send it whole in `content_block_start`.
      const input = tool.input;
      if (isObject(input) && Object.keys(input).length > 0) {
        args = input;
        argsText = JSON.stringify(input);
      } else args = {};
    } else {
      const parsed = parsePartialJson(argsText);
      if (parsed?.complete) args = parsed.value;
      else {
        incomplete = true;
        // Cut off (at max_tokens): complete values only, an unfinished last string or number
        // dropped, as both Anthropic SDKs' `finalMessage()` read it.
        args = parseCutOffArgs(argsText);
      }
    }
    this.#emit(
      incomplete
        ? { type: 'tool-call', id: tool.id, name: tool.name, index: tool.index, args, argsText, incomplete }
        : { type: 'tool-call', id: tool.id, name: tool.name, index: tool.index, args, argsText },
    );
  }

  /** Emits every tool call whose block never stopped: the stream was cut off inside it. */
  #flushOpenTools(): void {
    const tools = this.#tools;
    if (tools !== undefined) for (const tool of tools) if (!tool.done) this.#finishTool(tool, true);
  }

  #contentBlockStart(json: Record<string, unknown>, data: string): void {
    const index = json.index;
    const block = json.content_block as Record<string, unknown> | undefined;
    if (typeof index !== 'number' || !isObject(block) || typeof block.type !== 'string')
      throw malformed(dialect, data, 'content_block_start needs an index and a content_block with a type');
    switch (block.type) {
      case 'text':
        this.#setBlock(index, 'text');
        if (typeof block.text === 'string' && block.text !== '') this.#emit(textEvent(block.text));
        return;
      case 'thinking':
        this.#setBlock(index, 'thinking');
        if (typeof block.thinking === 'string' && block.thinking !== '')
          this.#emit({ type: 'reasoning', text: block.thinking });
        return;
      case 'redacted_thinking':
        // The whole encrypted payload arrives here; there are no deltas.
        if (typeof block.data !== 'string')
          throw malformed(dialect, data, 'redacted_thinking block without a data string');
        this.#setBlock(index, 'other');
        this.#emit({ type: 'reasoning', text: '', redacted: block.data });
        return;
      case 'tool_use': {
        if (typeof block.id !== 'string' || typeof block.name !== 'string')
          throw malformed(dialect, data, 'tool_use block without an id and a name');
        const tools = (this.#tools ??= []);
        const tool: ToolBlock = {
          id: block.id,
          name: block.name,
          index: tools.length,
          argsText: '',
          input: block.input,
          done: false,
        };
        this.#setBlock(index, tool);
        tools.push(tool);
        this.#emit({ type: 'tool-call-start', id: tool.id, name: tool.name, index: tool.index });
        return;
      }
      default:
        // server_tool_use, web_search_tool_result, ...: not this client's to run or show.
        this.#setBlock(index, 'other');
        return;
    }
  }

  #contentBlockDelta(json: Record<string, unknown>, data: string): void {
    const delta = json.delta as Record<string, unknown> | undefined;
    if (typeof json.index !== 'number' || !isObject(delta))
      throw malformed(dialect, data, 'content_block_delta needs an index and a delta');
    switch (delta.type) {
      case 'text_delta': {
        const text = delta.text;
        if (typeof text !== 'string') throw malformed(dialect, data, 'text_delta without text');
        if (text !== '') this.#emit(textEvent(text));
        return;
      }
      case 'thinking_delta': {
        const text = delta.thinking;
        if (typeof text !== 'string') throw malformed(dialect, data, 'thinking_delta without thinking');
        if (text !== '') this.#emit({ type: 'reasoning', text });
        return;
      }
      case 'signature_delta': {
        const signature = delta.signature;
        if (typeof signature !== 'string')
          throw malformed(dialect, data, 'signature_delta without a signature');
        this.#emit({ type: 'reasoning', text: '', signature });
        return;
      }
      case 'input_json_delta': {
        const fragment = delta.partial_json;
        if (typeof fragment !== 'string')
          throw malformed(dialect, data, 'input_json_delta without partial_json');
        const block = this.#block(json.index);
        if (block === undefined)
          throw malformed(dialect, data, 'input_json_delta for a block that never started');
        // Server tool blocks also stream input; only client tool calls are surfaced.
        if (typeof block !== 'object' || fragment === '') return;
        block.argsText += fragment;
        this.#emit({ type: 'tool-call-delta', id: block.id, index: block.index, argsText: fragment });
        return;
      }
      default:
        return; // citations_delta and whatever comes next
    }
  }

  #contentBlockStop(json: Record<string, unknown>, data: string): void {
    if (typeof json.index !== 'number') throw malformed(dialect, data, 'content_block_stop without an index');
    const block = this.#block(json.index);
    if (typeof block === 'object' && !block.done) this.#finishTool(block, false);
  }

  #messageStart(json: Record<string, unknown>, data: string): void {
    const message = json.message as Record<string, unknown> | undefined;
    if (!isObject(message)) throw malformed(dialect, data, 'message_start without a message');
    // A repeated message_start is the same message announced twice: one start, nothing reset.
    if (this.#started) return;
    this.#started = true;
    if (isObject(message.usage)) this.#startUsage = message.usage as AnthropicUsage;
    const start: StartEvent = {
      type: 'start',
      provider: this.#provider,
      id: undefined,
      model: undefined,
      seq: undefined,
    };
    if (typeof message.id === 'string') start.id = message.id;
    if (typeof message.model === 'string') start.model = message.model;
    this.#emit(start);
    // The input counts are known now; reporting them at once means a stream that fails
    // before message_delta still says what its prompt cost. Zero input means "not known"
    // (a real prompt has tokens; rxllm's own encoder writes zeros when it had no usage).
    const startUsage = this.#startUsage;
    if (
      startUsage &&
      (count(startUsage.input_tokens) ?? 0) + (count(startUsage.cache_read_input_tokens) ?? 0) > 0
    )
      this.#emitUsage(startUsage);
  }

  #messageDelta(json: Record<string, unknown>, data: string): void {
    const delta = json.delta as Record<string, unknown> | undefined;
    const usage = json.usage as AnthropicUsage | undefined;
    if (!isObject(delta) || (usage != null && !isObject(usage)))
      throw malformed(dialect, data, 'message_delta needs a delta object (and usage, if any, an object)');
    const rawReason = delta.stop_reason;
    if (typeof rawReason === 'string' && !this.#finished) {
      this.#flushOpenTools();
      this.#finished = true;
      this.#emit({
        type: 'finish',
        reason: finishReason(rawReason),
        rawReason,
        choice: undefined,
        seq: undefined,
      });
    }
    if (isObject(usage)) this.#emitUsage(usage);
  }

  #messageStop(): void {
    this.#flushOpenTools();
    this.#stopped = true;
    // A message that stops without a stop_reason still ends in a finish, so that what is
    // re-encoded says how it ended: after a tool call, that tools are due.
    if (!this.#finished) {
      this.#finished = true;
      this.#emit({
        type: 'finish',
        reason: this.#tools !== undefined && this.#tools.length > 0 ? 'tool-calls' : 'stop',
        rawReason: null,
        choice: undefined,
        seq: undefined,
      });
    }
  }

  #emitUsage(delta: AnthropicUsage): void {
    // message_delta's counts are cumulative and may repeat the input counts; where it omits one,
    // message_start's value stands.
    const startUsage = this.#startUsage;
    const input = count(delta.input_tokens) ?? count(startUsage?.input_tokens) ?? 0;
    const cacheRead = count(delta.cache_read_input_tokens) ?? count(startUsage?.cache_read_input_tokens);
    const cacheWrite =
      count(delta.cache_creation_input_tokens) ?? count(startUsage?.cache_creation_input_tokens) ?? 0;
    const output = count(delta.output_tokens) ?? count(startUsage?.output_tokens) ?? 0;
    const inputTokens = input + (cacheRead ?? 0) + cacheWrite;
    const usage: UsageEvent = {
      type: 'usage',
      inputTokens,
      outputTokens: output,
      totalTokens: inputTokens + output,
      cachedInputTokens: undefined,
      cacheWriteTokens: undefined,
      seq: undefined,
    };
    if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
    // Writes cost more than input (1.25x for 5 minutes): kept apart so that they can be priced.
    if (cacheWrite > 0) usage.cacheWriteTokens = cacheWrite;
    this.#emit(usage);
  }

  message(data: string, event?: string): void {
    // After message_stop the message is finished: nothing is appended, a late error fails nothing.
    if (this.#stopped || this.#failed) return;
    if (this.#fastPath) {
      const text = anthropicTextDelta(data);
      if (text !== undefined) {
        if (text !== '') this.#emit(textEvent(text));
        return;
      }
      // Anthropic's keep-alive and the start of a text block, as it writes them (both come
      // before the first text): nothing to parse but the block's index.
      if (data === '{"type": "ping"}') return;
      const textStart = textBlockStart.exec(data);
      if (textStart !== null) {
        this.#setBlock(Number(textStart[1]), 'text');
        return;
      }
    }
    let json: unknown;
    try {
      json = parseKeepingShape(data);
    } catch (error) {
      // An error event whose body is not JSON is still the provider's error, not a broken stream.
      if (event === 'error') {
        this.#failed = true;
        throw new RxllmError(`anthropic: ${data}`, { code: 'provider', dialect });
      }
      throw malformed(dialect, data, 'invalid JSON', error);
    }
    if (!isObject(json)) throw malformed(dialect, data, 'expected a JSON object');
    const type = typeof json.type === 'string' ? json.type : event;
    switch (type) {
      case 'content_block_delta':
        this.#contentBlockDelta(json, data);
        return;
      case 'ping':
        return;
      case 'content_block_start':
        this.#contentBlockStart(json, data);
        return;
      case 'content_block_stop':
        this.#contentBlockStop(json, data);
        return;
      case 'message_start':
        this.#messageStart(json, data);
        return;
      case 'message_delta':
        this.#messageDelta(json, data);
        return;
      case 'message_stop':
        this.#messageStop();
        return;
      case 'error':
        this.#failed = true;
        throw providerError(json, data);
      default:
        return; // a newer event type
    }
  }

  end(): void {
    if (this.#stopped || this.#failed) return;
    this.#flushOpenTools();
    throw new RxllmError('anthropic: stream ended before message_stop', { code: 'network', dialect });
  }

  ended(): boolean {
    return this.#stopped;
  }
}

function providerError(json: Record<string, unknown>, data: string): RxllmError {
  const error = json.error as Record<string, unknown> | undefined;
  if (!isObject(error)) return malformed(dialect, data, 'error event without an error object');
  const type = typeof error.type === 'string' ? error.type : undefined;
  const message = typeof error.message === 'string' ? error.message : 'unknown error';
  const requestId = typeof json.request_id === 'string' ? json.request_id : undefined;
  // api_error (500) and overloaded_error (529) are retryable, as their HTTP statuses are.
  return inBandError({
    dialect,
    label: 'anthropic',
    message,
    providerCodes: [type],
    ...(requestId !== undefined && { requestId }),
  });
}

function finishReason(raw: string): FinishReason {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'refusal';
    default:
      return 'other'; // pause_turn and anything newer
  }
}
