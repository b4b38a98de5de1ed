import type { FinishReason } from '../../base/events';
import { RxllmError } from '../../base/errors';
import { count, isObject } from '../json';
import { malformed, parseJsonOrThrow } from '../malformed';
import { parseCutOffArgs } from '../completeValuesOnly';
import { parsePartialJson } from '../parsePartialJson';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { textEvent } from '../textEvent';

const dialect = 'bedrock-converse';

const stopReasons: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'tool-calls',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  guardrail_intervened: 'content-filter',
  content_filtered: 'content-filter',
};

interface ToolBlock {
  id: string;
  name: string;
  index: number;
  argsText: string;
  done: boolean;
}

/**
 * A Bedrock decoder: the wire form (`message(payload, eventType)`, one event-stream message's
 * JSON payload and its `:event-type` header) and the form the AWS SDK hands out (`event(type,
 * payload)`: its union member's key and already-parsed value) lead to the same events.
 */
export interface BedrockDecoder extends Decoder {
  event(type: string, payload: unknown): void;
}

/**
 * Decodes Amazon Bedrock's `ConverseStream` events (every model Bedrock serves through the
 * Converse API: Claude, Nova, Llama, Mistral, gpt-oss, DeepSeek, ...).
 *
 * - `messageStart` → `start` (`provider: 'bedrock'`; the stream names no id or model).
 * - `contentBlockDelta`: `text` → `text`; `reasoningContent.text` → `reasoning`,
 *   `.signature` → a reasoning `signature`, `.redactedContent` (base64 on the wire, bytes from
 *   the SDK) → `redacted` as base64; `toolUse.input` → `tool-call-delta` of the block's call.
 * - `contentBlockStart` with `toolUse` → `tool-call-start`; its `contentBlockStop` → `tool-call`
 *   with the parsed input (`incomplete` when it is not whole JSON). Bedrock's own server tools
 *   (`type: 'server_tool_use'`, e.g. Nova's code interpreter) and their `toolResult` blocks ran on
 *   Bedrock's side and are skipped.
 * - `messageStop.stopReason` → `finish` (`end_turn` / `stop_sequence` → `stop`, `tool_use` →
 *   `tool-calls`, `max_tokens` → `length`, `guardrail_intervened` / `content_filtered` →
 *   `content-filter`).
 * - `metadata.usage` → `usage`; Bedrock's `inputTokens` exclude prompt-cache reads and writes, so
 *   `inputTokens` is their sum and `cachedInputTokens` the cache reads.
 *
 * A stream that ends before `messageStop` is a `network` error. Exceptions in the stream
 * (`throttlingException`, ...) are thrown by the framing or the SDK, see `bedrockError`.
 */
