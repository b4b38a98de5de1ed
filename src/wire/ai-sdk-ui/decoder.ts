import type { FinishReason, Usage } from '../../base/events';
import { RxllmError } from '../../base/errors';
import { count, isObject } from '../json';
import { malformed, parseJsonOrThrow } from '../malformed';
import { parseCutOffArgs } from '../completeValuesOnly';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { textEvent } from '../textEvent';

const dialect = 'ai-sdk-ui';

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool-calls',
  'content-filter': 'content-filter',
  error: 'error',
  other: 'other',
};

interface ToolInput {
  id: string;
  name: string;
  index: number;
  argsText: string;
  done: boolean;
}

/**
 * Decodes the AI SDK's UI message stream (protocol v1: what `toUIMessageStreamResponse()` sends
 * and `useChat` reads), so an rxllm client can sit on an AI SDK backend.
 *
 * - `start` → `start` (`id` is the `messageId`, `provider` is `ai-sdk`). A later `start` with a
 *   new `messageId` after content is how rxllm's own encoder writes a `reset`, and decodes as one.
 * - `text-delta` → `text`, `reasoning-delta` → `reasoning` (Anthropic's `signature` and
 *   `redactedData` in `providerMetadata` → `signature` / `redacted`, as `@ai-sdk/anthropic`
 *   writes them).
 * - `tool-input-start` / `-delta` / `-available` → `tool-call-start` / `-delta` / `tool-call`;
 *   `tool-input-error` → a `tool-call` marked `incomplete` (its input was not valid). A call that
 *   arrives whole (`tool-input-available` alone) still gets a start and one delta.
 * - `finish` → `finish` with its `finishReason` (`tool-calls` after tool calls, else `stop`, when it
 *   has none) and, when `messageMetadata.usage` holds token counts (rxllm's encoder puts them
 *   there; an AI SDK server may via `messageMetadata`), a `usage`; `abort` → `finish` `cancelled`.
 * - `error` chunks are thrown as a `provider` error with the server's `errorText`.
 * - Not carried, skipped: tool outputs (`tool-output-*`; rxllm has no tool-result event), steps
 *   (`start-step` / `finish-step`), sources, files, `data-*` parts, approvals.
 *
 * The stream ends with `data: [DONE]`; one that ends without `finish` or `[DONE]` is a `network`
 * error.
 */
