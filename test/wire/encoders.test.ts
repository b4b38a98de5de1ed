import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { ev } from '../../src/testing';
import { createAISDKUIDecoder } from '../../src/wire/ai-sdk-ui/decoder';
import { createAISDKUIEncoder } from '../../src/wire/ai-sdk-ui/encoder';
import { createAnthropicEncoder } from '../../src/wire/anthropic/encoder';
import { getDialect } from '../../src/wire/dialects';
import { createOpenAIChatEncoder } from '../../src/wire/openai-chat/encoder';
import { createOpenAIResponsesEncoder } from '../../src/wire/openai-responses/encoder';
import type { Encoder, EncoderOptions, SSEFrame, WriteFrame } from '../../src/wire/types';

type Create = (write: WriteFrame, options?: EncoderOptions) => Encoder;

/** Runs events through an encoder; returns the frames with their data parsed (`[DONE]` kept as text). */
function encode(create: Create, events: RxllmEvent[], options?: EncoderOptions, failure?: RxllmError) {
  const frames: SSEFrame[] = [];
  const encoder = create((frame) => frames.push(frame), options);
  for (const event of events) encoder.event(event);
  if (failure) encoder.error(failure);
  else encoder.end();
  return frames.map((frame) => ({
    ...(frame.event !== undefined && { event: frame.event }),
    data: frame.data === '[DONE]' ? '[DONE]' : (JSON.parse(frame.data) as Record<string, unknown>),
  }));
}

const dataOf = (frames: ReturnType<typeof encode>) => frames.map((frame) => frame.data);

