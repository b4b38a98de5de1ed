/**
 * The benchmark's contenders: each reads the same in-memory bytes and returns the answer text it
 * produced, which the caller checks against the generator's. Every contender gets its bytes from
 * the same place ({@link Network}): a pull-based `ReadableStream` over pre-cut slices, wrapped in a
 * `Response` for the SDKs' `fetch` option, so the transport costs the same for all.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText, type LanguageModel } from 'ai';
import { createParser } from 'eventsource-parser';
import OpenAI from 'openai';
// Each from its own file: the package entry is being extended by others while this runs.
import type { RxllmEvent } from '../src/base/events';
import { aggregateUsage } from '../src/operators/aggregateUsage';
import { bufferTokens } from '../src/operators/bufferTokens';
import { toSSE } from '../src/operators/toSSE';
import { messageReducer, type MessageState } from '../src/sinks/messageReducer';
import { toResponse } from '../src/sinks/toResponse';
import { fromSSE } from '../src/sources/fromSSE';
import { dialectOf, textDeltaOf, type GeneratedStream, type Wire } from './generate';

// The AI SDK logs warnings to the console; the parent reads the child's output.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** What a run records besides its text: when the first byte went in and the first text came out. */
export interface Probe {
  firstByte: number;
  firstText: number;
  /** Called as each slice is handed over (memory sampling); optional. */
  onSlice?: (index: number) => void;
}

export function newProbe(onSlice?: (index: number) => void): Probe {
  return { firstByte: NaN, firstText: NaN, ...(onSlice && { onSlice }) };
}

/** What a contender is measured as: which stream it reads and which figure it is compared in. */
export type Group = 'decode' | 'sse' | 'ui';

export interface Contender {
  name: string;
  /** Which generated stream it reads. */
  wire: Wire;
  group: Group;
  /** Who: the floor, a peer, or rxllm. */
  kind: 'floor' | 'peer' | 'rxllm';
  /** Whether it keeps its whole output (bytes-out contenders keep it to check it afterwards). */
  collects: boolean;
  /** The floor it is compared with, by name, when not the decode floor of its wire (`floor (wire)`). */
  floor?: string;
  /**
   * Builds clients once per process; returns the function that serves one request. It resolves
   * to the text, or (for bytes-out contenders) to a function that extracts the text from the
   * output it kept, called after the clock stops.
   */
  setup(network: Network): (stream: GeneratedStream, probe: Probe) => Promise<Output>;
}

/** A contender's text, or how to get it from its output once the clock has stopped. */
export type Output = string | (() => string);

export const textOf = (output: Output): string => (typeof output === 'function' ? output() : output);

/** The in-memory network: the stream a request gets is whichever was set last. */
export class Network {
  private stream: GeneratedStream | undefined;
  private probe: Probe = newProbe();

  set(stream: GeneratedStream, probe: Probe): void {
    this.stream = stream;
    this.probe = probe;
  }

