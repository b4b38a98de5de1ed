import { concat, of, throwError } from 'rxjs';
import { collect } from '../src/sinks/collect';
import { RxllmError } from '../src/base/errors';
import { ev } from '../src/testing/eventBuilders';

describe('collect', () => {
  it('folds text, reasoning, tool calls, usage and finish into one message', async () => {
    const message = await collect(
      of(
        ev.start({ id: 'msg_1', model: 'm', provider: 'test' }),
        ev.reasoning('think'),
        ev.text('Hel'),
        ev.text('lo'),
        ev.toolCallStart('call_1', 'get_weather'),
        ev.toolCallDelta('call_1', '{"city":'),
        ev.toolCallDelta('call_1', '"Paris"}'),
        ev.toolCall('call_1', 'get_weather', { city: 'Paris' }),
        ev.usage(10, 5),
        ev.finish('tool-calls'),
      ),
    );
    expect(message).toEqual({
      id: 'msg_1',
      model: 'm',
      provider: 'test',
      text: 'Hello',
      reasoning: 'think',
      refusal: '',
      toolCalls: [
        { id: 'call_1', name: 'get_weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' },
      ],
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      finishReason: 'tool-calls',
    });
  });

  it('keeps the choices of an n>1 stream apart', async () => {
    const message = await collect(
      of(
        { type: 'text', text: 'A', choice: 0 } as const,
        { type: 'text', text: 'B', choice: 1 } as const,
        {
          type: 'text',
          text: 'a',
          choice: 0,
        } as const,
      ),
    );
    expect(message.text).toBe('Aa');
    expect(message.choices?.map((choice) => choice.text)).toEqual(['Aa', 'B']);
  });

  it('rejects with the typed error carrying the partial message, an unfinished tool call included', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    const events = concat(
      of(ev.text('Hi'), ev.toolCallStart('t1', 'f'), ev.toolCallDelta('t1', '{"a":')),
      throwError(() => failure),
    );
    await expect(collect(events)).rejects.toBe(failure);
    expect(failure.partial?.text).toBe('Hi');
    expect(failure.partial?.toolCalls).toEqual([
      { id: 't1', name: 'f', args: {}, argsText: '{"a":', incomplete: true },
    ]);
  });

  it('wraps a foreign error and clears what a reset took back', async () => {
    const events = concat(
      of(ev.text('draft'), ev.reset('retry'), ev.text('final')),
      throwError(() => new Error('boom')),
    );
    const error = await collect(events).catch((e: unknown) => e);
    expect(RxllmError.isInstance(error)).toBe(true);
    expect((error as RxllmError).code).toBe('provider');
    expect((error as RxllmError).partial?.text).toBe('final');
  });
});
