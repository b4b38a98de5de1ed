import { lastValueFrom, Observable, of, Subject, toArray } from 'rxjs';
import { z } from 'zod';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
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

  it('still fails with the step’s finish on a step without tool calls (one request, no loop)', () => {
    const source = new Subject<RxllmEvent>();
    let failed: unknown;
    source.pipe(structuredOutput(Report)).subscribe({ error: (error: unknown) => (failed = error) });
    source.next(ev.stepStart(0));
    source.next(ev.text('nope'));
    expect(failed).toBeUndefined();
    source.next(ev.finish('stop'));
    expect(failed).toBeInstanceOf(RxllmError);
    expect((failed as RxllmError).message).toMatch(/invalid JSON/);
  });
});
