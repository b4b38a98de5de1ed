import { lastValueFrom, NEVER, Observable, of, Subject, toArray } from 'rxjs';
import { z } from 'zod';
import type { RxllmEvent } from '../../src/base/events';
import { collect } from '../../src/sinks/collect';
import { messageReducer } from '../../src/sinks/messageReducer';
import { defineTool } from '../../src/tools/defineTool';
import { runTools, type ToolLoopStep } from '../../src/tools/runTools';
import { ev } from '../../src/testing';

const city = z.object({ city: z.string() });

/** A model that calls `weather` in step 0 and answers in step 1, with usage per step. */
function model(history: readonly ToolLoopStep[]): Observable<RxllmEvent> {
  if (history.length === 0)
    return of(
      ev.stepStart(0),
      ev.toolCall('call_1', 'weather', { city: 'Paris' }),
      ev.usage(100, 20),
      ev.finish('tool-calls'),
    );
  return of(ev.stepStart(0), ev.text('Sunny.'), ev.usage(130, 5), ev.finish('stop'));
}

describe('runTools (outside virtual time)', () => {
  it('aborts the running tool’s signal and the model request’s when unsubscribed', () => {
    let toolSignal: AbortSignal | undefined;
    let modelSignal: AbortSignal | undefined;
    const weather = defineTool({
      name: 'weather',
      input: city,
      execute: (_args, { signal }) => {
        toolSignal = signal;
        return NEVER;
      },
    });
    const subscription = runTools(
      (history, { signal }) => {
        if (history.length > 0) {
          modelSignal = signal;
          return NEVER;
        }
        return model(history);
      },
      { tools: [weather] },
    ).subscribe();
    expect(toolSignal?.aborted).toBe(false);
    subscription.unsubscribe();
    expect(toolSignal?.aborted).toBe(true);
    expect(modelSignal).toBeUndefined();

    const running = runTools(
      (history, { signal }) => {
        modelSignal = signal;
        return history.length === 0 ? model(history) : NEVER;
      },
      { tools: [defineTool({ name: 'weather', input: city, execute: () => 21 })] },
    ).subscribe();
    expect(modelSignal?.aborted).toBe(false);
    running.unsubscribe();
    expect(modelSignal?.aborted).toBe(true);
  });

  it('sends the history to the next step, sums usage per step and folds results into the message', async () => {
    const seen: ToolLoopStep[][] = [];
    const weather = defineTool({
      name: 'weather',
      input: city,
      execute: async ({ city: name }) => ({ city: name, tempC: 21 }),
    });
    const events = await lastValueFrom(
      runTools(
        (history) => {
          seen.push([...history]);
          return model(history);
        },
        { tools: [weather] },
      ).pipe(toArray()),
    );
    expect(seen[1]![0]!.toolResults).toEqual([
      expect.objectContaining({ id: 'call_1', result: { city: 'Paris', tempC: 21 } }),
    ]);
    expect(seen[1]![0]!.message.toolCalls[0]).toMatchObject({
      id: 'call_1',
      result: { city: 'Paris', tempC: 21 },
    });
    const finishes = events.filter((event) => event.type === 'step-finish');
    expect(finishes).toEqual([
      {
        type: 'step-finish',
        step: 0,
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
        finishReason: 'tool-calls',
      },
      {
        type: 'step-finish',
        step: 1,
        usage: { inputTokens: 130, outputTokens: 5, totalTokens: 135 },
        finishReason: 'stop',
      },
    ]);
    expect(events[events.length - 1]).toEqual({
      type: 'usage-total',
      inputTokens: 230,
      outputTokens: 25,
      totalTokens: 255,
    });

    const message = await collect(runTools(model, { tools: [weather] }));
    expect(message.text).toBe('Sunny.');
    expect(message.toolCalls).toEqual([
      expect.objectContaining({ id: 'call_1', name: 'weather', result: { city: 'Paris', tempC: 21 } }),
    ]);
    expect(message.steps?.map((step) => step.usage?.totalTokens)).toEqual([120, 135]);
    expect(message.usage).toMatchObject({ inputTokens: 230, outputTokens: 25 });
  });

  it('streams a tool’s progress as preliminary results, its last value final', () => {
    const progress = new Subject<string>();
    const weather = defineTool({ name: 'weather', input: city, execute: () => progress });
    const events: RxllmEvent[] = [];
    let completed = false;
    runTools(model, { tools: [weather] }).subscribe({
      next: (event) => events.push(event),
      complete: () => (completed = true),
    });
    progress.next('fetching');
    progress.next('parsing');
    progress.next('21°C');
    expect(completed).toBe(false);
    progress.complete();
    expect(completed).toBe(true);
    expect(events.filter((event) => event.type === 'tool-result')).toEqual([
      expect.objectContaining({ result: 'fetching', preliminary: true }),
      expect.objectContaining({ result: 'parsing', preliminary: true }),
      { type: 'tool-result', id: 'call_1', name: 'weather', result: '21°C', durationMs: expect.any(Number) },
    ]);
  });

  it('stops when stopWhen holds or stop$ emits', async () => {
    const weather = defineTool({ name: 'weather', input: city, execute: () => 21 });
    let steps = 0;
    const counted = (history: readonly ToolLoopStep[]) => {
      steps += 1;
      return model(history);
    };
    await collect(
      runTools(counted, { tools: [weather], stopWhen: (message) => message.toolCalls.length > 0 }),
    );
    expect(steps).toBe(1);
    steps = 0;
    await collect(runTools(counted, { tools: [weather], stop$: of(true) }));
    expect(steps).toBe(1);
    steps = 0;
    await collect(runTools(counted, { tools: [weather] }));
    expect(steps).toBe(2);
  });

  it('collects the text of every step, a blank line between steps that said something', async () => {
    const weather = defineTool({ name: 'weather', input: city, execute: () => 21 });
    const chatty = (history: readonly ToolLoopStep[]): Observable<RxllmEvent> =>
      history.length === 0
        ? of(
            ev.text('Let me look.'),
            ev.toolCall('call_1', 'weather', { city: 'Paris' }),
            ev.finish('tool-calls'),
          )
        : history.length === 1
          ? of(ev.toolCall('call_2', 'weather', { city: 'Oslo' }), ev.finish('tool-calls'))
          : of(ev.text('Paris 21, '), ev.text('Oslo 21.'), ev.finish('stop'));
    const seen: ToolLoopStep[][] = [];
    const message = await collect(
      runTools(
        (history) => {
          seen.push([...history]);
          return chatty(history);
        },
        { tools: [weather] },
      ),
    );
    // Step 1 said nothing, so one separator; no separator before the first text.
    expect(message.text).toBe('Let me look.\n\nParis 21, Oslo 21.');
    // The reducer a UI folds the same events with shows the same text.
    const events = await lastValueFrom(runTools(chatty, { tools: [weather] }).pipe(toArray()));
    expect(events.filter((event) => event.type === 'text').map((event) => event.text)).toEqual([
      'Let me look.',
      'Paris 21, ',
      'Oslo 21.',
    ]);
    const state = events.reduce(messageReducer, messageReducer.initialState);
    expect(state.tracks.default?.text).toBe('Let me look.\n\nParis 21, Oslo 21.');
    // What the next request is built from keeps each step's own text.
    expect(seen[2]!.map((step) => step.message.text)).toEqual(['Let me look.', '']);

    // A loop whose first step only calls a tool: the answer alone.
    const silentFirst = await collect(
      runTools((history) => chatty(history.length === 0 ? ([{}] as never) : ([{}, {}] as never)), {
        tools: [weather],
      }),
    );
    expect(silentFirst.text).toBe('Paris 21, Oslo 21.');
  });
});
