/**
 * Deterministic provider streams for the benchmark: the same seed gives the same bytes, the same
 * slices and the same expected text on every machine and in every process.
 */

/** Which provider's wire format a stream is in. */
export type Wire = 'openai' | 'anthropic' | 'responses';

/** A generated stream: the bytes cut into slices, and the text a correct reader must produce. */
export interface GeneratedStream {
  wire: Wire;
  tokens: number;
  /** The answer text: the concatenation of every token. */
  text: string;
  /** The whole body, cut at arbitrary byte offsets into 1–4 KiB views (no copies). */
  slices: Uint8Array[];
  bytes: number;
}

/** mulberry32: a small, fast, seeded PRNG (the same sequence everywhere). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?()-';
// Two-, three- and four-byte UTF-8 characters, and characters JSON must escape.
const latin = ['é', 'ü', 'ñ', 'ß', 'ø', 'Ω', 'ж'];
const cjk = ['中', '文', '日', '本', '語', '한', '글'];
const astral = ['😀', '🚀', '𝔸', '🧠'];
const escaped = ['"', '\\', '\n', '\t', '/', '\u0007'];

/**
 * `count` tokens of 1 to 6 characters: mostly ASCII words (often with a leading space, as BPE
 * tokens are), with accented, CJK and astral-plane characters and characters JSON escapes.
 */
export function generateTokens(count: number, seed = 1): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const tokens: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(random() * 6);
    let token = '';
    let characters = 0;
    if (length > 1 && random() < 0.5) {
      token = ' ';
      characters = 1;
    }
    while (characters < length) {
      const kind = random();
      if (kind < 0.8) token += ascii[Math.floor(random() * ascii.length)];
      else if (kind < 0.88) token += pick(latin);
      else if (kind < 0.93) token += pick(cjk);
      else if (kind < 0.95) token += pick(astral);
      else token += pick(escaped);
      characters++;
    }
    tokens[i] = token;
  }
  return tokens;
}

/** The OpenAI Chat Completions stream with `stream_options.include_usage`, as the API sends it. */
export function openAIBody(tokens: readonly string[]): string {
  const head =
    '{"id":"chatcmpl-BENCH0000000000000000000000","object":"chat.completion.chunk","created":1763600000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_560af6e559","choices":[';
  const parts: string[] = [
    `data: ${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
  ];
  for (const token of tokens) {
    parts.push(
      `data: ${head}{"index":0,"delta":{"content":${JSON.stringify(token)}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
    );
  }
  parts.push(
    `data: ${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n`,
    `data: ${head}],"usage":{"prompt_tokens":24,"completion_tokens":${tokens.length},"total_tokens":${24 + tokens.length},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n`,
    'data: [DONE]\n\n',
  );
  return parts.join('');
}

/** The Anthropic Messages stream: message_start, a ping, one text block, pings now and then. */
export function anthropicBody(tokens: readonly string[]): string {
  const parts: string[] = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01BENCH00000000000000000","type":"message","role":"assistant","model":"claude-sonnet-5-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":24,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: ping\ndata: {"type": "ping"}\n\n',
  ];
  for (let i = 0; i < tokens.length; i++) {
    parts.push(
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(tokens[i])}}}\n\n`,
    );
    if (i % 1000 === 999) parts.push('event: ping\ndata: {"type": "ping"}\n\n');
  }
  parts.push(
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${tokens.length}}}\n\n`,
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  );
  return parts.join('');
}

const responseId = 'resp_68c42d0fb418819dbfa579f69406b49508fbf9b1584184ff';
const messageId = 'msg_68c42d26866c819da8d5c606621c911608fbf9b1584184ff';
/** The Responses API's `response` object, as `response.created` and `response.completed` carry it. */
const responseObject = (status: string, output: string, usage: string) =>
  `{"id":"${responseId}","object":"response","created_at":1763600000,"status":"${status}","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-mini-2024-07-18","output":[${output}],"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":${usage},"user":null,"metadata":{}}`;

/**
 * The OpenAI Responses stream of a message (no reasoning item), shaped after the recorded
 * test/fixtures/openai-responses/reasoning-summary-text.sse: every event named and numbered, each
 * text delta padded by an `obfuscation` string to about 16 characters as the API pads them, and
 * the whole text again in `output_text.done`, `content_part.done`, `output_item.done` and
 * `response.completed`.
 */
