import type { FinishReason, Usage } from '../../base/events';
import type { RxllmError, RxllmErrorCode } from '../../base/errors';
import { randomId } from '../randomId';
import { createHoldingEncoder, type EncoderBody, type HeldResponse } from '../createHoldingEncoder';
import type { Encoder, EncoderOptions, WriteFrame } from '../types';
import { jsonNumber } from '../jsonNumber';

/** rxllm's finish reasons as Anthropic `stop_reason`s; Anthropic has no word for the last four. */
const stopReasons: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  refusal: 'refusal',
  error: 'end_turn',
  cancelled: 'end_turn',
  other: 'end_turn',
};

const errorTypes: Record<RxllmErrorCode, string> = {
  network: 'api_error',
  http: 'api_error',
  auth: 'authentication_error',
  'rate-limit': 'rate_limit_error',
  overloaded: 'overloaded_error',
  'context-length': 'invalid_request_error',
  timeout: 'timeout_error',
  malformed: 'api_error',
  provider: 'api_error',
  aborted: 'api_error',
  'invalid-argument': 'invalid_request_error',
  'limit-exceeded': 'api_error',
  tool: 'api_error',
};

const anthropicErrorTypes: ReadonlySet<string> = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'timeout_error',
  'api_error',
  'overloaded_error',
]);

interface ToolBlock {
  index: number;
  streamed: number;
}

/**
 * Encodes rxllm events as Anthropic Messages stream events, the format `@anthropic-ai/sdk`'s
 * `messages.stream()` and every Claude-compatible client read.
 *
 * - `message_start` is written before the first content block, so that usage reported right
 *   after `start` (as Anthropic itself does) is in it.
 * - Text, thinking (`thinking_delta`, then `signature_delta`), `redacted_thinking` (whole, in its
 *   `content_block_start`) and `tool_use` (`input_json_delta`) are content blocks in the order
 *   their events arrive. A text or thinking block closes when a block of another kind starts;
 *   tool blocks stay open until their `tool-call` event, so interleaved calls keep their own
 *   indexes. Refusal text is written as text (Anthropic signals refusal only by `stop_reason`).
 * - `message_delta` needs both the stop reason and the final usage, so both are held and written
 *   at the end, then `message_stop`. Anthropic's `input_tokens` excludes cached tokens; they are
 *   `cache_read_input_tokens`.
 * - Anthropic has one choice per message: events of `choice` k > 0 are dropped. Content blocks
 *   cannot be taken back: a `reset` after output ends the stream with an `api_error` event (see
 *   `cannotTakeBack`) rather than add a second answer; a `reset` before output is ignored, as
 *   are in-band `error`, `progress`, `comparison`.
 * - Steps: one response has one usage, so the usage written is the sum of every step's latest
 *   snapshot (see StepUsage); `step-start`, `step-finish` and `usage-total` are dropped.
 * - On failure: `message_delta` if a stop reason or usage had arrived (so they are not lost), then
 *   `event: error` with `{"type":"error","error":{"type","message"}}`, as Anthropic sends it
 *   (nothing follows; the SDK throws it as an `APIError`).
 */
export function createAnthropicEncoder(write: WriteFrame, options: EncoderOptions = {}): Encoder {
  return createHoldingEncoder('anthropic', options, (held) => anthropicBody(write, held), {
    firstChoiceOnly: true,
  });
}

