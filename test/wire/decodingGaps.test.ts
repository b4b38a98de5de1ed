import { from } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { toSSE } from '../../src/operators/toSSE';
import type { Message } from '../../src/base/message';
import { completeValuesOnly } from '../../src/wire/completeValuesOnly';
import { parsePath, StreamedArgs } from '../../src/wire/gemini/streamedArgs';
import type { DialectName } from '../../src/wire/types';
import { decodeChunks, decodeFixtureEveryWay } from '../support/decodeFixture';

/**
 * Shapes real streams show that the decoders once failed on, each in the shape its provider
 * sends (the recorded ones are in recordedStreams.test.ts).
 */

const byType = <T extends RxllmEvent['type']>(events: RxllmEvent[], type: T) =>
  events.filter((event): event is Extract<RxllmEvent, { type: T }> => event.type === type);

/** SSE text: one `data:` frame per message (objects JSON-encoded), `[name, data]` for a named event. */
const sse = (...messages: unknown[]) =>
  messages
    .map((message) =>
      Array.isArray(message)
        ? `event: ${String(message[0])}\ndata: ${JSON.stringify(message[1])}\n\n`
        : `data: ${typeof message === 'string' ? message : JSON.stringify(message)}\n\n`,
    )
    .join('');

const decode = (dialect: DialectName, text: string) => decodeChunks(dialect, [text]);

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'gpt-test',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('openai-chat: content as an array of typed parts', () => {
  it("reads OpenAI's array-valued content as text, skipping parts it has no event for", () => {
    const { message, error } = decode(
      'openai-chat',
      sse(
        chunk({ role: 'assistant', content: [{ type: 'text', text: 'Hel' }] }),
        chunk({
          content: [
            { type: 'image_url', image_url: { url: 'x' } },
            { type: 'text', text: 'lo' },
          ],
        }),
        chunk({ content: [{ type: 'refusal', refusal: 'No.' }] }),
        chunk({}, 'stop'),
        '[DONE]',
      ),
    );
    expect(error).toBeUndefined();
    expect(message).toMatchObject({ text: 'Hello', refusal: 'No.', finishReason: 'stop' });
  });

  it('reads a thinking part whose thinking is a plain string, and keeps choices apart', () => {
    const { events } = decode(
      'openai-chat',
      sse(
        {
          ...chunk({}),
          choices: [
            {
              index: 1,
              delta: {
                content: [
                  { type: 'thinking', thinking: 'hmm' },
                  { type: 'text', text: 'B' },
                ],
              },
            },
          ],
        },
        chunk({}, 'stop'),
      ),
    );
    expect(events.slice(1, 3)).toEqual([
      { type: 'reasoning', text: 'hmm', choice: 1 },
      { type: 'text', text: 'B', choice: 1 },
    ]);
  });

  it('still throws malformed for a part that is not an object', () => {
    const { error } = decode('openai-chat', sse(chunk({ content: ['text'] })));
    expect(error).toMatchObject({ code: 'malformed', dialect: 'openai-chat' });
  });
});

describe('openai-chat: tool calls', () => {
  it('reads the legacy delta.function_call as a tool call', () => {
    const { message, events, error } = decode(
      'openai-chat',
      sse(
        chunk({ role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '' } }),
        chunk({ function_call: { arguments: '{"city":' } }),
        chunk({ function_call: { arguments: ' "Paris"}' } }),
        chunk({}, 'function_call'),
        '[DONE]',
      ),
    );
    expect(error).toBeUndefined();
    expect(message.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', args: { city: 'Paris' }, argsText: '{"city": "Paris"}' },
    ]);
    expect(message.finishReason).toBe('tool-calls');
    expect(byType(events, 'tool-call-start')).toHaveLength(1);
  });

  it('keeps interleaved argument fragments of parallel calls (index 0, 1, 0, 1) on their calls', () => {
    const fragment = (index: number, args: string, id?: string, name?: string) =>
      chunk({
        tool_calls: [
          {
            index,
            ...(id && { id, type: 'function' }),
            function: { ...(name && { name }), arguments: args },
          },
        ],
      });
    const { message, events, error } = decode(
      'openai-chat',
      sse(
        fragment(0, '{"city": ', 'call_a', 'weather'),
        fragment(1, '{"ticker": ', 'call_b', 'stock'),
        fragment(0, '"Paris"}'),
        fragment(1, '"AAPL"}'),
        chunk({}, 'tool_calls'),
        '[DONE]',
      ),
    );
    expect(error).toBeUndefined();
    expect(byType(events, 'tool-call-start').map((event) => event.id)).toEqual(['call_a', 'call_b']);
    expect(message.toolCalls).toEqual([
      { id: 'call_a', name: 'weather', args: { city: 'Paris' }, argsText: '{"city": "Paris"}' },
      { id: 'call_b', name: 'stock', args: { ticker: 'AAPL' }, argsText: '{"ticker": "AAPL"}' },
    ]);
  });

  it('still completes a call early when the next starts and its arguments are whole JSON', () => {
    const { events } = decode(
      'openai-chat',
      sse(
        chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'g', arguments: '{}' } }] }),
        chunk({}, 'tool_calls'),
      ),
    );
    expect(events.slice(1).map((event) => `${event.type}:${'id' in event ? event.id : ''}`)).toEqual([
      'tool-call-start:call_a',
      'tool-call-delta:call_a',
      'tool-call:call_a',
      'tool-call-start:call_b',
      'tool-call-delta:call_b',
      'tool-call:call_b',
      'finish:',
    ]);
  });

  it('takes a new id at a reused index as a new call', () => {
    const { message } = decode(
      'openai-chat',
      sse(
        chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{"x":1}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_b', function: { name: 'g', arguments: '{"y":2}' } }] }),
        chunk({}, 'tool_calls'),
      ),
    );
    expect(message.toolCalls).toEqual([
      { id: 'call_a', name: 'f', args: { x: 1 }, argsText: '{"x":1}' },
      { id: 'call_b', name: 'g', args: { y: 2 }, argsText: '{"y":2}' },
    ]);
  });
});

