import { isObject } from '../json';
import { malformed, parseJsonOrThrow } from '../malformed';
import { createAnthropicDecoder } from '../anthropic/decoder';
import type { DecoderOptions, EmitEvent } from '../types';
import type { BedrockDecoder } from './converseDecoder';

const dialect = 'bedrock-anthropic';

/**
 * Decodes `InvokeModelWithResponseStream` for Anthropic models on Bedrock: each `chunk` event
 * carries `bytes`, one Anthropic Messages event as JSON (base64 on the wire, raw bytes from the
 * AWS SDK), which the `anthropic` decoder reads, so everything it supports (thinking, signatures,
 * tool use, cache usage, `incomplete` cut-off calls, in-band `error` events) holds here too.
 * Bedrock's `amazon-bedrock-invocationMetrics` on `message_stop` are ignored. `provider` is
 * `bedrock` unless given. Other models' InvokeModel bodies (Llama, Titan, ...) are not read:
 * use ConverseStream for them.
 */
export function createBedrockAnthropicDecoder(emit: EmitEvent, options?: DecoderOptions): BedrockDecoder {
  const anthropic = createAnthropicDecoder(emit, { provider: options?.provider ?? 'bedrock' });
  const text = new TextDecoder();

  const chunk = (payload: unknown, raw: () => string): void => {
    const bytes = isObject(payload) ? payload.bytes : undefined;
    if (typeof bytes === 'string') anthropic.message(text.decode(fromBase64(bytes, raw)));
    else if (bytes instanceof Uint8Array) anthropic.message(text.decode(bytes));
    else throw malformed(dialect, raw(), 'a chunk needs its bytes');
  };

  return {
    message(data, event) {
      if (event !== 'chunk') return; // Bedrock sends only chunks; anything else is not ours to read
      chunk(parseJsonOrThrow(dialect, data), () => data);
    },
    event(type, payload) {
      if (type === 'chunk') chunk(payload, () => '{"bytes":…}');
    },
    end() {
      anthropic.end();
    },
  };
}

function fromBase64(base64: string, raw: () => string): Uint8Array {
  let binary: string;
  try {
    binary = atob(base64);
  } catch (error) {
    throw malformed(dialect, raw(), 'chunk bytes are not base64', error);
  }
  const bytes = new Uint8Array(binary.length);
  for (let at = 0; at < binary.length; at++) bytes[at] = binary.charCodeAt(at);
  return bytes;
}
