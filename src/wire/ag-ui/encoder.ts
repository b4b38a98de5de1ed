import type { FinishReason } from '../../base/events';
import type { RxllmError } from '../../base/errors';
import { StepUsage } from '../stepUsage';
import { randomId } from '../randomId';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';

/**
 * Encodes rxllm events as an AG-UI event stream (the Agent-User Interaction protocol, as
 * `@ag-ui/client`'s `HttpAgent` reads it over SSE: `data:`-only JSON events named by `type`).
 *
 * - `RUN_STARTED` first (`runId`: the `start` event's id, else `options.id`, else random;
 *   `threadId`: `options.threadId`, which a server should echo from the request's
 *   `RunAgentInput`, else random), written at the first event of any kind.
 * - Text: `TEXT_MESSAGE_START` (role `assistant`), `TEXT_MESSAGE_CONTENT` per delta,
 *   `TEXT_MESSAGE_END` when something else starts. Refusal text is written as text (AG-UI has no
 *   refusal).
 * - Reasoning: `REASONING_START`, `REASONING_MESSAGE_START` / `_CONTENT` / `_END`, `REASONING_END`;
 *   redacted reasoning as `REASONING_ENCRYPTED_VALUE` (subtype `message`). Anthropic's thinking
 *   signature has no AG-UI event and is dropped.
 * - Tool calls: `TOOL_CALL_START` (`parentMessageId`: the open text message, if any),
 *   `TOOL_CALL_ARGS` per argument delta, `TOOL_CALL_END`.
 * - Usage and finish reason are held: `RUN_FINISHED` comes last, with `usage: [TokenUsage]` and
 *   `outcome: {type: 'cancelled'}` for a `cancelled` finish; the finish reason itself has no
 *   AG-UI field, so it rides in `metadata.rxllm.finishReason` (rxllm's decoder reads it back;
 *   other clients ignore it).
 * - `reset` (a retry or fallback took shown output back): AG-UI has no take-back, so the open
 *   messages are ended and a `CUSTOM` event named `rxllm.reset` (`value: {reason}`) is written;
 *   what follows goes into new messages. rxllm's decoder turns it back into a `reset`; other
 *   clients keep the old messages, so put reset-producing operators where that is acceptable.
 * - On failure: open messages and tool calls are ended, then `RUN_ERROR` with the provider's
 *   message and code (`providerCode`, else rxllm's code) and the usage known so far.
 * - One message per stream: events of `choice` k > 0 are dropped, as are in-band `error`,
 *   `progress` and `comparison` events.
 *
 * Every value that comes from the stream is written through `JSON.stringify`, so no text,
 * id or name can break out of its frame.
 */