describe('a stream that ends properly without a finish reason', () => {
  it('openai-chat: [DONE] with no finish_reason finishes with stop and a null raw reason', () => {
    const { events, error } = decode('openai-chat', sse(chunk({ content: 'Hi' }), '[DONE]'));
    expect(error).toBeUndefined();
    expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'stop', rawReason: null }]);
  });

  it('openai-chat: tool-calls after a tool call, for every unfinished choice', () => {
    const { events, error } = decode(
      'openai-chat',
      sse(
        chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{}' } }] }),
        { ...chunk({}), choices: [{ index: 1, delta: { content: 'B' }, finish_reason: null }] },
        '[DONE]',
      ),
    );
    expect(error).toBeUndefined();
    expect(byType(events, 'finish')).toEqual([
      { type: 'finish', reason: 'tool-calls', rawReason: null },
      { type: 'finish', reason: 'stop', rawReason: null, choice: 1 },
    ]);
  });

  it('a finish with a null raw reason survives the rxllm dialect and every provider dialect', () => {
    const source = decode('openai-chat', sse(chunk({ content: 'Hi' }), '[DONE]'));
    for (const dialect of ['rxllm', 'openai-chat', 'openai-responses', 'anthropic'] as const) {
      let text = '';
      from(source.events)
        .pipe(toSSE({ dialect }))
        .subscribe((frame) => (text += frame));
      const back = decode(dialect, text);
      expect({ dialect, error: back.error, finishReason: back.message.finishReason }).toEqual({
        dialect,
        error: undefined,
        finishReason: 'stop',
      });
      if (dialect === 'rxllm')
        expect(byType(back.events, 'finish')).toEqual([{ type: 'finish', reason: 'stop', rawReason: null }]);
    }
  });

  it('openai-chat: a stream cut before [DONE] is still a network error', () => {
    const { error } = decode('openai-chat', sse(chunk({ content: 'Hi' })));
    expect(error?.code).toBe('network');
  });

  it('anthropic: message_stop without a stop_reason finishes with tool-calls after a tool_use block', () => {
    const { events, message, error } = decode(
      'anthropic',
      sse(
        ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: {} } }],
        [
          'content_block_start',
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
          },
        ],
        [
          'content_block_delta',
          {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: '{"a":1}' },
          },
        ],
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        [
          'message_delta',
          { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 5 } },
        ],
        ['message_stop', { type: 'message_stop' }],
      ),
    );
    expect(error).toBeUndefined();
    expect(byType(events, 'finish')).toEqual([{ type: 'finish', reason: 'tool-calls', rawReason: null }]);
    expect(message.finishReason).toBe('tool-calls');
  });
});

