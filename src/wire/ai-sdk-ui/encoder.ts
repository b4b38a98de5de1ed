import type { FinishReason, Usage } from '../../base/events';
import type { RxllmError } from '../../base/errors';
import { jsonOr } from '../jsonOr';
import { randomId } from '../randomId';
import { createHoldingEncoder, type EncoderBody, type HeldResponse } from '../createHoldingEncoder';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';

/** rxllm's finish reasons in the UI stream's vocabulary (`refusal` is a content filter there, as in @ai-sdk/anthropic). */
const finishReasons: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool-calls',
  'content-filter': 'content-filter',
  refusal: 'content-filter',
  error: 'error',
  cancelled: 'other',
  other: 'other',
};

/**
 * Encodes rxllm events as the AI SDK's UI message stream (protocol v1): the `data:`-only JSON
 * chunks that `useChat` (through `DefaultChatTransport`) and `readUIMessageStream` read. Serve
 * it with the header `x-vercel-ai-ui-message-stream: v1` (see `sseHeaders('ai-sdk-ui')`).
 *
 * - `start` (with `messageId`: the `start` event's id, else `options.id`, else random), then
 *   `text-start`/`text-delta`/`text-end` and `reasoning-start`/`-delta`/`-end` parts, each with
 *   its own id, in the order the events arrive; a part closes when one of another kind starts.
 *   Refusal text is shown as text (the protocol has no refusal part).
 * - A reasoning signature is a `reasoning-delta` with an empty delta and
 *   `providerMetadata.anthropic.signature`; redacted reasoning is an empty reasoning part with
 *   `providerMetadata.anthropic.redactedData`, as `@ai-sdk/anthropic` writes them.
 * - Tool calls: `tool-input-start`, `tool-input-delta`, then `tool-input-available` with the
 *   parsed input (or `tool-input-error` for a call whose arguments were cut off).
 * - Finish reason and usage are held: `finish` comes last with `finishReason` and
 *   `messageMetadata: { usage }`, then `data: [DONE]`.
 * - Steps: a `step-start` writes `start-step` (after a `finish-step` for the step before), a
 *   `step-finish` or the end `finish-step`, as `streamText` frames each model call, so `useChat`
 *   shows a `step-start` part between a tool loop's calls. The usage in `messageMetadata` is the
 *   sum over the steps; `usage-total` is dropped (it is the same sum over every track).
 * - A `reset` after output ends the stream with an `error` chunk (see `cannotTakeBack`): the AI
 *   SDK's `Chat` (`useChat`) never removes a part it was sent, so a second answer would be shown
 *   after the first; a `reset` before output is ignored.
 * - One message per stream: events of `choice` k > 0 are dropped, as are in-band `error`,
 *   `progress` and `comparison` events.
 * - On failure: `{"type":"error","errorText"}` (which `useChat` surfaces as its `error`), then `[DONE]`.
 */
export function createAISDKUIEncoder(write: WriteFrame, options: EncoderOptions = {}): Encoder {
  return createHoldingEncoder('ai-sdk-ui', options, (held) => aiSdkUiBody(write, held), {
    firstChoiceOnly: true,
  });
}

