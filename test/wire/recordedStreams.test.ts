import { crc32 } from 'node:zlib';
import type { RxllmEvent } from '../../src/base/events';
import type { Message } from '../../src/base/message';
import type { DialectName } from '../../src/wire/types';
import { decodeFixtureEveryWay, fixtureBytes } from '../support/decodeFixture';

/**
 * The recordings added for wider decoding (test/fixtures/README.md): Mistral, xAI, Alibaba,
 * Perplexity, Groq, DeepSeek, Azure, Z.ai, Gemini and Vertex AI. Each is decoded whole, byte by
 * byte and in seeded random splits (decodeFixtureEveryWay asserts the five agree).
 */

const byType = <T extends RxllmEvent['type']>(events: RxllmEvent[], type: T) =>
  events.filter((event): event is Extract<RxllmEvent, { type: T }> => event.type === type);

function decodes(dialect: DialectName, path: string): { message: Message; events: RxllmEvent[] } {
  const { message, events, error } = decodeFixtureEveryWay(dialect, path);
  expect(error).toBeUndefined();
  return { message, events };
}

/** The `:event-type` string header of an event-stream frame (name length, name, type 7, length, value). */
function eventType(headers: Buffer): string {
  for (let at = 0; at < headers.length;) {
    const nameLength = headers[at]!;
    const name = headers.subarray(at + 1, at + 1 + nameLength).toString('utf8');
    at += 1 + nameLength;
    expect(headers[at]).toBe(7); // every header in these recordings is a string
    const valueLength = headers.readUInt16BE(at + 1);
    const value = headers.subarray(at + 3, at + 3 + valueLength).toString('utf8');
    at += 3 + valueLength;
    if (name === ':event-type') return value;
  }
  return '?';
}