describe('openai-responses: content sent only in .done events', () => {
  const created = { type: 'response.created', response: { id: 'resp_1', model: 'gpt-x', created_at: 1 } };
  const completed = { type: 'response.completed', response: { status: 'completed', usage: null } };

  it('reads text, refusal and reasoning from their .done events when no delta came', () => {
    const { message, error } = decode(
      'openai-responses',
      sse(
        created,
        { type: 'response.reasoning_summary_text.done', item_id: 'rs_1', summary_index: 0, text: 'Think.' },
        { type: 'response.reasoning_summary_text.done', item_id: 'rs_1', summary_index: 1, text: 'More.' },
        { type: 'response.output_text.done', item_id: 'msg_1', content_index: 0, text: 'Hello' },
        { type: 'response.refusal.done', item_id: 'msg_2', content_index: 0, refusal: 'No.' },
        completed,
      ),
    );
    expect(error).toBeUndefined();
    expect(message).toMatchObject({
      text: 'Hello',
      reasoning: 'Think.\n\nMore.',
      refusal: 'No.',
      finishReason: 'stop',
    });
  });

  it('does not read text twice when deltas came, and reads a message item that came only whole', () => {
    const { message } = decode(
      'openai-responses',
      sse(
        created,
        { type: 'response.output_text.delta', item_id: 'msg_1', content_index: 0, delta: 'Hi' },
        { type: 'response.output_text.done', item_id: 'msg_1', content_index: 0, text: 'Hi' },
        {
          type: 'response.output_item.done',
          item: { type: 'message', id: 'msg_1', content: [{ type: 'output_text', text: 'Hi' }] },
        },
        {
          type: 'response.output_item.done',
          item: { type: 'message', id: 'msg_2', content: [{ type: 'output_text', text: ' there' }] },
        },
        completed,
      ),
    );
    expect(message.text).toBe('Hi there');
  });

  it('reads arguments sent only in function_call_arguments.done, and a call that came only whole', () => {
    const { message, error } = decode(
      'openai-responses',
      sse(
        created,
        {
          type: 'response.output_item.added',
          item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '' },
        },
        { type: 'response.function_call_arguments.done', item_id: 'fc_1', arguments: '{"a":1}' },
        {
          type: 'response.output_item.done',
          item: { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'g', arguments: '{"b":2}' },
        },
        completed,
      ),
    );
    expect(error).toBeUndefined();
    expect(message.toolCalls).toEqual([
      { id: 'call_1', name: 'f', args: { a: 1 }, argsText: '{"a":1}' },
      { id: 'call_2', name: 'g', args: { b: 2 }, argsText: '{"b":2}' },
    ]);
    expect(message.finishReason).toBe('tool-calls');
  });
});