function anthropicBody(write: WriteFrame, held: HeldResponse): EncoderBody {
  let started = false;
  let nextIndex = 0;
  // The open text or thinking block (-1 when none), its kind, and whether a thinking block is signed.
  let openIndex = -1;
  let openKind: 'text' | 'thinking' = 'text';
  let signed = false;
  const tools = new Map<string, ToolBlock>();

  const start = (): void => {
    if (started) return;
    started = true;
    held.id ??= randomId('msg_');
    const usage = held.usage();
    const [input, output] =
      usage === undefined ? ['"input_tokens":0', '0'] : [inputTokens(usage), jsonNumber(usage.outputTokens)];
    write({
      event: 'message_start',
      data: `{"type":"message_start","message":{"id":${JSON.stringify(held.id)},"type":"message","role":"assistant","model":${JSON.stringify(held.model ?? '')},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{${input},"output_tokens":${output}}}}`,
    });
  };

  const blockStart = (block: string): number => {
    start();
    const index = nextIndex++;
    write({
      event: 'content_block_start',
      data: `{"type":"content_block_start","index":${index},"content_block":${block}}`,
    });
    return index;
  };

  const blockDelta = (index: number, delta: string): void => {
    write({
      event: 'content_block_delta',
      data: `{"type":"content_block_delta","index":${index},"delta":${delta}}`,
    });
  };

  const blockStop = (index: number): void => {
    write({ event: 'content_block_stop', data: `{"type":"content_block_stop","index":${index}}` });
  };

  const closeOpen = (): void => {
    if (openIndex === -1) return;
    blockStop(openIndex);
    openIndex = -1;
  };

  const open = (kind: 'text' | 'thinking'): number => {
    if (openIndex !== -1 && openKind === kind && !(kind === 'thinking' && signed)) return openIndex;
    closeOpen();
    openKind = kind;
    signed = false;
    openIndex = blockStart(
      kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}',
    );
    return openIndex;
  };

  const messageDelta = (): void => {
    start();
    const usage = held.usage();
    const stopReason = held.finish === undefined ? null : stopReasons[held.finish];
    const counts =
      usage === undefined
        ? '"output_tokens":0'
        : `${inputTokens(usage)},"output_tokens":${jsonNumber(usage.outputTokens)}`;
    write({
      event: 'message_delta',
      data: `{"type":"message_delta","delta":{"stop_reason":${stopReason === null ? 'null' : `"${stopReason}"`},"stop_sequence":null},"usage":{${counts}}}`,
    });
  };

  return {
    started: () => started,
    wroteOutput: () => nextIndex > 0, // a content block was written
    event(event) {
      switch (event.type) {
        case 'text':
        case 'refusal':
          blockDelta(open('text'), `{"type":"text_delta","text":${JSON.stringify(event.text)}}`);
          return;
        case 'reasoning':
          if (event.redacted !== undefined) {
            closeOpen();
            blockStop(blockStart(`{"type":"redacted_thinking","data":${JSON.stringify(event.redacted)}}`));
          }
          if (event.text !== '')
            blockDelta(
              open('thinking'),
              `{"type":"thinking_delta","thinking":${JSON.stringify(event.text)}}`,
            );
          if (event.signature !== undefined) {
            blockDelta(
              open('thinking'),
              `{"type":"signature_delta","signature":${JSON.stringify(event.signature)}}`,
            );
            signed = true;
          }
          return;
        case 'tool-call-start':
          closeOpen();
          tools.set(event.id, {
            index: blockStart(
              `{"type":"tool_use","id":${JSON.stringify(event.id)},"name":${JSON.stringify(event.name)},"input":{}}`,
            ),
            streamed: 0,
          });
          return;
        case 'tool-call-delta': {
          const tool = tools.get(event.id);
          if (tool === undefined || event.argsText === '') return; // a complete call is written whole
          tool.streamed += event.argsText.length;
          blockDelta(
            tool.index,
            `{"type":"input_json_delta","partial_json":${JSON.stringify(event.argsText)}}`,
          );
          return;
        }
        case 'tool-call': {
          let tool = tools.get(event.id);
          if (tool === undefined) {
            closeOpen();
            tool = {
              index: blockStart(
                `{"type":"tool_use","id":${JSON.stringify(event.id)},"name":${JSON.stringify(event.name)},"input":{}}`,
              ),
              streamed: 0,
            };
          }
          tools.delete(event.id);
          if (event.argsText.length > tool.streamed)
            blockDelta(
              tool.index,
              `{"type":"input_json_delta","partial_json":${JSON.stringify(event.argsText.slice(tool.streamed))}}`,
            );
          blockStop(tool.index);
          return;
        }
        default:
          return;
      }
    },
    error(error: RxllmError) {
      // A stop reason or usage that arrived before the failure is not lost: message_delta first.
      if (held.finish !== undefined || held.usage() !== undefined) messageDelta();
      const type =
        error.providerCode !== undefined && anthropicErrorTypes.has(error.providerCode)
          ? error.providerCode
          : error.code === 'auth' && error.status === 403
            ? 'permission_error'
            : (errorTypes[error.code] ?? errorTypes.provider);
      write({
        event: 'error',
        data: `{"type":"error","error":{"type":"${type}","message":${JSON.stringify(error.providerMessage ?? error.message)}}}`,
      });
    },
    end() {
      start();
      closeOpen();
      for (const tool of tools.values()) blockStop(tool.index);
      tools.clear();
      messageDelta();
      write({ event: 'message_stop', data: '{"type":"message_stop"}' });
    },
  };
}

/**
 * Anthropic counts cached input apart: `input_tokens` excludes what `cache_read_input_tokens` and
 * `cache_creation_input_tokens` hold.
 */
function inputTokens(usage: Usage): string {
  const cached = usage.cachedInputTokens;
  const written = usage.cacheWriteTokens;
  let json = `"input_tokens":${jsonNumber(usage.inputTokens - (cached ?? 0) - (written ?? 0))}`;
  if (written !== undefined) json += `,"cache_creation_input_tokens":${jsonNumber(written)}`;
  if (cached !== undefined) json += `,"cache_read_input_tokens":${jsonNumber(cached)}`;
  return json;
}