describe('createOpenAIChatEncoder', () => {
  it('is the encoder of the openai-chat dialect', () => {
    expect(getDialect('openai-chat', 'encode').createEncoder).toBe(createOpenAIChatEncoder);
  });

  it('names the response from options when no start event arrives', () => {
    const [first] = encode(createOpenAIChatEncoder, [ev.text('Hi')], { id: 'chatcmpl-opt', model: 'm-1' });
    expect(first!.data).toEqual({
      id: 'chatcmpl-opt',
      object: 'chat.completion.chunk',
      created: expect.any(Number),
      model: 'm-1',
      choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
    });
    expect(String((first!.data as { created: number }).created)).toMatch(/^\d{10}$/);
  });

  it('synthesizes a chatcmpl- id when neither a start event nor options name one', () => {
    const [first] = encode(createOpenAIChatEncoder, [ev.text('Hi')]);
    expect((first!.data as { id: string }).id).toMatch(/^chatcmpl-[a-z0-9]{8,}$/);
  });

  it('writes each choice under its own index, with its own first role', () => {
    const frames = encode(createOpenAIChatEncoder, [
      ev.start({ id: 'c', model: 'm', created: 1_000_000 }),
      { type: 'text', text: 'A', choice: 0 },
      { type: 'text', text: 'B', choice: 1 },
      { type: 'text', text: 'b', choice: 1 },
      { type: 'finish', reason: 'stop', choice: 1 },
      { type: 'finish', reason: 'length', choice: 0 },
    ]);
    expect(
      dataOf(frames).map((data) => (data === '[DONE]' ? data : (data as { choices: unknown[] }).choices)),
    ).toEqual([
      [{ index: 0, delta: { role: 'assistant', content: 'A' }, finish_reason: null }],
      [{ index: 1, delta: { role: 'assistant', content: 'B' }, finish_reason: null }],
      [{ index: 1, delta: { content: 'b' }, finish_reason: null }],
      [{ index: 1, delta: {}, finish_reason: 'stop' }],
      [{ index: 0, delta: {}, finish_reason: 'length' }],
      '[DONE]',
    ]);
  });

  it('keeps interleaved tool calls apart by index and writes a call that arrives whole in one delta', () => {
    const frames = encode(createOpenAIChatEncoder, [
      ev.start({ id: 'c', model: 'm', created: 0 }),
      ev.toolCallStart('call_a', 'f', 0),
      ev.toolCallStart('call_b', 'g', 1),
      ev.toolCallDelta('call_a', '{"x":', 0),
      ev.toolCallDelta('call_b', '{"y":2}', 1),
      { type: 'tool-call', id: 'call_a', name: 'f', index: 0, args: { x: 1 }, argsText: '{"x":1}' },
      ev.toolCall('call_b', 'g', { y: 2 }, 1),
      ev.toolCall('call_c', 'h', {}, 2),
      ev.finish('tool-calls'),
    ]);
    const deltas = dataOf(frames)
      .slice(0, -1)
      .map((data) => (data as { choices: Array<{ delta: unknown; finish_reason: unknown }> }).choices[0]);
    expect(deltas).toEqual([
      {
        index: 0,
        delta: {
          role: 'assistant',
          tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }],
        },
        finish_reason: null,
      },
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '' } }],
        },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] },
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 1, function: { arguments: '{"y":2}' } }] },
        finish_reason: null,
      },
      // The final call completes what the deltas left out.
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 2, id: 'call_c', type: 'function', function: { name: 'h', arguments: '{}' } },
          ],
        },
        finish_reason: null,
      },
      { index: 0, delta: {}, finish_reason: 'tool_calls' },
    ]);
  });

  it('writes usage last even when it arrives before the finish, and ignores a reset before output', () => {
    const frames = encode(createOpenAIChatEncoder, [
      ev.start({ id: 'c', model: 'm', created: 0 }),
      ev.reset('retry'),
      ev.usage(3, 4, undefined, { cachedInputTokens: 1, reasoningTokens: 2 }),
      ev.text('x'),
      { type: 'reasoning', text: 'why' },
      { type: 'refusal', text: 'no' },
      ev.finish('refusal'),
    ]);
    expect(dataOf(frames)).toEqual([
      expect.objectContaining({
        choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, finish_reason: null }],
      }),
      expect.objectContaining({
        choices: [{ index: 0, delta: { reasoning_content: 'why' }, finish_reason: null }],
      }),
      expect.objectContaining({ choices: [{ index: 0, delta: { refusal: 'no' }, finish_reason: null }] }),
      expect.objectContaining({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [],
        usage: {
          prompt_tokens: 3,
          completion_tokens: 4,
          total_tokens: 7,
          prompt_tokens_details: { cached_tokens: 1 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      },
      '[DONE]',
    ]);
  });

  it('writes an error in OpenAI shape, keeping its provider code and HTTP status, then [DONE]', () => {
    const failure = new RxllmError('Token limit reached', {
      code: 'http',
      status: 400,
      dialect: 'openai-chat',
      providerCode: 'tool_use_failed',
    });
    expect(dataOf(encode(createOpenAIChatEncoder, [], undefined, failure))).toEqual([
      {
        error: {
          message: 'Token limit reached',
          type: 'server_error',
          code: 'tool_use_failed',
          param: null,
          status_code: 400,
        },
      },
      '[DONE]',
    ]);
  });
});