  /** A fresh pull-based body over the current stream's slices: one slice per read. */
  body(): ReadableStream<Uint8Array> {
    const { slices } = this.stream!;
    const probe = this.probe;
    let index = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (index === 0) probe.firstByte = performance.now();
          if (index < slices.length) {
            probe.onSlice?.(index);
            controller.enqueue(slices[index++]!);
          } else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** A `fetch` for the SDKs: every request answers 200 with the current stream as its body. */
  readonly fetch = async (): Promise<Response> =>
    new Response(this.body(), {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' },
    });
}

/** Reads SSE text out of a whole body: what a bytes-out contender wrote, checked after the run. */
export function textOfSSE(body: string, format: 'openai-chat' | 'ai-sdk-ui'): string {
  let text = '';
  const parser = createParser({
    onEvent(message) {
      if (message.data === '[DONE]') return;
      const json = JSON.parse(message.data);
      if (format === 'openai-chat') {
        const content = json.choices?.[0]?.delta?.content;
        if (typeof content === 'string') text += content;
      } else if (json.type === 'text-delta') text += json.delta;
    },
  });
  parser.feed(body);
  parser.feed('\n\n');
  return text;
}

/** The floor: eventsource-parser and one JSON.parse per event, appending each text delta. */
function floor(wire: Wire): Contender {
  return {
    name: `floor (${wire})`,
    wire,
    group: 'decode',
    kind: 'floor',
    collects: false,
    setup: (network) => async (stream, probe) => {
      const extract = textDeltaOf[wire];
      let text = '';
      const parser = createParser({
        onEvent(message) {
          if (message.data === '[DONE]') return;
          const delta = extract(JSON.parse(message.data));
          if (typeof delta === 'string' && delta !== '') {
            if (text === '') probe.firstText = performance.now();
            text += delta;
          }
        },
      });
      const reader = network.body().getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      parser.feed(`${decoder.decode()}\n\n`);
      return text;
    },
  };
}

/** The official OpenAI client, its requests answered by the in-memory network. */
const openAIClient = (network: Network): OpenAI =>
  new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://bench.invalid/v1', fetch: network.fetch, maxRetries: 0 });

const openAISDK: Contender = {
  name: 'openai SDK',
  wire: 'openai',
  group: 'decode',
  kind: 'peer',
  collects: false,
  setup(network) {
    const client = openAIClient(network);
    return async (_stream, probe) => {
      const response = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Write.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of response) {
        const delta = chunk.choices[0]?.delta?.content;
        if (typeof delta === 'string' && delta !== '') {
          if (text === '') probe.firstText = performance.now();
          text += delta;
        }
      }
      return text;
    };
  },
};

/** The official SDK's Responses stream: `client.responses.create({ stream: true })`. */
const openAIResponsesSDK: Contender = {
  name: 'openai SDK (responses)',
  wire: 'responses',
  group: 'decode',
  kind: 'peer',
  collects: false,
  setup(network) {
    const client = openAIClient(network);
    return async (_stream, probe) => {
      const response = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'Write.',
        stream: true,
      });
      let text = '';
      for await (const event of response) {
        if (event.type === 'response.output_text.delta' && event.delta !== '') {
          if (text === '') probe.firstText = performance.now();
          text += event.delta;
        }
      }
      return text;
    };
  },
};

const anthropicSDK: Contender = {
  name: '@anthropic-ai/sdk',
  wire: 'anthropic',
  group: 'decode',
  kind: 'peer',
  collects: false,
  setup(network) {
    const client = new Anthropic({
      apiKey: 'sk-ant-bench',
      baseURL: 'http://bench.invalid',
      fetch: network.fetch,
      maxRetries: 0,
    });
    return async (_stream, probe) => {
      const response = await client.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'Write.' }],
        stream: true,
      });
      let text = '';
      for await (const event of response) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          const delta = event.delta.text;
          if (delta === '') continue;
          if (text === '') probe.firstText = performance.now();
          text += delta;
        }
      }
      return text;
    };
  },
};

function aiModel(wire: Wire, network: Network): LanguageModel {
  if (wire !== 'anthropic') {
    const openai = createOpenAI({
      apiKey: 'sk-bench',
      baseURL: 'http://bench.invalid/v1',
      fetch: network.fetch,
    });
    return wire === 'openai' ? openai.chat('gpt-4o-mini') : openai.responses('gpt-4o-mini');
  }
  return createAnthropic({
    apiKey: 'sk-ant-bench',
    baseURL: 'http://bench.invalid/v1',
    fetch: network.fetch,
  })('claude-sonnet-5-5');
}

function aiTextStream(wire: Wire): Contender {
  return {
    name: `AI SDK textStream (${wire})`,
    wire,
    group: 'decode',
    kind: 'peer',
    collects: false,
    setup(network) {
      const model = aiModel(wire, network);
      return async (_stream, probe) => {
        const result = streamText({ model, prompt: 'Write.', maxRetries: 0 });
        let text = '';
        for await (const delta of result.textStream) {
          if (delta === '') continue;
          if (text === '') probe.firstText = performance.now();
          text += delta;
        }
        return text;
      };
    },
  };
}

