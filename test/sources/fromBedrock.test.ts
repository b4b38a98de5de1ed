import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BehaviorSubject, firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { fromBedrock, fromBedrockEventStream } from '../../src/bedrock';
import { RxllmError } from '../../src/base/errors';
import { pausable } from '../../src/operators/pausable';
import { collect } from '../../src/sinks/collect';
import { createReplayServer, type ReplayRoute, type ReplayServer } from '../../src/testing';
import { fixtureBytes } from '../support/decodeFixture';

const eventStream = { 'content-type': 'application/vnd.amazon.eventstream' };
const converseText = fixtureBytes('bedrock/converse-nova-text.eventstream');
const converseTool = fixtureBytes('bedrock/converse-nova-tool-use.eventstream');
const invokeAnthropic = fixtureBytes('bedrock/invoke-anthropic-claude-sonnet-4.eventstream');
const modelId = 'us.amazon.nova-micro-v1:0';

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);
function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new TextEncoder().encode(JSON.stringify({ message })),
  });
}

let server: ReplayServer;
afterEach(() => server?.close());

async function serve(route: ReplayRoute) {
  server = await createReplayServer({ headers: eventStream, timing: { sliceBytes: 97 }, ...route });
  // The real AWS SDK client, pointed at the local server with fake credentials. Its default
  // handler speaks HTTP/2 only; the replay server is HTTP/1.1, as a Bedrock proxy may be.
  return new BedrockRuntimeClient({
    requestHandler: new NodeHttpHandler(),
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

const converse = (text = 'Hi') =>
  new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text }] }] });