describe('recorded streams from more providers', () => {
  describe('Mistral', () => {
    it('reads Magistral content parts: thinking as reasoning, text as text', () => {
      const { message, events } = decodes('openai-chat', 'mistral/magistral-thinking-content-parts.sse');
      expect(message).toEqual<Message>({
        id: 'a4e29c5b82f94d67b23e108a7c9df6e1',
        provider: 'openai',
        model: 'magistral-medium-2507',
        text: '2 + 2 = 4',
        reasoning: 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.',
        refusal: '',
        toolCalls: [],
        usage: { inputTokens: 10, outputTokens: 46, totalTokens: 56 },
        finishReason: 'stop',
      });
      expect(byType(events, 'reasoning').map((event) => event.text)).toEqual([
        'The user is asking',
        ' for 2+2. This is basic arithmetic. 2+2=4.',
      ]);
    });

    it('reads a whole tool call without an index on the finish chunk', () => {
      const { message } = decodes('openai-chat', 'mistral/tool-call-no-index-with-finish.sse');
      expect(message.toolCalls).toEqual([
        {
          id: 'gSIMJiOkT',
          name: 'weather',
          args: { location: 'San Francisco' },
          argsText: '{"location": "San Francisco"}',
        },
      ]);
      expect(message.finishReason).toBe('tool-calls');
      expect(message.usage).toEqual({ inputTokens: 124, outputTokens: 22, totalTokens: 146 });
    });

    it('reads plain text with usage on the finish chunk', () => {
      const { message } = decodes('openai-chat', 'mistral/text.sse');
      expect(message).toMatchObject({
        text: 'Hello, world! This is a test response.',
        usage: { inputTokens: 13, outputTokens: 8, totalTokens: 21 },
        finishReason: 'stop',
      });
    });

    it('ignores the "p" padding field and reads cached tokens', () => {
      const { message } = decodes('openai-chat', 'mistral/text-padding-usage-details.sse');
      expect(message).toMatchObject({
        text: 'OK',
        usage: { inputTokens: 19, outputTokens: 2, totalTokens: 21, cachedInputTokens: 0 },
        finishReason: 'stop',
      });
    });
  });

  describe('other OpenAI-compatible servers', () => {
    it('counts xAI reasoning tokens, which its completion_tokens leaves out, in outputTokens', () => {
      const text = decodes('openai-chat', 'xai/chat-text.sse').message;
      expect(text).toMatchObject({
        text: 'Hello',
        reasoning: expect.stringMatching(/^First, the user said/) as unknown as string,
        usage: {
          inputTokens: 12,
          outputTokens: 291,
          totalTokens: 303,
          cachedInputTokens: 11,
          reasoningTokens: 290,
        },
        finishReason: 'stop',
      });
      const tool = decodes('openai-chat', 'xai/chat-tool-call.sse').message;
      expect(tool.toolCalls).toEqual([
        {
          id: 'call_55117580',
          name: 'weather',
          args: { location: 'San Francisco' },
          argsText: '{"location":"San Francisco"}',
        },
      ]);
      expect(tool.usage).toEqual({
        inputTokens: 291,
        outputTokens: 222,
        totalTokens: 513,
        cachedInputTokens: 290,
        reasoningTokens: 196,
      });
    });

    it('reads Alibaba (Qwen) reasoning_content and tool calls', () => {
      const reasoning = decodes('openai-chat', 'alibaba/reasoning.sse').message;
      expect(reasoning.reasoning).toHaveLength(3301);
      expect(reasoning.text.endsWith('**Answer: 3**')).toBe(true);
      expect(reasoning.usage).toEqual({
        inputTokens: 24,
        outputTokens: 1355,
        totalTokens: 1379,
        cachedInputTokens: 0,
        reasoningTokens: 1084,
      });
      const tool = decodes('openai-chat', 'alibaba/tool-call.sse').message;
      expect(tool.toolCalls).toMatchObject([
        { id: 'call_eee11723464a4b9eb8cee71d', args: { location: 'San Francisco' } },
      ]);
      expect(tool.finishReason).toBe('tool-calls');
    });

    it('reads Perplexity, which repeats usage and citations on every chunk', () => {
      const { message } = decodes('openai-chat', 'perplexity/citations.sse');
      expect(message).toMatchObject({
        model: 'sonar',
        text: 'The current population of **[2][3]',
        usage: { inputTokens: 10, outputTokens: 336, totalTokens: 346 },
        finishReason: 'stop',
      });
    });

    it('reads Groq, DeepSeek and Z.ai', () => {
      expect(decodes('openai-chat', 'groq/tool-call.sse').message).toMatchObject({
        provider: 'groq',
        toolCalls: [{ id: 'tk85n1k4m', name: 'weather', args: {}, argsText: '{}' }],
        usage: { inputTokens: 210, outputTokens: 15, totalTokens: 225 },
        finishReason: 'tool-calls',
      });
      const deepseek = decodes('openai-chat', 'deepseek/tool-call.sse').message;
      expect(deepseek).toMatchObject({
        provider: 'deepseek',
        toolCalls: [{ id: 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF', args: { location: 'San Francisco' } }],
        usage: { cachedInputTokens: 320, reasoningTokens: 39 },
        finishReason: 'tool-calls',
      });
      expect(deepseek.reasoning).toHaveLength(191);
      const zai = decodes('openai-chat', 'zai/thinking-stream.sse').message;
      expect(zai).toMatchObject({ model: 'glm-4.7', text: '4', finishReason: 'stop' });
      expect(zai.reasoning).toHaveLength(2173);
    });

    it("takes Azure's id and model from the first chunk that has them, not its prompt-filter chunk", () => {
      const { message, events } = decodes('openai-chat', 'azure/model-router-chat.sse');
      expect(events[0]).toMatchObject({
        type: 'start',
        id: 'chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt',
        model: 'gpt-5-nano-2025-08-07',
      });
      expect(message).toMatchObject({
        text: 'Capital of Denmark.',
        usage: {
          inputTokens: 15,
          outputTokens: 78,
          totalTokens: 93,
          cachedInputTokens: 0,
          reasoningTokens: 64,
        },
        finishReason: 'stop',
      });
    });
  });

  describe('Responses API servers', () => {
    it('reads GitHub Copilot, which sends a new item_id on every event, once and unbroken', () => {
      const { message, events } = decodes(
        'openai-responses',
        'github-copilot/responses-rotating-item-ids.sse',
      );
      expect(message).toMatchObject({
        model: 'gpt-5.3-codex',
        text:
          'There are **3** letter **“r”**s in **“strawberry.”**\n\nBreakdown: **s t r a w b e r r y**  \n' +
          'You can see **r** at positions **3, 8, and 9**.',
        reasoning: '**Counting character occurrences**',
        usage: {
          inputTokens: 19,
          outputTokens: 105,
          totalTokens: 124,
          cachedInputTokens: 0,
          reasoningTokens: 44,
        },
        finishReason: 'stop',
      });
      // Every delta is its own item id: none of them is taken for a new item or part.
      expect(byType(events, 'text')).toHaveLength(55);
    });

    it('reads LM Studio text and a reasoning model calling a tool', () => {
      const text = decodes('openai-responses', 'lmstudio/responses-text.sse').message;
      expect(text.text.startsWith('## The Festival of Whispering Leaves')).toBe(true);
      expect(text.finishReason).toBe('stop');
      const tool = decodes('openai-responses', 'lmstudio/responses-reasoning-tool-call.sse').message;
      expect(tool).toMatchObject({
        model: 'zai-org/glm-4.7-flash',
        text: "I'll get the current weather information for San Francisco for you.",
        toolCalls: [
          {
            id: 'call_2025306790300011',
            name: 'weather',
            args: { location: 'San Francisco' },
            argsText: '{"location":"San Francisco"}',
          },
        ],
        usage: {
          inputTokens: 182,
          outputTokens: 61,
          totalTokens: 243,
          cachedInputTokens: 2,
          reasoningTokens: 48,
        },
        finishReason: 'tool-calls',
      });
      expect(tool.reasoning.startsWith('The user is asking for the weather in San Francisco.')).toBe(true);
    });
  });

  describe('Gemini and Vertex AI', () => {
    it('assembles Vertex AI streamed arguments (partialArgs) into JSON text and a nested object', () => {
      const { message, events } = decodes('gemini', 'vertex/stream-function-call-args-nested.sse');
      expect(message.toolCalls).toHaveLength(1);
      const [call] = message.toolCalls;
      expect(call).toMatchObject({ id: 'call_0', name: 'cookRecipe' });
      const args = call!.args as { recipe: { name: string; ingredients: unknown[]; steps: string[] } };
      expect(args.recipe.name).toBe('Lasagna');
      expect(args.recipe.ingredients).toHaveLength(10);
      expect(args.recipe.ingredients[0]).toEqual({ amount: '16 oz', name: 'Lasagna noodles' });
      expect(args.recipe.steps).toHaveLength(10);
      expect(args.recipe.steps[0]).toBe('Preheat oven to 375°F (190°C).');
      // The deltas concatenate to the arguments' JSON text, which parses to the same object.
      const streamed = byType(events, 'tool-call-delta')
        .map((event) => event.argsText)
        .join('');
      expect(streamed).toBe(call!.argsText);
      expect(JSON.parse(streamed)).toEqual(call!.args);
      // One start, and one completion, only at the end: not a call completed with {} at once.
      expect(byType(events, 'tool-call-start')).toHaveLength(1);
      expect(byType(events, 'tool-call')).toHaveLength(1);
      expect(message.finishReason).toBe('tool-calls');
      // trafficType-only usageMetadata on every chunk but the last gives no usage event.
      expect(byType(events, 'usage')).toEqual([
        { type: 'usage', inputTokens: 31, outputTokens: 1710, totalTokens: 1741, reasoningTokens: 1026 },
      ]);
    });

    it('separates two streamed calls, each ended by an empty functionCall part', () => {
      const { message } = decodes('gemini', 'vertex/stream-function-call-args-two-calls.sse');
      expect(message.toolCalls).toEqual([
        { id: 'call_0', name: 'getWeather', args: { location: 'Boston' }, argsText: '{"location":"Boston"}' },
        {
          id: 'call_1',
          name: 'getWeather',
          args: { location: 'San Francisco' },
          argsText: '{"location":"San Francisco"}',
        },
      ]);
    });

    it('ends a streamed call at a partialArgs part without willContinue, numbers included', () => {
      const { message } = decodes('gemini', 'vertex/stream-function-call-args-no-terminal-part.sse');
      expect(message.toolCalls).toEqual([
        {
          id: 'call_0',
          name: 'writeItems',
          args: {
            operations: [
              { action: 'add', description: 'Fresh red apple', itemid: 'apple_001', price: 0.5 },
              { action: 'add', description: 'Ripe yellow banana', itemid: 'banana_001', price: 0.3 },
            ],
          },
          argsText:
            '{"operations":[{"action":"add","description":"Fresh red apple","itemid":"apple_001","price":0.5},' +
            '{"action":"add","description":"Ripe yellow banana","itemid":"banana_001","price":0.3}]}',
        },
      ]);
      expect(message.finishReason).toBe('tool-calls');
    });

    it('reads a Vertex AI flex-tier stream with a signed text part', () => {
      const { message, events } = decodes('gemini', 'vertex/flex-tier-thought-signature.sse');
      expect(message).toMatchObject({
        text: 'OK',
        usage: { inputTokens: 5, outputTokens: 101, totalTokens: 106, reasoningTokens: 100 },
        finishReason: 'stop',
      });
      expect(byType(events, 'reasoning')[0]?.signature?.startsWith('CiQBjz1rX')).toBe(true);
    });

    it('reads Gemini usage that grows mid-stream, and Gemini 3 signed tool calls', () => {
      const usage = decodes('gemini', 'gemini/usage-mid-stream.sse');
      expect(usage.message.text).toBe(Array.from({ length: 30 }, (_, i) => i + 1).join('\n'));
      expect(byType(usage.events, 'usage').map((event) => event.outputTokens)).toEqual([66, 114, 115]);
      const tool = decodes('gemini', 'gemini/tool-call-gemini3.sse').message;
      expect(tool.toolCalls).toMatchObject([{ name: 'weather', args: { location: 'San Francisco' } }]);
      expect(tool.finishReason).toBe('tool-calls');
      const signed = decodes('gemini', 'gemini/tool-call-thought-signature.sse').message;
      expect(signed.toolCalls).toMatchObject([{ name: 'get_country', args: {} }]);
    });
  });

  describe('AWS Bedrock (recorded for the bedrock decoder)', () => {
    // application/vnd.amazon.eventstream: 4-byte total length, 4-byte headers length, a CRC32 of
    // those 8 bytes, headers, payload, and a CRC32 of everything before it.
    it.each([
      ['bedrock/converse-nova-text.eventstream', 33, 'end_turn'],
      ['bedrock/converse-nova-tool-use.eventstream', 26, 'tool_use'],
      ['bedrock/converse-claude-reasoning-signature.eventstream', 25, 'end_turn'],
      ['bedrock/converse-claude-redacted-reasoning.eventstream', 18, 'end_turn'],
    ])('%s holds %i intact frames ending in messageStop (%s) and metadata', (path, frames, stopReason) => {
      const bytes = Buffer.from(fixtureBytes(path));
      const types: string[] = [];
      const payloads: string[] = [];
      for (let at = 0; at < bytes.length;) {
        const total = bytes.readUInt32BE(at);
        const headers = bytes.readUInt32BE(at + 4);
        expect(crc32(bytes.subarray(at, at + 8))).toBe(bytes.readUInt32BE(at + 8));
        expect(crc32(bytes.subarray(at, at + total - 4))).toBe(bytes.readUInt32BE(at + total - 4));
        types.push(eventType(bytes.subarray(at + 12, at + 12 + headers)));
        payloads.push(bytes.subarray(at + 12 + headers, at + total - 4).toString('utf8'));
        at += total;
      }
      expect(types).toHaveLength(frames);
      expect(types[0]).toBe('messageStart');
      expect(types.slice(-2)).toEqual(['messageStop', 'metadata']);
      expect((JSON.parse(payloads.at(-2)!) as { stopReason: string }).stopReason).toBe(stopReason);
    });
  });
});