/** Reads a Response body to the end, keeping the bytes; marks the first chunk that carries `marker`. */
async function readBody(
  body: ReadableStream<Uint8Array>,
  probe: Probe,
  marker: string,
): Promise<() => string> {
  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let seen = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    if (!seen && decoder.decode(value).includes(marker)) {
      seen = true;
      probe.firstText = performance.now();
    }
  }
  return () => Buffer.concat(chunks).toString('utf8');
}

function aiUIResponse(wire: Wire): Contender {
  return {
    name: `AI SDK toUIMessageStreamResponse (${wire})`,
    wire,
    group: 'sse',
    kind: 'peer',
    collects: true,
    setup(network) {
      const model = aiModel(wire, network);
      return async (_stream, probe) => {
        const result = streamText({ model, prompt: 'Write.', maxRetries: 0 });
        const response = result.toUIMessageStreamResponse();
        const body = await readBody(response.body!, probe, '"text-delta"');
        return () => textOfSSE(body(), 'ai-sdk-ui');
      };
    },
  };
}

/** Runs an Observable to completion. */
function drain<T>(source: import('rxjs').Observable<T>, next: (value: T) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    source.subscribe({ next, error: reject, complete: resolve });
  });
}

function rxllmDecode(wire: Wire): Contender {
  return {
    name: `rxllm fromSSE (${wire})`,
    wire,
    group: 'decode',
    kind: 'rxllm',
    collects: false,
    setup: (network) => async (_stream, probe) => {
      let text = '';
      await drain(fromSSE(network.body(), { dialect: dialectOf[wire] }), (event: RxllmEvent) => {
        if (event.type === 'text') {
          if (text === '') probe.firstText = performance.now();
          text += event.text;
        }
      });
      return text;
    },
  };
}

/**
 * Where bytes-out frames go: gathered and UTF-8 encoded in batches of about 16 KiB, as a corked
 * socket write (`writev`) does; `end()` encodes the rest. The bytes are kept to check the text
 * afterwards.
 */
export class ByteSink {
  private readonly blocks: Buffer[] = [];
  private readonly pending: string[] = [];
  private pendingLength = 0;

  write(frame: string): void {
    this.pending.push(frame);
    this.pendingLength += frame.length;
    if (this.pendingLength >= 16_384) this.end();
  }

  end(): void {
    if (this.pending.length === 0) return;
    this.blocks.push(Buffer.from(this.pending.join(''), 'utf8'));
    this.pending.length = 0;
    this.pendingLength = 0;
  }

  text(): string {
    this.end();
    return Buffer.concat(this.blocks).toString('utf8');
  }
}

const sseFloorName = 'floor SSE → SSE (anthropic → openai-chat)';

/**
 * The same-work floor of SSE to SSE: what a hand-written proxy does with plain callbacks.
 * eventsource-parser and `JSON.parse` per event, each text delta normalized to a plain event object
 * and handed to a callback that writes it as an OpenAI chunk (a template literal around
 * `JSON.stringify` of the text, as rxllm's encoder does), the frames
 * UTF-8 encoded in socket-write batches by the same {@link ByteSink}; a finish chunk and `[DONE]`
 * at the end. No checks, no limits, no usage: the least a correct proxy does.
 */
const floorSSEToSSE: Contender = {
  name: sseFloorName,
  wire: 'anthropic',
  group: 'sse',
  kind: 'floor',
  collects: true,
  setup: (network) => async (_stream, probe) => {
    const sink = new ByteSink();
    // The chunk's fixed part written once, as a hand-written proxy would: one JSON.stringify per delta.
    const head = `{"id":"chatcmpl-floor","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":"floor","choices":[{"index":0,"delta":`;
    const serialize = (event: { type: 'text'; text: string }) => {
      if (event.type !== 'text') return;
      sink.write(`data: ${head}{"content":${JSON.stringify(event.text)}},"finish_reason":null}]}\n\n`);
    };
    let seen = false;
    const parser = createParser({
      onEvent(message) {
        const text = textDeltaOf.anthropic(JSON.parse(message.data));
        if (typeof text === 'string' && text !== '') {
          if (!seen) {
            seen = true;
            probe.firstText = performance.now();
          }
          serialize({ type: 'text', text });
        }
      },
    });
    const reader = network.body().getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(`${decoder.decode()}\n\n`);
    sink.write(`data: ${head}{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`);
    sink.end();
    return () => textOfSSE(sink.text(), 'openai-chat');
  },
};