describe('openai-responses: item ids rotated on every event (GitHub Copilot)', () => {
  it('follows reasoning, text and a function call by their output_index', () => {
    let n = 0;
    const id = () => `capture-id-${++n}`;
    const { message, error } = decode(
      'openai-responses',
      sse(
        { type: 'response.created', response: { id: 'resp_1', model: 'gpt-x', created_at: 1 } },
        { type: 'response.output_item.added', output_index: 0, item: { id: id(), type: 'reasoning' } },
        {
          type: 'response.reasoning_summary_text.delta',
          item_id: id(),
          output_index: 0,
          summary_index: 0,
          delta: 'Think',
        },
        {
          type: 'response.reasoning_summary_text.delta',
          item_id: id(),
          output_index: 0,
          summary_index: 0,
          delta: 'ing',
        },
        {
          type: 'response.reasoning_summary_text.done',
          item_id: id(),
          output_index: 0,
          summary_index: 0,
          text: 'Thinking',
        },
        { type: 'response.output_text.delta', item_id: id(), output_index: 1, content_index: 0, delta: 'Hi' },
        { type: 'response.output_text.done', item_id: id(), output_index: 1, content_index: 0, text: 'Hi' },
        {
          type: 'response.output_item.added',
          output_index: 2,
          item: { id: id(), type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' },
        },
        { type: 'response.function_call_arguments.delta', item_id: id(), output_index: 2, delta: '{"a":' },
        { type: 'response.function_call_arguments.delta', item_id: id(), output_index: 2, delta: '1}' },
        {
          type: 'response.function_call_arguments.done',
          item_id: id(),
          output_index: 2,
          arguments: '{"a":1}',
        },
        { type: 'response.completed', response: { status: 'completed', usage: null } },
      ),
    );
    expect(error).toBeUndefined();
    expect(message).toMatchObject({
      text: 'Hi',
      reasoning: 'Thinking',
      toolCalls: [{ id: 'call_1', name: 'f', args: { a: 1 }, argsText: '{"a":1}' }],
      finishReason: 'tool-calls',
    });
  });
});

describe('gemini: Vertex AI streamed function-call arguments', () => {
  const part = (functionCall: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    candidates: [{ content: { role: 'model', parts: [{ functionCall }] }, ...extra }],
    usageMetadata: { trafficType: 'ON_DEMAND' },
  });

  it('streams booleans, nulls and strings in pieces, and ends the call at the finish', () => {
    const { message, events, error } = decode(
      'gemini',
      sse(
        part({ name: 'save', willContinue: true }),
        part({
          partialArgs: [{ jsonPath: '$.note', stringValue: 'a "quoted', willContinue: true }],
          willContinue: true,
        }),
        part({ partialArgs: [{ jsonPath: '$.note', stringValue: '" word' }], willContinue: true }),
        part({ partialArgs: [{ jsonPath: "$.flags['is draft']", boolValue: true }], willContinue: true }),
        part({ partialArgs: [{ jsonPath: '$.flags.owner', nullValue: 'NULL_VALUE' }], willContinue: true }),
        part({ willContinue: true }, { finishReason: 'STOP' }),
      ),
    );
    expect(error).toBeUndefined();
    const args = { note: 'a "quoted" word', flags: { 'is draft': true, owner: null } };
    expect(message.toolCalls).toEqual([{ id: 'call_0', name: 'save', args, argsText: JSON.stringify(args) }]);
    expect(message.finishReason).toBe('tool-calls');
    // A trafficType-only usageMetadata is no usage at all.
    expect(byType(events, 'usage')).toEqual([]);
    expect(message.usage).toBeNull();
  });

  it('reports a streamed call cut off by the end of the input as incomplete, then the network error', () => {
    const { events, error } = decode(
      'gemini',
      sse(
        part({ name: 'save', willContinue: true }),
        part({
          partialArgs: [{ jsonPath: '$.note', stringValue: 'hal', willContinue: true }],
          willContinue: true,
        }),
      ),
    );
    expect(error?.code).toBe('network');
    expect(byType(events, 'tool-call')).toEqual([
      {
        type: 'tool-call',
        id: 'call_0',
        name: 'save',
        index: 0,
        args: { note: 'hal' },
        argsText: '{"note":"hal"}',
        incomplete: true,
      },
    ]);
  });

  it('throws malformed for a partialArgs path it cannot read', () => {
    const { error } = decode(
      'gemini',
      sse(
        part({ name: 'save', willContinue: true }),
        part({ partialArgs: [{ jsonPath: 'note', stringValue: 'x' }] }),
      ),
    );
    expect(error).toMatchObject({ code: 'malformed', dialect: 'gemini' });
  });

  it('writes JSON paths as JSON text: nested arrays, and keys that need escaping', () => {
    expect(parsePath(`$.a[0]['b.c']["d"]`)).toEqual(['a', 0, 'b.c', 'd']);
    expect(parsePath('a.b')).toBeUndefined();
    const args = new StreamedArgs();
    args.add({ jsonPath: '$.m[0][0]', numberValue: 1 });
    args.add({ jsonPath: '$.m[0][1]', numberValue: 2 });
    args.add({ jsonPath: '$.m[1][0]', numberValue: 3 });
    args.add({ jsonPath: "$['k.\\n']", stringValue: 'line\nbreak' });
    args.close();
    expect(args.value).toEqual({ m: [[1, 2], [3]], 'k.\\n': 'line\nbreak' });
    expect(JSON.parse(args.text)).toEqual(args.value);
  });
});

describe('cut-off tool arguments: complete values only, as both Anthropic SDKs read them', () => {
  it.each([
    ['{"a": "hel', '{"a": '],
    ['{"a": 1, "b": "x', '{"a": 1, "b": '],
    ['{"a": [1, 2', '{"a": [1, '],
    ['{"a": tr', '{"a": '],
    ['{"a": "b", "c', '{"a": "b", '],
    ['{"a": {"b": "c"', '{"a": {"b": "c"'],
    ['{"a": "x\\"y', '{"a": '],
  ])('%s is cut back to %s', (text, kept) => {
    expect(completeValuesOnly(text)).toBe(kept);
  });

  it('reads the recorded max_tokens cut-off as anthropic-sdk-python expects it', () => {
    const { message } = decodeFixtureEveryWay('anthropic', 'anthropic/max-tokens-partial-tool-json.sse');
    expect(message.toolCalls[0]).toMatchObject({
      incomplete: true,
      args: {
        filename: 'taxes.txt',
        lines_of_text: [
          '# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s',
          '',
          '## INTRODUCTION',
          '',
        ],
      },
    });
    expect(message.finishReason).toBe('length');
  });
});

describe("a failed stream's partial", () => {
  it("says finishReason 'error', even after a finish reason the provider sent before failing", () => {
    const { error } = decodeFixtureEveryWay('openai-chat', 'openrouter/midstream-error-after-length.sse');
    expect(error?.partial).toMatchObject<Partial<Message>>({
      reasoning: 'We need to respond to a greeting. The user',
      finishReason: 'error',
    });
  });
});
