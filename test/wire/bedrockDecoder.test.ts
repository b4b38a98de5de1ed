import { EventStreamCodec } from '@smithy/core/event-streams';
import type { RxllmEvent } from '../../src/base/events';
import { decodeChunks, decodeFixtureEveryWay, fixtureBytes, slices } from '../support/decodeFixture';

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

/** One event-stream message, encoded by the AWS SDK's own codec (for the cases no recording shows). */
function frame(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: kind },
      [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

const byType = <T extends RxllmEvent['type']>(events: RxllmEvent[], type: T) =>
  events.filter((event): event is Extract<RxllmEvent, { type: T }> => event.type === type);

describe('Bedrock ConverseStream (bedrock-converse), real recordings', () => {
  it('decodes Nova text with its stop reason and usage, whole, byte by byte and in random splits alike', () => {
    const { message, events, error } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-nova-text.eventstream',
    );
    expect(error).toBeUndefined();
    expect(events[0]).toEqual({ type: 'start', provider: 'bedrock' });
    expect(message.text.startsWith('The capital of France is Paris. Paris is not only')).toBe(true);
    expect(message.text.endsWith('"The City of Light" or "The City of Love."')).toBe(true);
    expect(message.usage).toEqual({ inputTokens: 13, outputTokens: 82, totalTokens: 95 });
    expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'stop', rawReason: 'end_turn' }]);
  });

  it('decodes a streamed toolUse block into one tool call and tool_use into tool-calls', () => {
    const { message, events } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-nova-tool-use.eventstream',
    );
    expect(message.toolCalls).toEqual([
      {
        id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA',
        name: 'get_temperature',
        args: { city: 'Paris' },
        argsText: '{"city":"Paris"}',
      },
    ]);
    expect(byType(events, 'tool-call-start')).toEqual([
      { type: 'tool-call-start', id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA', name: 'get_temperature', index: 0 },
    ]);
    expect(message.finishReason).toBe('tool-calls');
    expect(message.usage).toEqual({ inputTokens: 471, outputTokens: 91, totalTokens: 562 });
  });

  it("decodes Claude's reasoningContent: text deltas, then the signature", () => {
    const { message, events } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-claude-reasoning-signature.eventstream',
    );
    expect(message.reasoning.startsWith('The user has greeted me with a simple "Hello".')).toBe(true);
    expect(message.text).toBe("Hello! It's nice to meet you. How can I help you today?");
    const signatures = byType(events, 'reasoning').filter((event) => event.signature !== undefined);
    expect(signatures).toHaveLength(1);
    expect(signatures[0]!.signature!.startsWith('Eu0CCkgIBxAB')).toBe(true);
  });

  it('decodes redacted reasoning blocks as base64 `redacted`, apart from the text', () => {
    const { message, events } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-claude-redacted-reasoning.eventstream',
    );
    const redacted = byType(events, 'reasoning').map((event) => event.redacted);
    expect(redacted).toHaveLength(2);
    expect(redacted.every((value) => typeof value === 'string' && /^[A-Za-z0-9+/]+=*$/.test(value))).toBe(
      true,
    );
    expect(message.reasoning).toBe('');
    expect(message.text.startsWith("I notice you've sent what appears to be")).toBe(true);
  });

  it("skips gpt-oss's empty text block and reads its reasoning", () => {
    const { message, events } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-gpt-oss-reasoning-empty-text.eventstream',
    );
    expect(byType(events, 'text').every((event) => event.text !== '')).toBe(true);
    expect(message.text).toBe('Hello! How can I help you today?');
    expect(message.reasoning.startsWith('The user just says "Hi".')).toBe(true);
  });

  it("skips Bedrock's own server tool call and its result, keeping the client's tool call", () => {
    const { message } = decodeFixtureEveryWay(
      'bedrock-converse',
      'bedrock/converse-nova-server-tool-result.eventstream',
    );
    expect(message.toolCalls).toEqual([
      {
        id: 'tooluse_ptgCcZ0uQu-UUMz0abqoWw',
        name: 'final_result',
        args: { result: 7006652 },
        argsText: '{"result":7006652.0}',
      },
    ]);
    expect(message.finishReason).toBe('tool-calls');
  });
});