/** Anthropic in, OpenAI chat chunks out, encoded to bytes as a socket write would. */
const rxllmSSEToSSE: Contender = {
  name: 'rxllm fromSSE → toSSE (anthropic → openai-chat)',
  wire: 'anthropic',
  group: 'sse',
  kind: 'rxllm',
  collects: true,
  floor: sseFloorName,
  setup: (network) => async (_stream, probe) => {
    const sink = new ByteSink();
    let seen = false;
    await drain(
      fromSSE(network.body(), { dialect: 'anthropic' }).pipe(toSSE({ dialect: 'openai-chat' })),
      (frame: string) => {
        if (!seen && frame.includes('"content":')) {
          seen = true;
          probe.firstText = performance.now();
        }
        sink.write(frame);
      },
    );
    sink.end();
    return () => textOfSSE(sink.text(), 'openai-chat');
  },
};

/** The same through `toResponse`: a web `Response` whose body is read to the end. */
const rxllmToResponse: Contender = {
  name: 'rxllm fromSSE → toSSE → toResponse (anthropic → openai-chat)',
  wire: 'anthropic',
  group: 'sse',
  kind: 'rxllm',
  collects: true,
  setup: (network) => async (_stream, probe) => {
    const response = toResponse(
      fromSSE(network.body(), { dialect: 'anthropic' }).pipe(toSSE({ dialect: 'openai-chat' })),
      { dialect: 'openai-chat' },
    );
    const body = await readBody(response.body!, probe, '"content":');
    return () => textOfSSE(body(), 'openai-chat');
  },
};

/** What a chat UI runs: decode, coalesce tokens, count usage, fold into the store's state. */
function rxllmUI(wire: Wire): Contender {
  return {
    name: `rxllm UI pipeline (${wire})`,
    wire,
    group: 'ui',
    kind: 'rxllm',
    collects: false,
    setup: (network) => async (_stream, probe) => {
      let state: MessageState = messageReducer(undefined, { type: 'stream-cancel' });
      await drain(
        fromSSE(network.body(), { dialect: dialectOf[wire] }).pipe(
          bufferTokens({ count: 8, timeMs: 16 }),
          aggregateUsage(),
        ),
        (event: RxllmEvent) => {
          state = messageReducer(state, event);
          if (Number.isNaN(probe.firstText) && event.type === 'text') probe.firstText = performance.now();
        },
      );
      state = messageReducer(state, { type: 'stream-complete' });
      if (state.status !== 'done') throw new Error(`the store ended ${state.status}, not done`);
      return state.tracks.default?.text ?? '';
    },
  };
}

/** Every contender, by name, in the order the tables list them. */
export const contenders: readonly Contender[] = [
  floor('openai'),
  floor('anthropic'),
  floor('responses'),
  floorSSEToSSE,
  openAISDK,
  anthropicSDK,
  openAIResponsesSDK,
  aiTextStream('openai'),
  aiTextStream('anthropic'),
  aiTextStream('responses'),
  aiUIResponse('openai'),
  aiUIResponse('anthropic'),
  rxllmDecode('openai'),
  rxllmDecode('anthropic'),
  rxllmDecode('responses'),
  rxllmSSEToSSE,
  rxllmToResponse,
  rxllmUI('openai'),
  rxllmUI('anthropic'),
];

export function contenderNamed(name: string): Contender {
  const found = contenders.find((contender) => contender.name === name);
  if (!found) throw new Error(`no contender named ${JSON.stringify(name)}`);
  return found;
}

/** The floor a contender is measured against: the floor on the same bytes. */
export function floorOf(contender: Contender): Contender {
  return contenderNamed(floorNameOf(contender));
}

/** The name of the floor a contender is compared with. */
export function floorNameOf(contender: Contender): string {
  return contender.floor ?? `floor (${contender.wire})`;
}
