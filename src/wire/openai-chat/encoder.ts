import type { FinishReason, RxllmEvent, Usage } from '../../base/events';
import type { RxllmError, RxllmErrorCode } from '../../base/errors';
import { randomId } from '../randomId';
import { createHoldingEncoder, type EncoderBody, type HeldResponse } from '../createHoldingEncoder';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';
import { jsonNumber } from '../jsonNumber';

/** rxllm's finish reasons in OpenAI's words; OpenAI has no word for the last four, and says `stop`. */
const finishReasons: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  refusal: 'stop',
  error: 'stop',
  cancelled: 'stop',
  other: 'stop',
};

/**
 * The `type` and `code` OpenAI uses for each kind of failure. The codes are ones every
 * OpenAI-compatible reader (rxllm's decoder included) maps back to the same kind.
 */
const errorShapes: Record<RxllmErrorCode, [type: string, code: string | null]> = {
  network: ['server_error', null],
  http: ['server_error', null],
  auth: ['invalid_request_error', 'invalid_api_key'],
  'rate-limit': ['requests', 'rate_limit_exceeded'],
  overloaded: ['server_error', 'server_overloaded'],
  'context-length': ['invalid_request_error', 'context_length_exceeded'],
  timeout: ['server_error', 'timeout_error'],
  malformed: ['server_error', null],
  provider: ['server_error', null],
  aborted: ['server_error', null],
  'invalid-argument': ['invalid_request_error', null],
  'limit-exceeded': ['server_error', null],
  tool: ['server_error', null],
};

/**
 * Encodes rxllm events as OpenAI Chat Completions chunks (`chat.completion.chunk`), the format
 * the `openai` SDK, LangChain and every OpenAI-compatible client read.
 *
 * - The first delta of each choice carries `role: "assistant"`; `start` itself writes nothing.
 * - Reasoning is `delta.reasoning_content` (DeepSeek, vLLM, llama.cpp); a signature or
 *   redacted reasoning has no place in this format and is dropped.
 * - Tool calls are `delta.tool_calls[{ index, id, type, function: { name, arguments } }]`; a call
 *   that arrives complete (no `tool-call-start`) is written as one delta.
 * - Usage is held and written last, as OpenAI's `stream_options.include_usage` chunk with
 *   `choices: []`, whenever it arrived; then `data: [DONE]`.
 * - `choice` k is `choices[].index` k. Text cannot be taken back in this format: a `reset` after
 *   output ends the stream with an error (`code: "stream_restarted"`, see `cannotTakeBack`)
 *   instead of writing a second answer after the first; a `reset` before output is ignored, as
 *   are in-band `error`, `progress` and `comparison` events.
 * - Steps: one response has one usage, so the usage written is the sum of every step's latest
 *   snapshot (see StepUsage); `step-start`, `step-finish` and `usage-total` are dropped.
 * - On failure: the usage chunk if usage had arrived, then
 *   `{"error":{"message","type","code","param"}}` (what the `openai` SDK throws as an `APIError`;
 *   `status_code` too for an HTTP-style failure, as Groq sends it), then `[DONE]` as OpenRouter
 *   does, so readers waiting for it do not hang.
 *
 * Ids and the model come from the first `start` event, else from `options`, else a random
 * `chatcmpl-` id; they are fixed at the first frame.
 */
export function createOpenAIChatEncoder(write: WriteFrame, options: EncoderOptions = {}): Encoder {
  return createHoldingEncoder('openai-chat', options, (held) => openAIChatBody(write, held));
}

function openAIChatBody(write: WriteFrame, held: HeldResponse): EncoderBody {
  return new OpenAIChatBody(write, held);
}

/**
 * One object with prototype methods rather than a closure per method over a scope: a relay holds
 * one per open stream, thousands at once.
 */
class OpenAIChatBody implements EncoderBody {
  // `{"id":…,"object":…,"created":…,"model":…,"choices":[`, built once: each chunk is this prefix
  // plus one choice, so a token costs one template literal and one JSON.stringify of its text.
  #prefix: string | undefined = undefined;
  // A Set, not an array indexed by choice: an array would be filled up to the index.
  // Choice 0 in a flag, others in a Set made for them: most streams have one choice, and an
  // empty Set is ~150 bytes per open stream.
  #roleSent0 = false;
  #roleSent: Set<number> | undefined = undefined;
  // Characters of arguments already written per call id, to write only what a final call adds.
  // Made with the first streamed tool call: most streams have none.
  #streamedArgs: Map<string, number> | undefined = undefined;
  // Output has been written that a `reset` would have to take back.
  #wroteContent = false;

  readonly #write: WriteFrame;
  readonly #held: HeldResponse;

  constructor(write: WriteFrame, held: HeldResponse) {
    this.#write = write;
    this.#held = held;
  }