export function responsesBody(tokens: readonly string[]): string {
  const random = prng(tokens.length);
  const base62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let sequence = 0;
  const event = (type: string, fields: string) =>
    `event: ${type}\ndata: {"type":"${type}","sequence_number":${sequence++},${fields}}\n\n`;
  const text = JSON.stringify(tokens.join(''));
  const part = (content: string) => `{"type":"output_text","annotations":[],"logprobs":[],"text":${content}}`;
  const item = (status: string, content: string) =>
    `{"id":"${messageId}","type":"message","status":"${status}","content":[${content}],"role":"assistant"}`;
  const where = `"item_id":"${messageId}","output_index":0,"content_index":0`;
  const parts: string[] = [
    event('response.created', `"response":${responseObject('in_progress', '', 'null')}`),
    event('response.in_progress', `"response":${responseObject('in_progress', '', 'null')}`),
    event('response.output_item.added', `"output_index":0,"item":${item('in_progress', '')}`),
    event('response.content_part.added', `${where},"part":${part('""')}`),
  ];
  for (const token of tokens) {
    let padding = '';
    for (let i = Math.max(1, 16 - token.length); i > 0; i--) padding += base62[Math.floor(random() * 62)];
    parts.push(
      event(
        'response.output_text.delta',
        `${where},"delta":${JSON.stringify(token)},"logprobs":[],"obfuscation":"${padding}"`,
      ),
    );
  }
  const usage = `{"input_tokens":24,"input_tokens_details":{"cached_tokens":0},"output_tokens":${tokens.length},"output_tokens_details":{"reasoning_tokens":0},"total_tokens":${24 + tokens.length}}`;
  parts.push(
    event('response.output_text.done', `${where},"text":${text},"logprobs":[]`),
    event('response.content_part.done', `${where},"part":${part(text)}`),
    event('response.output_item.done', `"output_index":0,"item":${item('completed', part(text))}`),
    event(
      'response.completed',
      `"response":${responseObject('completed', item('completed', part(text)), usage)}`,
    ),
  );
  return parts.join('');
}

/** A parsed event, read loosely: only the fields the floors look at. */
interface ParsedEvent {
  type?: unknown;
  delta?: { type?: unknown; text?: unknown } | string;
  choices?: { delta?: { content?: unknown } }[];
}

/** The rxllm dialect that reads each wire. */
export const dialectOf = {
  openai: 'openai-chat',
  anthropic: 'anthropic',
  responses: 'openai-responses',
} as const satisfies Record<Wire, string>;

/**
 * The text delta a parsed event of each wire carries, or `undefined` for any other event: what
 * the floors read (bench/contenders.ts and bench/shortAfterGC.ts, which imports no SDK).
 */
export const textDeltaOf: Record<Wire, (json: ParsedEvent) => unknown> = {
  openai: (json) => json.choices?.[0]?.delta?.content,
  anthropic: (json) =>
    json.type === 'content_block_delta' && typeof json.delta === 'object' && json.delta.type === 'text_delta'
      ? json.delta.text
      : undefined,
  responses: (json) => (json.type === 'response.output_text.delta' ? json.delta : undefined),
};

/** Cuts `bytes` into views of 1 to 4 KiB at offsets that ignore event and character boundaries. */
export function slice(bytes: Uint8Array, seed: number): Uint8Array[] {
  const random = prng(seed);
  const slices: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1024 + Math.floor(random() * 3073);
    slices.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
    at += size;
  }
  return slices;
}

/** A stream of `tokens` tokens in `wire`'s format, sliced; deterministic for a given seed. */
export function generateStream(wire: Wire, tokens: number, seed = 1): GeneratedStream {
  const list = generateTokens(tokens, seed);
  const body =
    wire === 'openai' ? openAIBody(list) : wire === 'anthropic' ? anthropicBody(list) : responsesBody(list);
  const bytes = new TextEncoder().encode(body);
  return { wire, tokens, text: list.join(''), slices: slice(bytes, seed + 7), bytes: bytes.length };
}