describe('createAnthropicEncoder', () => {
  it('is the encoder of the anthropic dialect', () => {
    expect(getDialect('anthropic', 'encode').createEncoder).toBe(createAnthropicEncoder);
  });

  it('writes thinking, text and tool_use blocks in order, holding stop reason and usage for message_delta', () => {
    const frames = encode(createAnthropicEncoder, [
      ev.start({ id: 'msg_1', model: 'claude' }),
      ev.usage(10, 1, undefined, { cachedInputTokens: 4 }),
      ev.reasoning('think'),
      { type: 'reasoning', text: '', signature: 'sig' },
      ev.text('a'),
      ev.toolCallStart('toolu_1', 'f'),
      ev.toolCallDelta('toolu_1', '{"q":'),
      { type: 'tool-call', id: 'toolu_1', name: 'f', index: 0, args: { q: 1 }, argsText: '{"q":1}' },
      ev.finish('tool-calls'),
      ev.usage(10, 20, undefined, { cachedInputTokens: 4 }),
    ]);
    expect(frames).toEqual([
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 6, cache_read_input_tokens: 4, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'a' } },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 2,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 2,
          delta: { type: 'input_json_delta', partial_json: '{"q":' },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 2,
          delta: { type: 'input_json_delta', partial_json: '1}' },
        },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { input_tokens: 6, cache_read_input_tokens: 4, output_tokens: 20 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });

  it('keeps interleaved tool calls in their own blocks and drops choices other than 0', () => {
    const frames = encode(
      createAnthropicEncoder,
      [
        ev.toolCallStart('t1', 'f', 0),
        ev.toolCallStart('t2', 'g', 1),
        ev.toolCallDelta('t2', '{}', 1),
        ev.toolCallDelta('t1', '{"a":1}', 0),
        { type: 'text', text: 'other choice', choice: 1 },
        ev.toolCall('t1', 'f', { a: 1 }, 0),
        ev.toolCall('t2', 'g', {}, 1),
      ],
      { id: 'msg_opt', model: 'claude-opt' },
    );
    expect(frames.map(({ event, data }) => [event, (data as { index?: number }).index])).toEqual([
      ['message_start', undefined],
      ['content_block_start', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_stop', 1],
      ['message_delta', undefined],
      ['message_stop', undefined],
    ]);
    expect((frames[0]!.data as { message: { id: string; model: string } }).message).toMatchObject({
      id: 'msg_opt',
      model: 'claude-opt',
    });
    expect(JSON.stringify(frames)).not.toContain('other choice');
  });

  it('writes redacted thinking whole and ignores a reset before output', () => {
    const frames = encode(createAnthropicEncoder, [
      ev.reset('fallback'),
      { type: 'reasoning', text: '', redacted: 'EncryptedBlob' },
      ev.text('ok'),
    ]);
    expect(frames.slice(1, 3).map((frame) => frame.data)).toEqual([
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'redacted_thinking', data: 'EncryptedBlob' },
      },
      { type: 'content_block_stop', index: 0 },
    ]);
    expect((frames[0]!.data as { message: { id: string } }).message.id).toMatch(/^msg_/);
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('writes held stop reason and usage before the error event', () => {
    const frames = encode(
      createAnthropicEncoder,
      [ev.start({ id: 'msg_1', model: 'c' }), ev.text('x'), ev.finish('length'), ev.usage(1, 2)],
      undefined,
      new RxllmError('busy', { code: 'overloaded' }),
    );
    expect(frames.slice(-2)).toEqual([
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'max_tokens', stop_sequence: null },
          usage: { input_tokens: 1, output_tokens: 2 },
        },
      },
      { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'busy' } } },
    ]);
  });
});