export function createBedrockConverseDecoder(emit: EmitEvent, options?: DecoderOptions): BedrockDecoder {
  const provider = options?.provider ?? 'bedrock';
  let started = false;
  let stopped = false;
  const blocks = new Map<number, ToolBlock | 'skip'>();
  let toolCount = 0;

  const start = (): void => {
    if (started) return;
    started = true;
    emit({ type: 'start', provider });
  };

  const finishTool = (tool: ToolBlock, cutOff: boolean): void => {
    if (tool.done) return;
    tool.done = true;
    const parsed = tool.argsText === '' ? { value: {}, complete: true } : parsePartialJson(tool.argsText);
    // Cut-off arguments read as every decoder reads them: complete values only.
    const args = parsed?.complete ? parsed.value : parseCutOffArgs(tool.argsText);
    const base = { type: 'tool-call', id: tool.id, name: tool.name, index: tool.index, args } as const;
    emit(
      cutOff || !parsed?.complete
        ? { ...base, argsText: tool.argsText, incomplete: true }
        : { ...base, argsText: tool.argsText },
    );
  };

  const blockIndex = (payload: Record<string, unknown>, raw: () => string): number => {
    const index = payload.contentBlockIndex;
    if (typeof index !== 'number')
      throw malformed(dialect, raw(), 'a content block event needs a contentBlockIndex');
    return index;
  };

  const handle = (type: string, payload: unknown, raw: () => string): void => {
    if (!isObject(payload)) throw malformed(dialect, raw(), `${type} must be a JSON object`);
    switch (type) {
      case 'messageStart':
        start();
        return;
      case 'contentBlockStart': {
        const index = blockIndex(payload, raw);
        const begin = isObject(payload.start) ? payload.start : undefined;
        if (begin && isObject(begin.toolUse)) {
          const toolUse = begin.toolUse;
          if (typeof toolUse.toolUseId !== 'string' || typeof toolUse.name !== 'string')
            throw malformed(dialect, raw(), 'toolUse needs a toolUseId and a name');
          if (toolUse.type === 'server_tool_use') {
            blocks.set(index, 'skip');
            return;
          }
          start();
          const tool: ToolBlock = {
            id: toolUse.toolUseId,
            name: toolUse.name,
            index: toolCount++,
            argsText: '',
            done: false,
          };
          blocks.set(index, tool);
          emit({ type: 'tool-call-start', id: tool.id, name: tool.name, index: tool.index });
        } else blocks.set(index, 'skip');
        return;
      }
      case 'contentBlockDelta': {
        const index = blockIndex(payload, raw);
        const delta = payload.delta;
        if (!isObject(delta)) throw malformed(dialect, raw(), 'contentBlockDelta needs a delta object');
        start();
        if (typeof delta.text === 'string') {
          if (delta.text !== '') emit(textEvent(delta.text));
          return;
        }
        if (isObject(delta.reasoningContent)) {
          const reasoning = delta.reasoningContent;
          if (typeof reasoning.text === 'string' && reasoning.text !== '')
            emit({ type: 'reasoning', text: reasoning.text });
          if (typeof reasoning.signature === 'string')
            emit({ type: 'reasoning', text: '', signature: reasoning.signature });
          const redacted = reasoning.redactedContent;
          if (typeof redacted === 'string') emit({ type: 'reasoning', text: '', redacted });
          else if (redacted instanceof Uint8Array)
            emit({ type: 'reasoning', text: '', redacted: toBase64(redacted) });
          return;
        }
        if (isObject(delta.toolUse)) {
          const block = blocks.get(index);
          if (block === 'skip') return;
          if (block === undefined)
            throw malformed(dialect, raw(), 'a toolUse delta for a block that never started');
          const input = delta.toolUse.input;
          if (typeof input !== 'string') throw malformed(dialect, raw(), 'toolUse.input must be a string');
          if (input === '' || block.done) return;
          block.argsText += input;
          emit({ type: 'tool-call-delta', id: block.id, index: block.index, argsText: input });
        }
        return; // citations, tool results, images: not carried
      }
      case 'contentBlockStop': {
        const block = blocks.get(blockIndex(payload, raw));
        if (block !== undefined && block !== 'skip') finishTool(block, false);
        return;
      }
      case 'messageStop': {
        start();
        for (const block of blocks.values()) if (block !== 'skip') finishTool(block, true);
        stopped = true;
        const raw = typeof payload.stopReason === 'string' ? payload.stopReason : undefined;
        emit(
          raw === undefined
            ? { type: 'finish', reason: toolCount > 0 ? 'tool-calls' : 'stop' }
            : { type: 'finish', reason: stopReasons[raw] ?? 'other', rawReason: raw },
        );
        return;
      }
      case 'metadata': {
        const usage = payload.usage;
        if (!isObject(usage)) return;
        const input = count(usage.inputTokens) ?? 0;
        const output = count(usage.outputTokens) ?? 0;
        const cacheRead = count(usage.cacheReadInputTokens);
        const cacheWrite = count(usage.cacheWriteInputTokens) ?? 0;
        const inputTokens = input + (cacheRead ?? 0) + cacheWrite;
        start();
        emit({
          type: 'usage',
          inputTokens,
          outputTokens: output,
          totalTokens: count(usage.totalTokens) ?? inputTokens + output,
          ...(cacheRead !== undefined && { cachedInputTokens: cacheRead }),
          ...(cacheWrite > 0 && { cacheWriteTokens: cacheWrite }),
        });
        return;
      }
      default:
        return;
    }
  };

  return {
    message(data, event) {
      if (event === undefined)
        throw malformed(dialect, data, 'an event-stream message without an :event-type');
      handle(event, parseJsonOrThrow(dialect, data), () => data);
    },
    event(type, payload) {
      handle(type, payload, () => safeJson(payload));
    },
    end() {
      if (!stopped) {
        for (const block of blocks.values()) if (block !== 'skip') finishTool(block, true);
        throw new RxllmError(`${dialect}: the stream ended before messageStop`, { code: 'network', dialect });
      }
    },
  };
}

/** Base64 of bytes without Node's Buffer, so the decoder runs in a browser too. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let at = 0; at < bytes.length; at += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(binary);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) =>
      inner instanceof Uint8Array ? `<${inner.length} bytes>` : inner,
    );
  } catch {
    return String(value);
  }
}
