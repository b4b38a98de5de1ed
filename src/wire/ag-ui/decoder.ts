import type { FinishReason, Usage } from '../../base/events';
import { RxllmError, rxllmErrorCodes, type RxllmErrorCode } from '../../base/errors';
import { codeForProviderError } from '../../base/httpError';
import { count, isObject } from '../json';
import { malformed, parseJsonOrThrow } from '../malformed';
import { parseCutOffArgs } from '../completeValuesOnly';
import { parsePartialJson } from '../parsePartialJson';
import type { Decoder, DecoderOptions, EmitEvent } from '../types';
import { textEvent } from '../textEvent';

const dialect = 'ag-ui';

const finishReasons: ReadonlySet<string> = new Set<FinishReason>([
  'stop',
  'length',
  'tool-calls',
  'content-filter',
  'refusal',
  'error',
  'cancelled',
  'other',
]);

const rxllmCodes: ReadonlySet<string> = new Set<RxllmErrorCode>(rxllmErrorCodes);

interface ToolCall {
  id: string;
  name: string;
  index: number;
  argsText: string;
  done: boolean;
  /** A TOOL_CALL_RESULT came back: the agent ran it itself. */
  answered: boolean;
}

/**
 * Decodes an AG-UI event stream (the Agent-User Interaction protocol, spoken by TanStack AI,
 * CopilotKit, LangGraph and Mastra servers) to rxllm events: one agent run as one message.
 *
 * - `RUN_STARTED` → `start` (`id`: the `runId`, `provider`: `ag-ui`).
 * - Assistant `TEXT_MESSAGE_CONTENT` / `TEXT_MESSAGE_CHUNK` → `text`; messages of other roles
 *   (a `user` or `system` message echoed by the agent) are skipped.
 * - `REASONING_MESSAGE_CONTENT` / `REASONING_MESSAGE_CHUNK` (and the older `THINKING_*` content
 *   events) → `reasoning`; `REASONING_ENCRYPTED_VALUE` of a message → `reasoning` with `redacted`.
 * - `TOOL_CALL_START` / `_ARGS` / `_END` (or `TOOL_CALL_CHUNK`s) → `tool-call-start` /
 *   `tool-call-delta` / `tool-call` (arguments that are not complete JSON: `incomplete`).
 *   Tool results (`TOOL_CALL_RESULT`) have no rxllm event and are skipped.
 * - `RUN_FINISHED` → `usage` (its `usage` entries summed) and `finish`: the reason in
 *   `metadata.rxllm.finishReason` when rxllm wrote the stream; else `cancelled` for a cancelled
 *   outcome, `tool-calls` when a tool call is left for the client to run, `stop` otherwise.
 * - `RUN_ERROR` is thrown: its `code` mapped like a provider's error type (`rate_limit_error` →
 *   `rate-limit`), or taken as is when it is an rxllm code; else `provider`.
 * - `rxllm.reset` custom events (rxllm's encoder writes them for a take-back) → `reset`.
 * - Skipped: steps (`STEP_STARTED` / `STEP_FINISHED`), state, snapshots, activities, other custom
 *   and raw events, subagents.
 *
 * A stream that ends without `RUN_FINISHED` or `RUN_ERROR` is a `network` error.
 */