function aiSdkUiBody(write: WriteFrame, held: HeldResponse): EncoderBody {
  let started = false;
  let parts = 0;
  // A text, reasoning or tool part was written: a `reset` would have to take it back.
  let wroteContent = false;
  // The open text or reasoning part ('' when none) and its kind.
  let openId = '';
  let openKind: 'text' | 'reasoning' = 'text';
  const tools = new Map<string, number>(); // call id → characters of input already written
  // A step (one model call) is open: `start-step` was written, `finish-step` is owed.
  let stepOpen = false;
  // A step-start arrived: `start-step` is written before the step's first part (so a step that
  // shows nothing, such as a cancelled track's, writes nothing, and `start` keeps its id).
  let stepPending = false;

  const chunk = (json: string): void => write({ data: json });

  const finishStep = (): void => {
    if (!stepOpen) return;
    closeOpen();
    chunk('{"type":"finish-step"}');
    stepOpen = false;
  };

  const beginStep = (): void => {
    if (!stepPending) return;
    stepPending = false;
    finishStep();
    chunk('{"type":"start-step"}');
    stepOpen = true;
  };

  const start = (): void => {
    if (started) return;
    started = true;
    held.id ??= randomId('msg-');
    chunk(`{"type":"start","messageId":${JSON.stringify(held.id)}}`);
  };

  const closeOpen = (): void => {
    if (openId === '') return;
    chunk(`{"type":"${openKind}-end","id":"${openId}"}`);
    openId = '';
  };

  const open = (kind: 'text' | 'reasoning', providerMetadata = ''): string => {
    if (!stepPending && openId !== '' && openKind === kind && providerMetadata === '') return openId;
    closeOpen();
    start();
    wroteContent = true;
    beginStep();
    openKind = kind;
    openId = `${kind}-${parts++}`;
    chunk(`{"type":"${kind}-start","id":"${openId}"${providerMetadata}}`);
    return openId;
  };

  const toolStart = (id: string, name: string): void => {
    closeOpen();
    start();
    wroteContent = true;
    beginStep();
    tools.set(id, 0);
    chunk(
      `{"type":"tool-input-start","toolCallId":${JSON.stringify(id)},"toolName":${JSON.stringify(name)}}`,
    );
  };

  const toolDelta = (id: string, delta: string): void => {
    chunk(
      `{"type":"tool-input-delta","toolCallId":${JSON.stringify(id)},"inputTextDelta":${JSON.stringify(delta)}}`,
    );
  };

  return {
    started: () => started,
    wroteOutput: () => wroteContent,
    event(event) {
      switch (event.type) {
        case 'text':
        case 'refusal':
          chunk(`{"type":"text-delta","id":"${open('text')}","delta":${JSON.stringify(event.text)}}`);
          return;
        case 'reasoning':
          if (event.redacted !== undefined) {
            open(
              'reasoning',
              `,"providerMetadata":{"anthropic":{"redactedData":${JSON.stringify(event.redacted)}}}`,
            );
            closeOpen();
          }
          if (event.text !== '')
            chunk(
              `{"type":"reasoning-delta","id":"${open('reasoning')}","delta":${JSON.stringify(event.text)}}`,
            );
          if (event.signature !== undefined)
            chunk(
              `{"type":"reasoning-delta","id":"${open('reasoning')}","delta":"","providerMetadata":{"anthropic":{"signature":${JSON.stringify(event.signature)}}}}`,
            );
          return;
        case 'tool-call-start':
          toolStart(event.id, event.name);
          return;
        case 'tool-call-delta': {
          const written = tools.get(event.id);
          if (written === undefined || event.argsText === '') return;
          tools.set(event.id, written + event.argsText.length);
          toolDelta(event.id, event.argsText);
          return;
        }
        case 'tool-call': {
          if (!tools.has(event.id)) toolStart(event.id, event.name);
          const written = tools.get(event.id)!;
          tools.delete(event.id);
          if (event.argsText.length > written) toolDelta(event.id, event.argsText.slice(written));
          const names = `"toolCallId":${JSON.stringify(event.id)},"toolName":${JSON.stringify(event.name)}`;
          const input = jsonOr(event.args ?? {}, undefined);
          if (input === undefined) {
            // Arguments with no JSON text (nested deeper than the stack allows): the raw text goes
            // out as the input of an error part rather than invalid JSON or a thrown RangeError.
            chunk(
              `{"type":"tool-input-error",${names},"input":${JSON.stringify(event.argsText)},"errorText":"the tool call's arguments could not be encoded as JSON"}`,
            );
            return;
          }
          const head = `${names},"input":${input}`;
          if (event.incomplete)
            chunk(
              `{"type":"tool-input-error",${head},"errorText":"the tool call's arguments were cut off before they were complete JSON"}`,
            );
          else chunk(`{"type":"tool-input-available",${head}}`);
          return;
        }
        case 'tool-result': {
          // A tool loop's result joins its call's part (`output-available` / `output-error`); a
          // denial is an error too, since `tool-output-denied` needs the AI SDK's own approval flow.
          const id = JSON.stringify(event.id);
          if (event.error !== undefined)
            chunk(
              `{"type":"tool-output-error","toolCallId":${id},"errorText":${JSON.stringify(event.error)}}`,
            );
          else
            chunk(
              `{"type":"tool-output-available","toolCallId":${id},"output":${JSON.stringify(event.result ?? null)}${event.preliminary ? ',"preliminary":true' : ''}}`,
            );
          return;
        }
        case 'step-start':
          stepPending = true;
          return;
        case 'step-finish':
          finishStep();
          return;
        default:
          return;
      }
    },
    error(error: RxllmError, closedByReset) {
      if (closedByReset) closeOpen(); // the text shown before the reset is complete as it stands
      chunk(`{"type":"error","errorText":${JSON.stringify(error.providerMessage ?? error.message)}}`);
      chunk('[DONE]');
    },
    end() {
      start();
      closeOpen();
      finishStep();
      const usage = held.usage();
      let json = '{"type":"finish"';
      if (held.finish !== undefined) json += `,"finishReason":"${finishReasons[held.finish]}"`;
      if (usage !== undefined) json += `,"messageMetadata":{"usage":${usageJson(usage)}}`;
      chunk(`${json}}`);
      chunk('[DONE]');
    },
  };
}

function usageJson(usage: Usage): string {
  return JSON.stringify({
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    cachedInputTokens: usage.cachedInputTokens,
    reasoningTokens: usage.reasoningTokens,
    cost: usage.cost,
    estimated: usage.estimated,
  });
}
