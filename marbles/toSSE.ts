import { RxllmError } from '../src/base/errors';
import type { ToSSEConfig } from '../src/operators/toSSE';
import { ev, type MarbleScenario } from '../src/testing';

const chunk = (choice: string) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[${choice}]}\n\n`;

const overloaded = new RxllmError('Overloaded', { code: 'overloaded', providerCode: 'overloaded_error' });

const values = {
  s: ev.start({ id: 'chatcmpl-1', model: 'gpt-4o', created: 1_700_000_000_000 }),
  a: ev.text('Hel'),
  b: ev.text('lo'),
  f: ev.finish('stop'),
  u: ev.usage(5, 2),
  m: ev.start({ id: 'msg_1', model: 'claude' }),
  // openai-chat
  x: chunk('{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}'),
  y: chunk('{"index":0,"delta":{"content":"lo"},"finish_reason":null}'),
  z: chunk('{"index":0,"delta":{},"finish_reason":"stop"}'),
  d: 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n',
  D: 'data: [DONE]\n\n',
  h: ': keep-alive\n\n',
  // anthropic
  M: 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}\n\n',
  B: 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  T: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n',
  E: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
  // rxllm
  r: 'event: text\nid: 0\ndata: {"type":"text","text":"Hel"}\n\n',
  R: 'event: done\nid: 1\ndata: [DONE]\n\n',
  t: 'event: text\ndata: {"type":"text","text":"Hel"}\n\n',
  e: 'event: rxllm-error\ndata: {"type":"error","error":{"name":"RxllmError","code":"overloaded","message":"Overloaded","retryable":true,"providerCode":"overloaded_error"},"fatal":true}\n\n',
  q: 'event: done\ndata: [DONE]\n\n',
  // ai-sdk-ui
  S: 'data: {"type":"start","messageId":"msg_1"}\n\n',
  P: 'data: {"type":"text-start","id":"text-0"}\n\n',
  Q: 'data: {"type":"text-delta","id":"text-0","delta":"Hel"}\n\n',
  V: 'data: {"type":"text-delta","id":"text-0","delta":"lo"}\n\n',
  W: 'data: {"type":"text-end","id":"text-0"}\n\n',
  F: 'data: {"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7}}}\n\n',
};

/**
 * The scenarios that specify `toSSE`; `main` is the one its JSDoc shows. Inputs are rxllm events,
 * `expected` are SSE text frames. A diagram may have an `unsubscribe` line (the consumer's
 * subscription) before `expected`.
 */
export const scenarios: Record<string, MarbleScenario<ToSSEConfig>> = {
  main: {
    description: 'writes OpenAI chunks, a keep-alive comment while silent, and the held usage before [DONE]',
    diagram: {
      source: '-s-a-b-----f-u-|',
      expected: '---x-y---h-z---(dD|)',
    },
    values,
    config: { dialect: 'openai-chat', heartbeatMs: 4 },
    subscriptions: '^--------------!',
  },
  heartbeatBeforeFirstToken: {
    description: 'keeps the connection alive every heartbeatMs while the model has not started',
    diagram: {
      source: '--------a|',
      expected: '---h--h-t(q|)',
    },
    values,
    config: { heartbeatMs: 3 },
  },
  errorAsFrames: {
    description: "writes an upstream error as the dialect's error event and then completes",
    diagram: {
      source: '-m-a------#',
      expected: '---(MBT)--(E|)',
    },
    values,
    config: { dialect: 'anthropic' },
    subscriptions: '^---------!',
    error: overloaded,
  },
  errorPropagated: {
    description: "passes an upstream error on without frames when errors is 'propagate'",
    diagram: {
      source: '-m-a------#',
      expected: '---(MBT)--#',
    },
    values,
    config: { dialect: 'anthropic', errors: 'propagate' },
    error: overloaded,
  },
  rxllmErrorFrame: {
    description: 'writes the error as a fatal error frame in the rxllm dialect',
    diagram: {
      source: '-a--#',
      expected: '-t--(e|)',
    },
    values,
    config: {},
    error: overloaded,
  },
  ids: {
    description: 'numbers the frames with id lines when ids is true',
    diagram: {
      source: '-a-|',
      expected: '-r-(R|)',
    },
    values,
    config: { ids: true },
  },
  uiMessageStream: {
    description: 'opens, streams and closes a text part of the AI SDK UI message stream',
    diagram: {
      source: '-m-a-----b-f-u-|',
      expected: '---(SPQ)-V-----(WFD|)',
    },
    values,
    config: { dialect: 'ai-sdk-ui' },
  },
  unsubscribe: {
    description: 'stops the heartbeat and unsubscribes from the source when the consumer unsubscribes',
    diagram: {
      source: '-a---------',
      unsubscribe: '^------!',
      expected: '-t--h--',
    },
    values,
    config: { heartbeatMs: 3 },
    subscriptions: '^------!',
  },
};
