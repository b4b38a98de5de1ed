import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { concat, from, throwError } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { toSSE, type ToSSEConfig } from '../../src/operators/toSSE';

// Issue 12, item 4: the openai-responses encoder built item ids from `start.id` (or the `id`
// option) without escaping, so an upstream id with a line break turned one event into 38. Every
// string a stream carries goes through every encoder here; the output must parse (with
// eventsource-parser, as clients do) into exactly one event per frame written, each of valid JSON.

const hostile = [
  'a\nb',
  'a\rb',
  'a\r\nb',
  '\n\n',
  'x\n\ndata: {"type":"error"}\n\n',
  'id\nevent: error\ndata: {"error":{"message":"injected"}}\n\n',
  'a\u2028b\u2029c',
  'nul\u0000here',
  'data: injected',
  'event: error',
  ': comment\n',
  '"quote\\back',
  '\ud800 lone surrogate',
  'x'.repeat(100_000),
];

const dialects = ['rxllm', 'openai-chat', 'openai-responses', 'anthropic', 'ai-sdk-ui'] as const;

function eventsCarrying(s: string): RxllmEvent[] {
  return [
    { type: 'start', id: s, provider: s, model: s, created: 1_700_000_000_000 },
    { type: 'reasoning', text: s },
    { type: 'reasoning', text: '', signature: s },
    { type: 'reasoning', text: '', redacted: s },
    { type: 'text', text: s },
    { type: 'refusal', text: s },
    { type: 'tool-call-start', id: s, name: s, index: 0 },
    { type: 'tool-call-delta', id: s, index: 0, argsText: s },
    { type: 'tool-call', id: s, name: s, index: 0, args: { [s]: s }, argsText: JSON.stringify({ [s]: s }) },
    { type: 'finish', reason: 'stop', rawReason: s },
    { type: 'usage', inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    { type: 'reset', reason: s },
    { type: 'text', text: 'after', track: s },
  ];
}

/** Runs toSSE and returns what it wrote, one string per frame (heartbeats aside). */
function encode(events: RxllmEvent[], config: ToSSEConfig, error?: RxllmError): string[] {
  const frames: string[] = [];
  const source = error
    ? concat(
        from(events),
        throwError(() => error),
      )
    : from(events);
  source.pipe(toSSE(config)).subscribe({
    next: (frame) => frames.push(frame),
    error: (thrown) => {
      throw thrown;
    },
  });
  return frames;
}

function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(text);
  return events;
}

function expectOneEventPerFrame(frames: string[], dialect: string): void {
  const parsed = parse(frames.join(''));
  expect(parsed).toHaveLength(frames.length);
  for (const event of parsed) {
    if (event.data !== '[DONE]') expect(() => JSON.parse(event.data)).not.toThrow();
    if (dialect !== 'rxllm' && dialect !== 'openai-chat' && dialect !== 'ai-sdk-ui')
      expect(event.event).toMatch(/^[a-z_.]+$/);
  }
  for (const frame of frames) expect(parse(frame)).toHaveLength(1);
}

describe.each(dialects)('toSSE(%s) with hostile strings in every field', (dialect) => {
  it.each(hostile.map((s) => [JSON.stringify(s).slice(0, 40), s]))(
    '%s: one event per frame, every frame valid JSON',
    (_, s) => {
      const frames = encode(eventsCarrying(s), { dialect, id: s, model: s });
      expect(frames.length).toBeGreaterThan(2);
      expectOneEventPerFrame(frames, dialect);
    },
  );

  it.each(hostile.map((s) => [JSON.stringify(s).slice(0, 40), s]))(
    '%s in the error, the id option and the ids function: still one event per frame',
    (_, s) => {
      const error = new RxllmError(s, {
        code: 'provider',
        providerMessage: s,
        providerCode: s,
        dialect,
        requestId: s,
      });
      const frames = encode(eventsCarrying('fine'), { dialect, id: s, ids: () => s }, error);
      expectOneEventPerFrame(frames, dialect);
    },
  );
});

it('openai-responses: a response id with line breaks stays one event per frame (the reported 1 → 38)', () => {
  const id = 'resp_1\n\nevent: error\ndata: {"type":"error","message":"injected"}\n\n';
  const frames = encode(
    [
      { type: 'start', id, model: 'm' },
      { type: 'text', text: 'hi' },
      { type: 'finish', reason: 'stop' },
    ],
    { dialect: 'openai-responses' },
  );
  const parsed = parse(frames.join(''));
  expect(parsed).toHaveLength(frames.length);
  expect(parsed.filter((event) => event.event === 'error')).toHaveLength(0);
  // The response id itself is carried intact (escaped), only the derived item ids are sanitized.
  const created = JSON.parse(parsed[0]!.data) as { response: { id: string } };
  expect(created.response.id).toBe(id);
});

it('rxllm: an event whose type carries a line break cannot forge an event name', () => {
  const frames = encode([{ type: 'text\nevent: error' } as unknown as RxllmEvent], { dialect: 'rxllm' });
  const parsed = parse(frames.join(''));
  expect(parsed).toHaveLength(2); // the frame and [DONE]
  expect(parsed[0]!.event).toBe('textevent: error');
});