export function createAGUIDecoder(emit: EmitEvent, options?: DecoderOptions): Decoder {
  const provider = options?.provider ?? dialect;
  let started = false;
  let finished = false;
  const skippedMessages = new Set<string>();
  const tools = new Map<string, ToolCall>();
  let toolCount = 0;
  let chunkTool: ToolCall | undefined; // the call TOOL_CALL_CHUNKs are extending

  const start = (id?: string): void => {
    if (started) return;
    started = true;
    emit(id === undefined ? { type: 'start', provider } : { type: 'start', id, provider });
  };

  const toolStart = (id: string, name: string): ToolCall => {
    start();
    const tool: ToolCall = { id, name, index: toolCount++, argsText: '', done: false, answered: false };
    tools.set(id, tool);
    emit({ type: 'tool-call-start', id, name, index: tool.index });
    return tool;
  };

  const toolArgs = (tool: ToolCall, delta: string): void => {
    if (tool.done || delta === '') return;
    tool.argsText += delta;
    emit({ type: 'tool-call-delta', id: tool.id, index: tool.index, argsText: delta });
  };

  const toolEnd = (tool: ToolCall): void => {
    if (tool.done) return;
    tool.done = true;
    if (chunkTool === tool) chunkTool = undefined;
    const parsed = tool.argsText === '' ? { value: {}, complete: true } : parsePartialJson(tool.argsText);
    // Cut-off arguments read as every decoder reads them: complete values only.
    const args = parsed?.complete ? parsed.value : parseCutOffArgs(tool.argsText);
    emit(
      parsed?.complete
        ? {
            type: 'tool-call',
            id: tool.id,
            name: tool.name,
            index: tool.index,
            args,
            argsText: tool.argsText,
          }
        : {
            type: 'tool-call',
            id: tool.id,
            name: tool.name,
            index: tool.index,
            args,
            argsText: tool.argsText,
            incomplete: true,
          },
    );
  };

  const text = (json: Record<string, unknown>, data: string, kind: 'text' | 'reasoning'): void => {
    const delta = json.delta;
    if (delta === undefined && json.type !== 'TEXT_MESSAGE_CONTENT') return; // a chunk may carry none
    if (typeof delta !== 'string')
      throw malformed(dialect, data, `${String(json.type)} needs a string delta`);
    if (typeof json.messageId === 'string' && skippedMessages.has(json.messageId)) return;
    start();
    if (delta !== '') emit(kind === 'text' ? textEvent(delta) : { type: kind, text: delta });
  };

  const toolById = (json: Record<string, unknown>, data: string): ToolCall => {
    const tool = typeof json.toolCallId === 'string' ? tools.get(json.toolCallId) : undefined;
    if (!tool) throw malformed(dialect, data, `${String(json.type)} for a tool call that never started`);
    return tool;
  };

  const runEnd = (json: Record<string, unknown>): void => {
    for (const tool of tools.values()) toolEnd(tool);
    const usage = sumUsage(json.usage);
    if (usage) emit({ type: 'usage', ...usage });
  };

  return {
    message(data) {
      const json = parseJsonOrThrow(dialect, data);
      if (!isObject(json) || typeof json.type !== 'string')
        throw malformed(dialect, data, 'an AG-UI event needs a type');
      switch (json.type) {
        case 'RUN_STARTED':
          start(typeof json.runId === 'string' ? json.runId : undefined);
          finished = false;
          return;
        case 'TEXT_MESSAGE_START':
        case 'TEXT_MESSAGE_CHUNK':
          if (
            typeof json.role === 'string' &&
            json.role !== 'assistant' &&
            typeof json.messageId === 'string'
          )
            skippedMessages.add(json.messageId);
          if (json.type === 'TEXT_MESSAGE_CHUNK') text(json, data, 'text');
          return;
        case 'TEXT_MESSAGE_CONTENT':
          text(json, data, 'text');
          return;
        case 'REASONING_MESSAGE_CONTENT':
        case 'REASONING_MESSAGE_CHUNK':
        case 'THINKING_TEXT_MESSAGE_CONTENT':
          text(json, data, 'reasoning');
          return;
        case 'REASONING_ENCRYPTED_VALUE':
          if (json.subtype === 'message' && typeof json.encryptedValue === 'string') {
            start();
            emit({ type: 'reasoning', text: '', redacted: json.encryptedValue });
          }
          return;
        case 'TOOL_CALL_START': {
          if (typeof json.toolCallId !== 'string' || typeof json.toolCallName !== 'string')
            throw malformed(dialect, data, 'TOOL_CALL_START needs a toolCallId and a toolCallName');
          if (!tools.has(json.toolCallId)) toolStart(json.toolCallId, json.toolCallName);
          return;
        }
        case 'TOOL_CALL_ARGS':
          if (typeof json.delta !== 'string')
            throw malformed(dialect, data, 'TOOL_CALL_ARGS needs a string delta');
          toolArgs(toolById(json, data), json.delta);
          return;
        case 'TOOL_CALL_END':
          toolEnd(toolById(json, data));
          return;
        case 'TOOL_CALL_CHUNK': {
          // The compact form: the first chunk of a call names it; later ones may omit the id.
          const id = typeof json.toolCallId === 'string' ? json.toolCallId : chunkTool?.id;
          if (id === undefined) throw malformed(dialect, data, 'TOOL_CALL_CHUNK without a toolCallId');
          let tool = tools.get(id);
          if (!tool) {
            if (typeof json.toolCallName !== 'string')
              throw malformed(dialect, data, 'the first TOOL_CALL_CHUNK of a call needs a toolCallName');
            if (chunkTool) toolEnd(chunkTool);
            tool = toolStart(id, json.toolCallName);
          }
          chunkTool = tool;
          if (typeof json.delta === 'string') toolArgs(tool, json.delta);
          return;
        }
        case 'TOOL_CALL_RESULT': {
          const tool = typeof json.toolCallId === 'string' ? tools.get(json.toolCallId) : undefined;
          if (tool) tool.answered = true;
          return;
        }
        case 'CUSTOM':
          if (json.name === 'rxllm.reset') {
            for (const tool of tools.values()) tool.done = true;
            tools.clear();
            toolCount = 0;
            const reason =
              isObject(json.value) && typeof json.value.reason === 'string' ? json.value.reason : 'reset';
            emit({ type: 'reset', reason });
          }
          return;
        case 'RUN_FINISHED': {
          start(typeof json.runId === 'string' ? json.runId : undefined);
          runEnd(json);
          finished = true;
          emit({ type: 'finish', ...finishOf(json) });
          return;
        }
        case 'RUN_ERROR': {
          start();
          runEnd(json);
          finished = true;
          const message = typeof json.message === 'string' ? json.message : 'the agent run failed';
          const providerCode = typeof json.code === 'string' ? json.code : undefined;
          const code =
            codeForProviderError(providerCode, message) ??
            (providerCode !== undefined && rxllmCodes.has(providerCode)
              ? (providerCode as RxllmErrorCode)
              : 'provider');
          throw new RxllmError(`${dialect}: ${providerCode ? `${providerCode}: ` : ''}${message}`, {
            code,
            dialect,
            providerMessage: message,
            ...(providerCode !== undefined && { providerCode }),
          });
        }
        default:
          return;
      }
    },
    end() {
      if (!finished) {
        throw new RxllmError(`${dialect}: the stream ended before RUN_FINISHED`, {
          code: 'network',
          dialect,
        });
      }
    },
  };

  function finishOf(json: Record<string, unknown>): { reason: FinishReason; rawReason?: string } {
    const meta = isObject(json.metadata) && isObject(json.metadata.rxllm) ? json.metadata.rxllm : undefined;
    if (meta && typeof meta.finishReason === 'string' && finishReasons.has(meta.finishReason))
      return { reason: meta.finishReason as FinishReason };
    const outcome = isObject(json.outcome) ? json.outcome.type : undefined;
    if (outcome === 'cancelled') return { reason: 'cancelled', rawReason: 'cancelled' };
    if (outcome === 'interrupt') return { reason: 'other', rawReason: 'interrupt' };
    for (const tool of tools.values()) if (!tool.answered) return { reason: 'tool-calls' };
    return { reason: 'stop' };
  }
}

/** The run's `TokenUsage` entries (one per model) summed. */
function sumUsage(entries: unknown): Usage | undefined {
  if (!Array.isArray(entries) || entries.length === 0) return undefined;
  const total: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  let any = false;
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    const input = count(entry.inputTokens) ?? 0;
    const output = count(entry.outputTokens) ?? 0;
    total.inputTokens += input;
    total.outputTokens += output;
    total.totalTokens += count(entry.totalTokens) ?? input + output;
    const cached = count(entry.cachedInputTokens);
    if (cached !== undefined) total.cachedInputTokens = (total.cachedInputTokens ?? 0) + cached;
    const reasoning = count(entry.reasoningTokens);
    if (reasoning !== undefined) total.reasoningTokens = (total.reasoningTokens ?? 0) + reasoning;
    any = true;
  }
  return any ? total : undefined;
}
