import type { RxllmEvent } from '../base/events';
import type { RxllmError } from '../base/errors';
import type { StreamLimits } from '../base/limits';

/** The wire formats rxllm reads and writes. */
export type DialectName =
  | 'openai-chat'
  | 'openai-responses'
  | 'anthropic'
  | 'gemini'
  | 'ollama'
  | 'rxllm'
  | 'ai-sdk-ui'
  | 'ag-ui'
  | 'bedrock-converse'
  | 'bedrock-anthropic';

/**
 * How a dialect's messages are framed on the wire. `eventstream` is AWS's binary event stream
 * (Bedrock), read by `fromBedrock` / `fromBedrockEventStream` from `rxllm/bedrock`.
 */
export type Framing = 'sse' | 'ndjson' | 'eventstream';

/** Receives decoded events. Called synchronously, once per event, on the hot path. */
export type EmitEvent = (event: RxllmEvent) => void;

/**
 * A stateful decoder for one stream: provider messages in, rxllm events out through `emit`.
 *
 * Per token this must be plain function calls: one `JSON.parse`, a switch, an `emit`. No
 * allocation of arrays per message, no schema walk that costs more than the parse itself.
 */
export interface Decoder {
  /**
   * One framed message: for SSE the `data` of an event and its `event:` name (undefined when the
   * event has none); for NDJSON one non-empty line as `data` and no name.
   *
   * Throws an {@link RxllmError}: `malformed` (naming the dialect and quoting the line) for a
   * known message whose shape is broken, or the mapped code for an in-band provider error.
   * Unknown message types are skipped: providers add new ones.
   */
  message(data: string, event?: string): void;
  /**
   * The input ended. Emits whatever was pending (an unfinished tool call, usage not yet sent).
   * Throws a `network` RxllmError when the stream was cut short before the provider's terminal
   * message (and no in-band error explains it).
   */
  end(): void;
  /**
   * True once the dialect's terminal message (`[DONE]`, `message_stop`, `response.completed`,
   * `done: true`) has arrived: whatever follows is ignored, and a source stops reading. Optional:
   * a dialect that ends only at EOF (Gemini) has none.
   */
  ended?(): boolean;
}

export interface DecoderOptions {
  /**
   * Label for the `provider` field of the `start` event, when the caller knows better than the
   * dialect (a vLLM server speaks `openai-chat`).
   */
  provider?: string;
  /** Size limits applied by the stream decoder (see `StreamLimits`); unset ones keep their defaults. */
  limits?: Partial<StreamLimits>;
  /** What a source keeps for a failed stream's `partial` (see `PartialMode`); decoders ignore it. */
  partial?: PartialMode;
}

/**
 * What a source keeps of its stream so that a failure's `partial` can say what had arrived:
 * `'full'` (default) the whole message (text, reasoning, refusal, tool calls, usage), `'text'`
 * the answer without reasoning or tool calls, `'none'` nothing (the error has no `partial`, and
 * the source holds no token once it has passed it on).
 */
export type PartialMode = 'full' | 'text' | 'none';

/** One Server-Sent Events frame, before serialization. */
export interface SSEFrame {
  event?: string;
  data: string;
  id?: string;
}

/** Receives encoded frames, in order. */
export type WriteFrame = (frame: SSEFrame) => void;

/**
 * A stateful encoder for one stream: rxllm events in, the dialect's frames out through `write`.
 */
export interface Encoder {
  /**
   * One event. Returns an error when the stream must end on it instead: a `reset` after output,
   * which a format that cannot take text back answers with a clear error rather than glue two
   * answers together. The encoder then ignores further events and `end()`; the caller passes the
   * error to `error()` (toSSE does, unless `errors: 'propagate'`).
   */
  event(event: RxllmEvent): RxllmError | void;
  /** The stream failed: write the dialect's error event, then whatever properly ends a stream. */
  error(error: RxllmError): void;
  /** The stream completed: write the dialect's terminal frames (`[DONE]`, `message_stop`, ...). */
  end(): void;
}

export interface EncoderOptions {
  /** Model name to report where the dialect requires one and the events carry none. */
  model?: string;
  /** Response id to report where the dialect requires one and the events carry none. */
  id?: string;
  /** The conversation (AG-UI `threadId`) the stream belongs to; `ag-ui` writes it in its run events. */
  threadId?: string;
  /**
   * `rxllm`: `false` writes unnamed frames (no `event:` line; the type is in the JSON), which a
   * plain `EventSource`'s `onmessage` receives. Default `true`. Other dialects ignore it.
   */
  named?: boolean;
}

/** Everything rxllm knows about one wire format. */
export interface Dialect {
  /** The name it is known by; a dialect of your own may use any name not taken. */
  name: DialectName | (string & {});
  framing: Framing;
  /** Absent for encode-only dialects (`ai-sdk-ui`). */
  createDecoder?: (emit: EmitEvent, options?: DecoderOptions) => Decoder;
  /** Absent for decode-only dialects (`ollama`, `gemini`). */
  createEncoder?: (write: WriteFrame, options?: EncoderOptions) => Encoder;
  /**
   * The encoder never writes a line break inside `data` (it writes `JSON.stringify` output), so
   * `toSSE` may skip the per-frame scan for one. Leave it unset unless that is certain.
   */
  singleLineData?: boolean;
}

/**
 * A dialect that only reads: a decoder and no encoder. Each `rxllm/dialects/<name>/decode` entry
 * exports one (`rxllmDecodeDialect`, `openAIChatDecodeDialect`, ...), so a client that reads a
 * stream bundles no encoder; sources take it like any dialect, `toSSE` refuses it.
 */
export interface DecodeDialect extends Dialect {
  createDecoder: (emit: EmitEvent, options?: DecoderOptions) => Decoder;
  createEncoder?: undefined;
}