describe('createOpenAIResponsesEncoder', () => {
  it('is the encoder of the openai-responses dialect', () => {
    expect(getDialect('openai-responses', 'encode').createEncoder).toBe(createOpenAIResponsesEncoder);
  });

  it('writes reasoning, message and function_call items with contiguous sequence numbers', () => {
    const frames = encode(
      createOpenAIResponsesEncoder,
      [
        ev.reasoning('hm'),
        ev.text('Hi'),
        { type: 'refusal', text: 'no' },
        ev.toolCall('call_1', 'f', { a: 1 }),
        ev.usage(5, 6),
        ev.finish('tool-calls'),
      ],
      { id: 'resp_abc', model: 'gpt' },
    );
    expect(frames.map((frame) => frame.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(frames.map((frame) => (frame.data as { sequence_number: number }).sequence_number)).toEqual(
      frames.map((_frame, index) => index),
    );
    expect(frames.map((frame) => (frame.data as { type: string }).type)).toEqual(
      frames.map((frame) => frame.event),
    );
    expect(frames.at(-1)!.data).toEqual({
      type: 'response.completed',
      sequence_number: 22,
      response: {
        id: 'resp_abc',
        object: 'response',
        created_at: expect.any(Number),
        status: 'completed',
        model: 'gpt',
        output: [
          { type: 'reasoning', id: 'rs_abc_0', summary: [{ type: 'summary_text', text: 'hm' }] },
          {
            type: 'message',
            id: 'msg_abc_1',
            status: 'completed',
            role: 'assistant',
            content: [
              { type: 'output_text', text: 'Hi', annotations: [], logprobs: [] },
              { type: 'refusal', refusal: 'no' },
            ],
          },
          {
            type: 'function_call',
            id: 'fc_abc_2',
            call_id: 'call_1',
            name: 'f',
            arguments: '{"a":1}',
            status: 'completed',
          },
        ],
        usage: {
          input_tokens: 5,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 6,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 11,
        },
        error: null,
        incomplete_details: null,
      },
    });
  });

  it('ends a length-limited response with response.incomplete', () => {
    const frames = encode(createOpenAIResponsesEncoder, [ev.text('cut'), ev.finish('length')]);
    const last = frames.at(-1)!.data as {
      type: string;
      response: { status: string; incomplete_details: unknown };
    };
    expect(last.type).toBe('response.incomplete');
    expect(last.response.status).toBe('incomplete');
    expect(last.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('keeps interleaved function calls in their own items', () => {
    const frames = encode(createOpenAIResponsesEncoder, [
      ev.toolCallStart('a', 'f', 0),
      ev.toolCallStart('b', 'g', 1),
      ev.toolCallDelta('b', '{"y":1}', 1),
      ev.toolCallDelta('a', '{"x":1}', 0),
      ev.toolCall('a', 'f', { x: 1 }, 0),
      ev.toolCall('b', 'g', { y: 1 }, 1),
    ]);
    const deltas = frames
      .filter((frame) => frame.event === 'response.function_call_arguments.delta')
      .map((frame) => frame.data as { output_index: number; delta: string });
    expect(deltas.map(({ output_index, delta }) => [output_index, delta])).toEqual([
      [1, '{"y":1}'],
      [0, '{"x":1}'],
    ]);
  });

  it('writes the error nested and at the top level, then response.failed with the partial output', () => {
    const frames = encode(
      createOpenAIResponsesEncoder,
      [ev.text('part')],
      { id: 'resp_x' },
      new RxllmError('quota', {
        code: 'rate-limit',
        dialect: 'openai-responses',
        providerCode: 'insufficient_quota',
      }),
    );
    expect(frames.slice(-2).map((frame) => frame.event)).toEqual(['error', 'response.failed']);
    expect(frames.at(-2)!.data).toEqual({
      type: 'error',
      sequence_number: frames.length - 2,
      code: 'insufficient_quota',
      message: 'quota',
      param: null,
      error: { type: 'rate_limit_error', code: 'insufficient_quota', message: 'quota', param: null },
    });
    const failed = frames.at(-1)!.data as { response: { status: string; error: unknown; output: unknown[] } };
    expect(failed.response.status).toBe('failed');
    expect(failed.response.error).toEqual({ code: 'insufficient_quota', message: 'quota' });
    expect(failed.response.output).toEqual([
      {
        type: 'message',
        id: 'msg_x_0',
        status: 'in_progress',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'part', annotations: [], logprobs: [] }],
      },
    ]);
  });
});

describe('createAISDKUIEncoder', () => {
  it('is the ai-sdk-ui dialect, which decodes too', () => {
    const dialect = getDialect('ai-sdk-ui', 'encode');
    expect(dialect.createEncoder).toBe(createAISDKUIEncoder);
    expect(dialect.createDecoder).toBe(createAISDKUIDecoder);
  });

  it('writes parts in order with their own ids, a cut-off tool call as tool-input-error, and finish last', () => {
    const frames = encode(
      createAISDKUIEncoder,
      [
        ev.text('a'),
        ev.reasoning('r'),
        ev.text('b'),
        ev.toolCallStart('c1', 'f'),
        ev.toolCallDelta('c1', '{"x":'),
        { type: 'tool-call', id: 'c1', name: 'f', index: 0, args: {}, argsText: '{"x":', incomplete: true },
        ev.finish('length'),
      ],
      { id: 'm1' },
    );
    expect(dataOf(frames)).toEqual([
      { type: 'start', messageId: 'm1' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'a' },
      { type: 'text-end', id: 'text-0' },
      { type: 'reasoning-start', id: 'reasoning-1' },
      { type: 'reasoning-delta', id: 'reasoning-1', delta: 'r' },
      { type: 'reasoning-end', id: 'reasoning-1' },
      { type: 'text-start', id: 'text-2' },
      { type: 'text-delta', id: 'text-2', delta: 'b' },
      { type: 'text-end', id: 'text-2' },
      { type: 'tool-input-start', toolCallId: 'c1', toolName: 'f' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"x":' },
      {
        type: 'tool-input-error',
        toolCallId: 'c1',
        toolName: 'f',
        input: {},
        errorText: "the tool call's arguments were cut off before they were complete JSON",
      },
      { type: 'finish', finishReason: 'length' },
      '[DONE]',
    ]);
  });

  it('writes errors as error chunks, after a reset before output that it ignores', () => {
    const frames = encode(
      createAISDKUIEncoder,
      [ev.start({ id: 'm' }), ev.reset('retry'), ev.text('again')],
      undefined,
      new RxllmError('boom', { code: 'network' }),
    );
    expect(dataOf(frames)).toEqual([
      { type: 'start', messageId: 'm' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'again' },
      { type: 'error', errorText: 'boom' },
      '[DONE]',
    ]);
  });
});

describe('a reset after output, which no provider format can take back', () => {
  const events = [ev.start({ id: 'x1', model: 'm' }), ev.text('draft'), ev.reset('retry'), ev.text('SECOND')];

  /** Feeds events until the encoder closes the stream; returns the frames and what it closed with. */
  function encodeUntilClosed(create: Create) {
    const frames: SSEFrame[] = [];
    const encoder = create((frame) => frames.push(frame));
    let closedBy: RxllmError | void = undefined;
    for (const event of events) {
      closedBy = encoder.event(event);
      if (closedBy) break;
    }
    if (closedBy) encoder.error(closedBy); // as toSSE does
    encoder.event(ev.text('SECOND')); // ignored once closed
    encoder.end(); // ignored once closed
    return { data: frames.map((frame) => frame.data), closedBy };
  }

  it.each([
    ['openai-chat', createOpenAIChatEncoder, '{"error":{'],
    ['openai-responses', createOpenAIResponsesEncoder, '"type":"error"'],
    ['anthropic', createAnthropicEncoder, '{"type":"error","error":{"type":"api_error"'],
    ['ai-sdk-ui', createAISDKUIEncoder, '{"type":"error","errorText":'],
  ] as const)(
    '%s ends the stream with a clear error instead of a second answer',
    (dialect, create, errorFrame) => {
      const { data, closedBy } = encodeUntilClosed(create);
      expect(RxllmError.isInstance(closedBy)).toBe(true);
      expect(closedBy).toMatchObject({ providerCode: 'stream_restarted', retryable: true, dialect });
      expect((closedBy as RxllmError).message).toContain('cannot take text back');
      const text = data.join('\n');
      expect(text).toContain('draft');
      expect(text).not.toContain('SECOND');
      const errorAt = data.findIndex((frame) => frame.includes(errorFrame));
      expect(errorAt).toBeGreaterThan(0);
      expect(data[errorAt]).toContain('restarted (retry)');
      // Nothing that reads as a normal ending follows the error.
      expect(data.slice(errorAt + 1).join('')).not.toMatch(/message_stop|response\.completed|"finish"/);
    },
  );
});