describe('Bedrock InvokeModelWithResponseStream for Anthropic (bedrock-anthropic), real recording', () => {
  it('reads the base64 Anthropic events of each chunk with the anthropic decoder', () => {
    const { message, error } = decodeFixtureEveryWay(
      'bedrock-anthropic',
      'bedrock/invoke-anthropic-claude-sonnet-4.eventstream',
    );
    expect(error).toBeUndefined();
    expect(message).toMatchObject({
      id: 'msg_bdrk_01Cvb6nyDr4qNiwfcJMF8njo',
      provider: 'bedrock',
      model: 'claude-sonnet-4-20250514',
      usage: { inputTokens: 17, outputTokens: 322, totalTokens: 339, cachedInputTokens: 0 },
      finishReason: 'stop',
    });
    expect(message.text.startsWith('Hello! Cache tokens are a feature')).toBe(true);
    expect(
      message.text.endsWith('Are you interested in cache tokens for a particular use case or platform?'),
    ).toBe(true);
  });
});

describe('Bedrock event-stream framing and exceptions', () => {
  const start = frame('event', 'messageStart', { role: 'assistant' });
  const text = frame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } });

  it('counts prompt-cache reads and writes into inputTokens, writes as cacheWriteTokens', () => {
    const { error, events } = decodeChunks('bedrock-converse', [
      start,
      text,
      frame('event', 'messageStop', { stopReason: 'end_turn' }),
      frame('event', 'metadata', {
        usage: {
          inputTokens: 5,
          outputTokens: 2,
          totalTokens: 1307,
          cacheReadInputTokens: 1000,
          cacheWriteInputTokens: 300,
        },
        metrics: { latencyMs: 100 },
      }),
    ]);
    expect(error).toBeUndefined();
    expect(byType(events, 'usage')).toEqual([
      {
        type: 'usage',
        inputTokens: 1305,
        outputTokens: 2,
        totalTokens: 1307,
        cachedInputTokens: 1000,
        cacheWriteTokens: 300,
      },
    ]);
  });

  it.each([
    ['throttlingException', 'rate-limit', 429, true],
    ['serviceUnavailableException', 'overloaded', 503, true],
    ['internalServerException', 'http', 500, true],
    ['validationException', 'http', 400, false],
  ] as const)('throws an in-stream %s as %s (%i) after the partial text', (type, code, status, retryable) => {
    const { error, message } = decodeChunks('bedrock-converse', [
      start,
      text,
      frame('exception', type, { message: 'Too many requests, please wait.' }),
    ]);
    expect(error).toMatchObject({
      code,
      status,
      retryable,
      providerCode: type,
      providerMessage: 'Too many requests, please wait.',
    });
    expect(message.text).toBe('Hel');
  });

  it("takes a modelStreamErrorException's originalStatusCode, and a context-length message as context-length", () => {
    const stream = decodeChunks('bedrock-converse', [
      start,
      frame('exception', 'modelStreamErrorException', {
        message: 'x',
        originalStatusCode: 503,
        originalMessage: 'busy',
      }),
    ]);
    expect(stream.error).toMatchObject({ code: 'overloaded', status: 503 });
    const long = decodeChunks('bedrock-converse', [
      frame('exception', 'validationException', { message: 'Input is too long for requested model.' }),
    ]);
    expect(long.error).toMatchObject({ code: 'context-length', status: 400 });
  });

  it('rejects a corrupted message (CRC) as malformed, and a stream cut inside a message as network', () => {
    const corrupt = text.slice();
    corrupt[corrupt.length - 6]! ^= 0xff;
    expect(decodeChunks('bedrock-converse', [start, corrupt]).error).toMatchObject({ code: 'malformed' });
    const bytes = fixtureBytes('bedrock/converse-nova-text.eventstream');
    const cut = decodeChunks('bedrock-converse', slices(bytes.subarray(0, bytes.length - 10), 'random', 7));
    expect(cut.error).toMatchObject({ code: 'network' });
    expect(cut.message.text.startsWith('The capital of France')).toBe(true);
  });

  it('rejects a length prefix beyond the format limit at once instead of waiting for 4 GiB', () => {
    const { error } = decodeChunks('bedrock-converse', [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0)]);
    expect(error).toMatchObject({ code: 'malformed' });
  });

  it('fails a stream that ends cleanly between messages but before messageStop', () => {
    expect(decodeChunks('bedrock-converse', [start, text]).error).toMatchObject({ code: 'network' });
  });
});