describe('fromBedrock through @aws-sdk/client-bedrock-runtime', () => {
  it('streams a recorded ConverseStream through the real client, with the model from the command', async () => {
    const client = await serve({ transcript: converseText });
    const events = await lastValueFrom(fromBedrock(client, converse()).pipe(toArray()));
    expect(events[0]).toEqual({ type: 'start', provider: 'bedrock', model: modelId, seq: 0 });
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    const message = await collect(fromBedrock(client, converse()));
    expect(message.text.startsWith('The capital of France is Paris.')).toBe(true);
    expect(message).toMatchObject({
      usage: { inputTokens: 13, outputTokens: 82, totalTokens: 95 },
      finishReason: 'stop',
    });
    // The SDK signed and sent a real request to the Converse path.
    expect(server.requests[0]!.path).toBe(`/model/${encodeURIComponent(modelId)}/converse-stream`);
    expect(server.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('streams tool use and InvokeModelWithResponseStream (Anthropic) alike', async () => {
    let client = await serve({ transcript: converseTool });
    const tools = await collect(fromBedrock(client, converse()));
    expect(tools.toolCalls).toEqual([
      {
        id: 'tooluse_lAG_zP8QRHmSYOwZzzaCqA',
        name: 'get_temperature',
        args: { city: 'Paris' },
        argsText: '{"city":"Paris"}',
      },
    ]);
    expect(tools.finishReason).toBe('tool-calls');
    await server.close();

    client = await serve({ transcript: invokeAnthropic });
    const command = new InvokeModelWithResponseStreamCommand({
      modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
      contentType: 'application/json',
      body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 512, messages: [] }),
    });
    const message = await collect(fromBedrock(client, command));
    expect(message).toMatchObject({
      id: 'msg_bdrk_01Cvb6nyDr4qNiwfcJMF8njo',
      provider: 'bedrock',
      model: 'claude-sonnet-4-20250514',
      usage: { inputTokens: 17, outputTokens: 322, totalTokens: 339 },
      finishReason: 'stop',
    });
    expect(message.text.endsWith('particular use case or platform?')).toBe(true);
  });

  it('maps an in-stream throttlingException to rate-limit with the partial text', async () => {
    // The recorded stream up to a text delta, then the exception Bedrock sends when throttled.
    const cutAt = converseText.indexOf(0x7d, 600) + 5; // past a few complete messages
    let end = 0;
    for (let at = 0; at < cutAt;) {
      end = at + new DataView(converseText.buffer, converseText.byteOffset + at).getUint32(0);
      at = end;
    }
    const transcript = new Uint8Array([
      ...converseText.subarray(0, end),
      ...exceptionFrame('throttlingException', 'Too many requests, please wait before trying again.'),
    ]);
    const client = await serve({ transcript });
    const error = await collect(fromBedrock(client, converse())).catch((thrown: unknown) => thrown);
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'rate-limit',
      retryable: true,
      providerCode: expect.stringMatching(/hrottlingException$/),
    });
    expect((error as RxllmError).partial!.text.startsWith('The capital')).toBe(true);
  });

  it('maps an HTTP 429 ThrottlingException response to rate-limit', async () => {
    const client = await serve({
      fault: {
        kind: 'http-error',
        status: 429,
        body: { message: 'Too many tokens, please wait before trying again.' },
        headers: {
          'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        },
      },
    });
    const error = await collect(fromBedrock(client, converse())).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'rate-limit', status: 429, providerCode: 'ThrottlingException' });
  });

  it('aborts the request through the SDK when the subscriber unsubscribes', async () => {
    const client = await serve({ transcript: converseText, fault: { kind: 'stall', afterBytes: 700 } });
    const first = await firstValueFrom(fromBedrock(client, converse()).pipe(take(2), toArray()));
    expect(first.map((event) => event.type)).toEqual(['start', 'text']);
    const request = await server.requests[0]!.closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
  });

  it('stops pulling the stream while a pausable consumer is paused, and resumes losslessly', async () => {
    const client = await serve({ transcript: converseText });
    const paused$ = new BehaviorSubject(false);
    const texts: string[] = [];
    let pulled = 0;
    let pausedAtFirstText!: () => void;
    const firstText = new Promise<void>((resolve) => (pausedAtFirstText = resolve));
    const done = new Promise<void>((resolve, reject) =>
      fromBedrock(client, converse())
        .pipe(
          tap(() => pulled++),
          pausable(paused$),
        )
        .subscribe({
          next: (event) => {
            if (event.type === 'text' && texts.push(event.text) === 1) {
              paused$.next(true);
              pausedAtFirstText();
            }
          },
          error: reject,
          complete: resolve,
        }),
    );
    await firstText;
    const atPause = pulled;
    // Give the source many turns of the event loop: the rest of the stream is already in the
    // socket, so without the gate it would all be pulled now.
    for (let turn = 0; turn < 50; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pulled - atPause).toBeLessThanOrEqual(1);
    paused$.next(false);
    await done;
    expect(texts.join('').startsWith('The capital of France is Paris.')).toBe(true);
    expect(texts).toHaveLength(29);
  });
});

describe('fromBedrockEventStream (raw bytes, no SDK)', () => {
  it('reads a fetch of the recorded bytes, and maps a 503 response to overloaded', async () => {
    server = await createReplayServer({
      routes: {
        '/ok': { transcript: converseText, headers: eventStream },
        '/busy': { fault: { kind: 'http-error', status: 503, body: { message: 'Service unavailable' } } },
      },
    });
    const message = await collect(
      fromBedrockEventStream((signal) => fetch(`${server.url}/ok`, { signal }), {
        dialect: 'bedrock-converse',
      }),
    );
    expect(message.text.endsWith('"The City of Love."')).toBe(true);
    const error = await collect(
      fromBedrockEventStream((signal) => fetch(`${server.url}/busy`, { signal }), {
        dialect: 'bedrock-converse',
      }),
    ).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'overloaded', status: 503 });
  });

  it('names the right source when a Bedrock dialect is given to fromSSE', async () => {
    const { fromSSE } = await import('../../src/sources/fromSSE');
    expect(() => fromSSE(new Response(''), { dialect: 'bedrock-converse' })).toThrow(/rxllm\/bedrock/);
  });
});
