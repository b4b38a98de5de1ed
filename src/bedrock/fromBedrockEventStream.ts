import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { assertStreamInput, sourceFromBytes } from '../sources/engine/sourceFromBytes';
import type { StreamInput } from '../sources/fromSSE';
import { createEventStreamDecoder } from '../wire/bedrock/eventStreamDecoder';
import { getDialect } from '../wire/dialects';

export interface FromBedrockEventStreamConfig {
  /**
   * What the messages hold: `bedrock-converse` (ConverseStream events) or `bedrock-anthropic`
   * (InvokeModelWithResponseStream chunks of Anthropic Messages events).
   */
  dialect: 'bedrock-converse' | 'bedrock-anthropic';
  /** The `provider` of the `start` event. Default: `bedrock`. */
  provider?: string;
}

/**
 * Reads the raw bytes of a Bedrock streaming response (`application/vnd.amazon.eventstream`:
 * length-prefixed binary messages with CRCs, decoded by the AWS SDK's own codec from
 * `@smithy/core`) as rxllm events, for when no AWS SDK makes the request: a gateway or proxy in
 * front of Bedrock, a signed `fetch`, a recorded response. Takes what `fromSSE` takes (a
 * `Response`, a `ReadableStream`, an async iterable of bytes, or best a function
 * `(signal) => fetch(...)`), with the same behaviour: cold, flow-gated reads, unsubscribe aborts,
 * errors with `partial`; Bedrock's in-stream exceptions are mapped as `fromBedrock` maps them.
 * Needs `@smithy/core` installed (an optional peer; the AWS SDK brings it).
 */
export function fromBedrockEventStream(
  input: StreamInput,
  config: FromBedrockEventStreamConfig,
): Observable<RxllmEvent> {
  assertStreamInput(input, 'fromBedrockEventStream');
  if (config?.dialect !== 'bedrock-converse' && config?.dialect !== 'bedrock-anthropic') {
    throw new TypeError(
      `rxllm: fromBedrockEventStream: config.dialect must be 'bedrock-converse' or 'bedrock-anthropic', got ${String(config?.dialect)}`,
    );
  }
  return sourceFromBytes(input, {
    dialect: getDialect(config.dialect, 'decode'),
    name: 'fromBedrockEventStream',
    createStreamDecoder: createEventStreamDecoder,
    ...(config.provider !== undefined && { decoderOptions: { provider: config.provider } }),
  });
}