export function createAGUIEncoder(write: WriteFrame, options: EncoderOptions = {}): Encoder {
  let runId = options.id;
  const threadId = options.threadId ?? randomId('thread_');
  let started = false;
  let model: string | undefined;
  let provider: string | undefined;
  let parts = 0;
  // The open text or reasoning message ('' when none), its kind and its frame prefix.
  let openId = '';
  let openKind: 'text' | 'reasoning' = 'text';
  let contentPrefix = '';
  const tools = new Map<string, number>(); // open call id → characters of arguments written
  // Every step's usage (a retry's failed attempt, a tool loop's earlier calls), summed as the fold counts it.
  const stepUsage = new StepUsage();
  let finish: FinishReason | undefined;

  const frame = (json: string): void => write({ data: json });

  const start = (): void => {
    if (started) return;
    started = true;
    runId ??= randomId('run_');
    frame(`{"type":"RUN_STARTED","threadId":${JSON.stringify(threadId)},"runId":${JSON.stringify(runId)}}`);
  };

  const closeOpen = (): void => {
    if (openId === '') return;
    if (openKind === 'text') frame(`{"type":"TEXT_MESSAGE_END","messageId":${openId}}`);
    else {
      frame(`{"type":"REASONING_MESSAGE_END","messageId":${openId}}`);
      frame(`{"type":"REASONING_END","messageId":${openId}}`);
    }
    openId = '';
  };

  /** Opens a message of `kind` unless one is open; returns the JSON-quoted message id. */
  const open = (kind: 'text' | 'reasoning'): void => {
    if (openId !== '' && openKind === kind) return;
    closeOpen();
    start();
    openKind = kind;
    openId = JSON.stringify(`${runId}-${kind}-${parts++}`);
    if (kind === 'text') {
      frame(`{"type":"TEXT_MESSAGE_START","messageId":${openId},"role":"assistant"}`);
      contentPrefix = `{"type":"TEXT_MESSAGE_CONTENT","messageId":${openId},"delta":`;
    } else {
      frame(`{"type":"REASONING_START","messageId":${openId}}`);
      frame(`{"type":"REASONING_MESSAGE_START","messageId":${openId},"role":"reasoning"}`);
      contentPrefix = `{"type":"REASONING_MESSAGE_CONTENT","messageId":${openId},"delta":`;
    }
  };

  const toolStart = (id: string, name: string): void => {
    start();
    const parent = openKind === 'text' && openId !== '' ? `,"parentMessageId":${openId}` : '';
    closeOpen();
    tools.set(id, 0);
    frame(
      `{"type":"TOOL_CALL_START","toolCallId":${JSON.stringify(id)},"toolCallName":${JSON.stringify(name)}${parent}}`,
    );
  };

  const toolArgs = (id: string, delta: string): void => {
    frame(`{"type":"TOOL_CALL_ARGS","toolCallId":${JSON.stringify(id)},"delta":${JSON.stringify(delta)}}`);
  };

  /** Ends whatever is open: the text or reasoning message and every unfinished tool call. */
  const closeAll = (): void => {
    closeOpen();
    for (const id of tools.keys()) frame(`{"type":"TOOL_CALL_END","toolCallId":${JSON.stringify(id)}}`);
    tools.clear();
  };

  const usageField = (): string => {
    const usage = stepUsage.total();
    if (usage === undefined) return '';
    return `,"usage":[${JSON.stringify({
      ...(provider !== undefined && { provider }),
      ...(model !== undefined && { model }),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.totalTokens,
      reasoningTokens: usage.reasoningTokens,
      cachedInputTokens: usage.cachedInputTokens,
    })}]`;
  };

  return {
    event(event) {
      if ('choice' in event && event.choice !== undefined && event.choice !== 0) return;
      switch (event.type) {
        case 'text':
        case 'refusal':
          open('text');
          frame(`${contentPrefix}${JSON.stringify(event.text)}}`);
          return;
        case 'reasoning':
          if (event.text !== '') {
            open('reasoning');
            frame(`${contentPrefix}${JSON.stringify(event.text)}}`);
          }
          if (event.redacted !== undefined) {
            open('reasoning');
            frame(
              `{"type":"REASONING_ENCRYPTED_VALUE","subtype":"message","entityId":${openId},"encryptedValue":${JSON.stringify(event.redacted)}}`,
            );
          }
          return;
        case 'tool-call-start':
          toolStart(event.id, event.name);
          return;
        case 'tool-call-delta': {
          const written = tools.get(event.id);
          if (written === undefined || event.argsText === '') return;
          tools.set(event.id, written + event.argsText.length);
          toolArgs(event.id, event.argsText);
          return;
        }
        case 'tool-call': {
          if (!tools.has(event.id)) toolStart(event.id, event.name);
          const written = tools.get(event.id)!;
          tools.delete(event.id);
          if (event.argsText.length > written) toolArgs(event.id, event.argsText.slice(written));
          frame(`{"type":"TOOL_CALL_END","toolCallId":${JSON.stringify(event.id)}}`);
          return;
        }
        case 'usage':
          stepUsage.add(event);
          return;
        case 'step-start':
          stepUsage.start(event);
          return;
        case 'finish':
          finish = event.reason;
          return;
        case 'start':
          if (!started) {
            if (event.id !== undefined) runId = event.id;
            model = event.model;
            provider = event.provider;
            start();
          }
          return;
        case 'reset':
          if (!started) return;
          closeAll();
          finish = undefined;
          frame(`{"type":"CUSTOM","name":"rxllm.reset","value":{"reason":${JSON.stringify(event.reason)}}}`);
          return;
        default:
          return;
      }
    },
    error(error: RxllmError) {
      start();
      closeAll();
      const code = error.providerCode ?? error.code;
      frame(
        `{"type":"RUN_ERROR","message":${JSON.stringify(error.providerMessage ?? error.message)},"code":${JSON.stringify(code)}${usageField()}}`,
      );
    },
    end() {
      start();
      closeAll();
      let json = `{"type":"RUN_FINISHED","threadId":${JSON.stringify(threadId)},"runId":${JSON.stringify(runId)}`;
      if (finish === 'cancelled') json += ',"outcome":{"type":"cancelled"}';
      json += usageField();
      if (finish !== undefined) json += `,"metadata":{"rxllm":{"finishReason":"${finish}"}}`;
      frame(`${json}}`);
    },
  };
}
