import { EventStreamCodec } from '@smithy/core/event-streams';
import { RxllmError } from '../../base/errors';
import type { StreamDecoder } from '../StreamDecoder';
import { guardEvents } from '../guardEvents';
import { malformed } from '../malformed';
import { resolveLimits } from '../../base/limits';
import type { DecoderOptions, Dialect, EmitEvent } from '../types';
import { bedrockError } from './bedrockError';

/** The largest message the event-stream format allows (16 MiB of payload plus headers). */
const maxMessageBytes = 16 * 1024 * 1024 + 128 * 1024;

// Pure: a bundle of the built chunks that reads no Bedrock stream drops them.
const utf8Decoder = /* @__PURE__ */ new TextDecoder();
const utf8Encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Bytes of AWS's binary event stream (`application/vnd.amazon.eventstream`, what Bedrock's
 * streaming APIs answer with) in, the dialect's events out. Each message is cut out by its length
 * prefix and decoded by the AWS SDK's own codec (`@smithy/core/event-streams`), which checks both
 * CRCs and parses the headers; its JSON payload goes to the dialect's decoder with its
 * `:event-type`. An `exception` (or `error`) message is thrown as a mapped RxllmError
 * (`throttlingException` → `rate-limit`, ...). Memory is bounded by one message; a length beyond
 * the format's limit is `malformed` at once. A chunk may end anywhere.
 */
export function createEventStreamDecoder(
  dialect: Dialect,
  emit: EmitEvent,
  options?: DecoderOptions,
): StreamDecoder {
  if (!dialect.createDecoder) throw new TypeError(`rxllm: dialect '${dialect.name}' cannot be decoded`);
  // The same guard and limits as every other framing: bounded choices, valid numbers, sizes.
  let current = '';
  const decoder = dialect.createDecoder(
    guardEvents(dialect.name, resolveLimits(options?.limits), () => current, emit),
    options,
  );
  const codec = new EventStreamCodec(
    (bytes) => utf8Decoder.decode(bytes),
    (text) => utf8Encoder.encode(text),
  );
  // The message being filled: its 4-byte length prefix first, then the whole message (copied
  // once, so a stream fed in tiny slices still costs linear time).
  const prefix = new Uint8Array(4);
  let prefixFilled = 0;
  let message: Uint8Array | undefined;
  let filled = 0;

  const take = (message: Uint8Array): void => {
    let decoded;
    try {
      decoded = codec.decode(message);
    } catch (error) {
      throw malformed(
        dialect.name,
        `<${message.length} bytes>`,
        `broken event-stream message (${(error as Error).message})`,
        error,
      );
    }
    const header = (name: string): string | undefined => {
      const value = decoded.headers[name];
      return value?.type === 'string' ? value.value : undefined;
    };
    const body = utf8Decoder.decode(decoded.body);
    const kind = header(':message-type') ?? 'event';
    if (kind === 'event') {
      current = body;
      decoder.message(body, header(':event-type'));
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = { message: body };
    }
    const type = header(':exception-type') ?? header(':error-code') ?? 'unknownException';
    throw bedrockError(type, payload, dialect.name);
  };

  return {
    ended: () => decoder.ended?.() ?? false,
    push(chunk) {
      if (typeof chunk === 'string') throw new TypeError(`rxllm: ${dialect.name} reads bytes, not text`);
      let at = 0;
      while (at < chunk.length) {
        if (message === undefined) {
          const n = Math.min(4 - prefixFilled, chunk.length - at);
          prefix.set(chunk.subarray(at, at + n), prefixFilled);
          prefixFilled += n;
          at += n;
          if (prefixFilled < 4) return;
          const length = new DataView(prefix.buffer).getUint32(0, false);
          if (length < 16 || length > maxMessageBytes)
            throw malformed(
              dialect.name,
              `<prefix ${Array.from(prefix).join(',')}>`,
              `an event-stream message of ${length} bytes`,
            );
          message = new Uint8Array(length);
          message.set(prefix);
          filled = 4;
        }
        const n = Math.min(message.length - filled, chunk.length - at);
        message.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === message.length) {
          const whole = message;
          message = undefined;
          prefixFilled = 0;
          take(whole);
        }
      }
    },
    end() {
      if (message !== undefined || prefixFilled > 0) {
        message = undefined;
        prefixFilled = 0;
        throw new RxllmError(`${dialect.name}: the stream ended inside an event-stream message`, {
          code: 'network',
          dialect: dialect.name,
        });
      }
      decoder.end();
    },
  };
}
