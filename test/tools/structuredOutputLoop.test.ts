import { lastValueFrom, Observable, of, toArray } from 'rxjs';
import { z } from 'zod';
import type { RxllmEvent } from '../../src/events';
import { RxllmError } from '../../src/errors';
import { structuredOutput } from '../../src/operators/structuredOutput';
import { ev } from '../../src/testing';
import { defineTool } from '../../src/tools/defineTool';
import { runTools, type ToolLoopStep } from '../../src/tools/runTools';

const Report = z.object({ city: z.string(), tempC: z.number() });
const weather = defineTool({
  name: 'weather',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 21 }),
});

/** Step 0 says something and calls `weather`; step 1 answers with `answer` (as JSON text). */
const model =
  (answer: string[]) =>
  (history: readonly ToolLoopStep[]): Observable<RxllmEvent> =>
    history.length === 0
      ? of(
          ev.stepStart(0),
          ev.text('Let me look that up.'),
          ev.toolCall('call_1', 'weather', { city: 'Paris' }),
          ev.finish('tool-calls'),
        )
      : of(ev.stepStart(0), ...answer.map((part) => ev.text(part)), ev.finish('stop'));

describe('structuredOutput on the final step of a tool loop', () => {
  it('parses the final step’s JSON, past an earlier step’s words and the blank line between steps', async () => {
    const out = await lastValueFrom(
      runTools(model(['{"city":"Pa', 'ris","tempC":', '21}']), { tools: [weather] }).pipe(
        structuredOutput(Report),
        toArray(),
      ),
    );
    expect(out).toEqual([
      { done: false, partial: { city: 'Pa' } },
      { done: false, partial: { city: 'Paris' } },
      { done: true, value: { city: 'Paris', tempC: 21 } },
    ]);
  });

  it('fails when the final step’s text is not JSON, or does not match the schema', async () => {
    const notJson = lastValueFrom(
      runTools(model(['It is 21°C in Paris.']), { tools: [weather] }).pipe(structuredOutput(Report)),
    );
    await expect(notJson).rejects.toThrow(RxllmError);
    await expect(notJson).rejects.toThrow(/invalid JSON: unexpected "I"/);
    const wrong = lastValueFrom(
      runTools(model(['{"city":"Paris","tempC":"warm"}']), { tools: [weather] }).pipe(
        structuredOutput(Report),
      ),
    );
    await expect(wrong).rejects.toThrow(/tempC/);
  });

  it('still fails at once on a step without tool calls (one request, no loop)', async () => {
    const events: RxllmEvent[] = [ev.stepStart(0), ev.text('nope'), ev.finish('stop'), ev.usage(10, 2)];
    const seen: unknown[] = [];
    let failedAfter = -1;
    await new Promise<void>((resolve) => {
      new Observable<RxllmEvent>((subscriber) => {
        for (const [at, event] of events.entries()) {
          failedAfter = at;
          subscriber.next(event);
          if (subscriber.closed) return;
        }
        subscriber.complete();
      })
        .pipe(structuredOutput(Report))
        .subscribe({ next: (value) => seen.push(value), error: () => resolve(), complete: () => resolve() });
    });
    // The error came with the step's `finish` (event 2), not after the usage that followed it.
    expect(failedAfter).toBe(2);
    expect(seen).toEqual([]);
  });
});