export function createAISDKUIDecoder(emit: EmitEvent, options?: DecoderOptions): Decoder {
  const provider = options?.provider ?? 'ai-sdk';
  let messageId: string | undefined;
  let started = false;
  let shown = false;
  let finished = false;
  let done = false;
  const tools = new Map<string, ToolInput>();
  let toolCount = 0;

  const start = (id?: string): void => {
    if (started) return;
    started = true;
    emit(id === undefined ? { type: 'start', provider } : { type: 'start', id, provider });
  };

  const toolStart = (id: string, name: string): ToolInput => {
    start();
    const tool: ToolInput = { id, name, index: toolCount++, argsText: '', done: false };
    tools.set(id, tool);
    shown = true;
    emit({ type: 'tool-call-start', id, name, index: tool.index });
    return tool;
  };

  const toolDone = (json: Record<string, unknown>, data: string, failed: boolean): void => {
    const id = json.toolCallId;
    const name = json.toolName;
    if (typeof id !== 'string' || typeof name !== 'string')
      throw malformed(dialect, data, `${String(json.type)} needs a toolCallId and a toolName`);
    let tool = tools.get(id);
    if (tool?.done) return;
    if (tool === undefined) {
      tool = toolStart(id, name);
      if (json.input !== undefined) {
        tool.argsText = JSON.stringify(json.input);
        emit({ type: 'tool-call-delta', id, index: tool.index, argsText: tool.argsText });
      }
    }
    tool.done = true;
    let args = json.input;
    if (args === undefined) args = parseCutOffArgs(tool.argsText);
    const argsText =
      tool.argsText === '' && isObject(args) && Object.keys(args).length > 0
        ? JSON.stringify(args)
        : tool.argsText;
    emit(
      failed
        ? { type: 'tool-call', id, name: tool.name, index: tool.index, args, argsText, incomplete: true }
        : { type: 'tool-call', id, name: tool.name, index: tool.index, args, argsText },
    );
  };

  return {
    message(data) {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      const json = parseJsonOrThrow(dialect, data);
      if (!isObject(json) || typeof json.type !== 'string')
        throw malformed(dialect, data, 'a UI message chunk needs a type');
      switch (json.type) {
        case 'start': {
          const id = typeof json.messageId === 'string' ? json.messageId : undefined;
          if (!started) start(id);
          else if (shown && id !== undefined && id !== messageId) {
            // rxllm's encoder starts a new message for a take-back; readUIMessageStream replaces.
            shown = false;
            finished = false;
            tools.clear();
            toolCount = 0;
            emit({ type: 'reset', reason: 'new-message' });
          }
          if (id !== undefined) messageId = id;
          usageFrom(json.messageMetadata);
          return;
        }
        case 'text-delta':
        case 'reasoning-delta': {
          if (typeof json.delta !== 'string')
            throw malformed(dialect, data, `${json.type} needs a string delta`);
          start();
          if (json.type === 'text-delta') {
            if (json.delta === '') return;
            shown = true;
            emit(textEvent(json.delta));
            return;
          }
          const signature = anthropicMetadata(json.providerMetadata, 'signature');
          if (json.delta === '' && signature === undefined) return;
          shown = true;
          emit(
            signature === undefined
              ? { type: 'reasoning', text: json.delta }
              : { type: 'reasoning', text: json.delta, signature },
          );
          return;
        }
        case 'reasoning-start': {
          start();
          const redacted = anthropicMetadata(json.providerMetadata, 'redactedData');
          if (redacted !== undefined) {
            shown = true;
            emit({ type: 'reasoning', text: '', redacted });
          }
          return;
        }
        case 'tool-input-start': {
          if (typeof json.toolCallId !== 'string' || typeof json.toolName !== 'string')
            throw malformed(dialect, data, 'tool-input-start needs a toolCallId and a toolName');
          if (!tools.has(json.toolCallId)) toolStart(json.toolCallId, json.toolName);
          return;
        }
        case 'tool-input-delta': {
          if (typeof json.toolCallId !== 'string' || typeof json.inputTextDelta !== 'string')
            throw malformed(dialect, data, 'tool-input-delta needs a toolCallId and an inputTextDelta');
          const tool = tools.get(json.toolCallId);
          if (tool === undefined)
            throw malformed(dialect, data, 'tool-input-delta for a tool call that never started');
          if (tool.done || json.inputTextDelta === '') return;
          tool.argsText += json.inputTextDelta;
          emit({ type: 'tool-call-delta', id: tool.id, index: tool.index, argsText: json.inputTextDelta });
          return;
        }
        case 'tool-input-available':
          toolDone(json, data, false);
          return;
        case 'tool-input-error':
          toolDone(json, data, true);
          return;
        case 'message-metadata':
          usageFrom(json.messageMetadata);
          return;
        case 'finish': {
          start();
          usageFrom(json.messageMetadata);
          finish(typeof json.finishReason === 'string' ? json.finishReason : undefined);
          return;
        }
        case 'abort':
          start();
          if (!finished) {
            finished = true;
            emit({ type: 'finish', reason: 'cancelled', rawReason: 'abort' });
          }
          return;
        case 'error': {
          const text = typeof json.errorText === 'string' ? json.errorText : 'unknown error';
          throw new RxllmError(`${dialect}: ${text}`, { code: 'provider', dialect, providerMessage: text });
        }
        default:
          return; // steps, tool outputs, sources, files, data parts: not carried by rxllm events
      }
    },
    end() {
      if (!finished && !done) {
        throw new RxllmError(`${dialect}: the stream ended before its finish chunk`, {
          code: 'network',
          dialect,
        });
      }
      if (!finished) finish(undefined);
    },
  };

  function finish(raw: string | undefined): void {
    if (finished) return;
    finished = true;
    for (const tool of tools.values()) {
      if (!tool.done) toolDone({ toolCallId: tool.id, toolName: tool.name }, '', true);
    }
    const reason =
      raw === undefined ? (toolCount > 0 ? 'tool-calls' : 'stop') : (finishReasons[raw] ?? 'other');
    emit(raw === undefined ? { type: 'finish', reason } : { type: 'finish', reason, rawReason: raw });
  }

  function usageFrom(metadata: unknown): void {
    if (!isObject(metadata) || !isObject(metadata.usage)) return;
    const usage = readUsage(metadata.usage);
    if (usage) emit({ type: 'usage', ...usage });
  }
}

/** rxllm's own usage shape (as its encoder writes it), or the AI SDK's `LanguageModelUsage`. */
function readUsage(raw: Record<string, unknown>): Usage | undefined {
  const inputTokens = count(raw.inputTokens);
  const outputTokens = count(raw.outputTokens);
  if (inputTokens === undefined || outputTokens === undefined) return undefined;
  const usage: Usage = {
    inputTokens,
    outputTokens,
    totalTokens: count(raw.totalTokens) ?? inputTokens + outputTokens,
  };
  const cached = count(raw.cachedInputTokens);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const reasoning = count(raw.reasoningTokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  const cost = count(raw.cost);
  if (cost !== undefined) usage.cost = cost;
  if (raw.estimated === true) usage.estimated = true;
  return usage;
}

function anthropicMetadata(metadata: unknown, key: 'signature' | 'redactedData'): string | undefined {
  if (!isObject(metadata) || !isObject(metadata.anthropic)) return undefined;
  const value = metadata.anthropic[key];
  return typeof value === 'string' ? value : undefined;
}