  #head(): string {
    if (this.#prefix === undefined) {
      const held = this.#held;
      held.id ??= randomId('chatcmpl-');
      held.createdSeconds ??= Math.floor(Date.now() / 1000);
      this.#prefix = `{"id":${JSON.stringify(held.id)},"object":"chat.completion.chunk","created":${jsonNumber(held.createdSeconds)},"model":${JSON.stringify(held.model ?? '')},"choices":[`;
    }
    return this.#prefix;
  }

  #delta(choice: number, body: string, finishReason = 'null'): void {
    this.#wroteContent ||= body !== '';
    let role = '';
    if (choice === 0 ? !this.#roleSent0 : !this.#roleSent?.has(choice)) {
      if (choice === 0) this.#roleSent0 = true;
      else (this.#roleSent ??= new Set()).add(choice);
      role = body === '' ? '"role":"assistant"' : '"role":"assistant",';
    }
    this.#write({
      data: `${this.#head()}{"index":${jsonNumber(choice)},"delta":{${role}${body}},"finish_reason":${finishReason}}]}`,
    });
  }

  started(): boolean {
    return this.#prefix !== undefined;
  }

  wroteOutput(): boolean {
    return this.#wroteContent;
  }

  event(event: RxllmEvent): void {
    switch (event.type) {
      case 'text':
        this.#delta(event.choice ?? 0, `"content":${JSON.stringify(event.text)}`);
        return;
      case 'reasoning':
        if (event.text !== '')
          this.#delta(event.choice ?? 0, `"reasoning_content":${JSON.stringify(event.text)}`);
        return;
      case 'refusal':
        this.#delta(event.choice ?? 0, `"refusal":${JSON.stringify(event.text)}`);
        return;
      case 'tool-call-start':
        (this.#streamedArgs ??= new Map()).set(event.id, 0);
        this.#delta(
          event.choice ?? 0,
          `"tool_calls":[{"index":${jsonNumber(event.index)},"id":${JSON.stringify(event.id)},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":""}}]`,
        );
        return;
      case 'tool-call-delta': {
        if (event.argsText === '') return;
        const streamedArgs = (this.#streamedArgs ??= new Map());
        streamedArgs.set(event.id, (streamedArgs.get(event.id) ?? 0) + event.argsText.length);
        this.#delta(
          event.choice ?? 0,
          `"tool_calls":[{"index":${jsonNumber(event.index)},"function":{"arguments":${JSON.stringify(event.argsText)}}}]`,
        );
        return;
      }
      case 'tool-call': {
        const streamed = this.#streamedArgs?.get(event.id);
        this.#streamedArgs?.delete(event.id);
        if (streamed === undefined) {
          this.#delta(
            event.choice ?? 0,
            `"tool_calls":[{"index":${jsonNumber(event.index)},"id":${JSON.stringify(event.id)},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":${JSON.stringify(event.argsText)}}}]`,
          );
        } else if (event.argsText.length > streamed) {
          this.#delta(
            event.choice ?? 0,
            `"tool_calls":[{"index":${jsonNumber(event.index)},"function":{"arguments":${JSON.stringify(event.argsText.slice(streamed))}}}]`,
          );
        }
        return;
      }
      case 'finish':
        this.#delta(event.choice ?? 0, '', `"${finishReasons[event.reason]}"`);
        return;
      default:
        return;
    }
  }

  error(error: RxllmError): void {
    const write = this.#write;
    // Usage that arrived before the failure is not lost: its chunk goes first.
    const usage = this.#held.usage();
    if (usage !== undefined) write({ data: `${this.#head()}],"usage":${openAIUsage(usage)}}` });
    const [type, code] = errorShapes[error.code] ?? errorShapes.provider;
    const providerCode = error.dialect === 'openai-chat' ? error.providerCode : undefined;
    // `status_code` (as Groq sends it) keeps an HTTP-style failure an `http` error for readers.
    const status = error.status === undefined ? '' : `,"status_code":${jsonNumber(error.status)}`;
    write({
      data: `{"error":{"message":${JSON.stringify(error.providerMessage ?? error.message)},"type":"${type}","code":${JSON.stringify(providerCode ?? code)},"param":null${status}}}`,
    });
    write({ data: '[DONE]' });
  }

  end(): void {
    const usage = this.#held.usage();
    if (usage !== undefined) this.#write({ data: `${this.#head()}],"usage":${openAIUsage(usage)}}` });
    this.#write({ data: '[DONE]' });
  }
}

function openAIUsage(usage: Usage): string {
  let json = `{"prompt_tokens":${jsonNumber(usage.inputTokens)},"completion_tokens":${jsonNumber(usage.outputTokens)},"total_tokens":${jsonNumber(usage.totalTokens)}`;
  if (usage.cachedInputTokens !== undefined)
    json += `,"prompt_tokens_details":{"cached_tokens":${jsonNumber(usage.cachedInputTokens)}}`;
  if (usage.reasoningTokens !== undefined)
    json += `,"completion_tokens_details":{"reasoning_tokens":${jsonNumber(usage.reasoningTokens)}}`;
  if (usage.cost !== undefined) json += `,"cost":${jsonNumber(usage.cost)}`;
  return `${json}}`;
}
