import Anthropic from '@anthropic-ai/sdk';
import { from, lastValueFrom, Subject, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { parsePartialJson } from '../../src/wire/parsePartialJson';
import { structuredOutput, type StructuredOutput } from '../../src/operators/structuredOutput';
import { ev, formatDiagram, marbles, type MarbleScenario } from '../../src/testing';
import { scenarios, type StructuredOutputScenarioConfig } from '../../marbles/structuredOutput';
import { fromAnthropic } from '../../src/sources/fromAnthropic';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: MarbleScenario<StructuredOutputScenarioConfig> & { unsubscribe?: string }): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, unsubscribe, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(
      source$.pipe(structuredOutput(scenario.config.schema, scenario.config.options)),
      unsubscribe,
    ).toBe(expected!, scenario.values, scenario.error);
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

/** Feeds `chunks` as text events and returns every emission and the error, if any. */
function outputs<T>(
  chunks: string[],
  pipe: (events$: Observable<RxllmEvent>) => Observable<StructuredOutput<T>>,
) {
  const seen: StructuredOutput<T>[] = [];
  let error: unknown;
  pipe(from(chunks.map((chunk) => ev.text(chunk)))).subscribe({
    next: (out) => seen.push(out),
    error: (thrown: unknown) => (error = thrown),
  });
  return { seen, error };
}

/** Cuts `text` into pieces of 1 to 7 characters, the same way for the same seed. */
function split(text: string, seed: number): string[] {
  const pieces: string[] = [];
  let state = seed;
  for (let i = 0; i < text.length;) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const size = 1 + (state % 7);
    pieces.push(text.slice(i, i + size));
    i += size;
  }
  return pieces;
}

/** True when `text` stops in the middle of a number, `true`, `false` or `null` (outside any string). */
function endsInsideNumberOrLiteral(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && inString) i++;
    else if (text[i] === '"') inString = !inString;
  }
  return !inString && /[\d.eE+\-a-z]$/.test(text);
}

describe('structuredOutput', () => {
  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/structuredOutput.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  it('agrees with parsePartialJson after every delta, and ends with what JSON.parse reads, however the text is cut', () => {
    const document = {
      title: 'Crêpes 🥞 早餐',
      items: [
        { name: 'flour', qty: 250, unit: 'g' },
        { name: 'egg "large"', qty: 2.5, fresh: true, note: null },
        {
          empty: [],
          nested: { deep: [[1, [2]], { x: -0.125e-2 }] },
          text: 'tab\there\\ / \u00e9 \ud83d\ude00',
        },
      ],
    };
    const text = JSON.stringify(document, null, 2);
    for (let seed = 1; seed <= 40; seed++) {
      const source = new Subject<RxllmEvent>();
      const seen: StructuredOutput<unknown>[] = [];
      source.pipe(structuredOutput()).subscribe((out) => seen.push(out));
      let sofar = '';
      let shown: unknown;
      for (const piece of split(text, seed)) {
        const before = seen.length;
        source.next(ev.text(piece));
        sofar += piece;
        expect(seen.length - before).toBeLessThanOrEqual(1);
        const emitted = seen.length > before ? seen.at(-1)! : undefined;
        if (emitted?.done) {
          expect(emitted).toEqual({ done: true, value: JSON.parse(text) });
          expect(sofar).toBe(text);
          continue;
        }
        if (emitted) {
          expect(emitted.partial).not.toEqual(shown); // Only changes are emitted.
          shown = emitted.partial;
        }
        // What is shown is what parsePartialJson makes of the text so far, except while the text
        // ends inside a number or literal, which this operator holds back until it is complete.
        if (!endsInsideNumberOrLiteral(sofar)) expect(shown).toEqual(parsePartialJson(sofar)?.value);
      }
      expect(seen.at(-1)?.done).toBe(true);
    }
  });

  it.each([
    ['{"a":01}', 'invalid number 01'],
    ['{"a":1.}', 'invalid number 1.'],
    ['[-]', 'invalid number -'],
    ['{"a":tru }', 'unexpected "tru"'],
    ['{"a":nul', undefined],
    ['{"a" 1}', 'expected \':\', got "1"'],
    ['{a:1}', 'expected a property name, got "a"'],
    ['[1,,2]', 'unexpected ","'],
    ['{"a":"\\x"}', 'invalid escape \\x'],
    ['"\\u12G4"', 'invalid \\u escape'],
    ['[1 2]', "expected ',' or ']', got \"2\""],
  ])('rejects %s as JSON.parse does', (text, reason) => {
    expect(() => JSON.parse(text)).toThrow();
    const { seen, error } = outputs([text], (events$) => events$.pipe(structuredOutput()));
    expect(seen.filter((out) => out.done)).toEqual([]);
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'malformed' });
    if (reason === undefined)
      expect((error as Error).message).toMatch(/ended before the JSON value was complete/);
    else
      expect((error as Error).message).toContain(`structuredOutput: invalid JSON: ${reason} at character `);
  });

  it.each(['0', '-0.5e+3', '"x"', 'null', '[]', '{}', '[true,false,null]', '{"":{"":[]}}', '1E2'])(
    'reads %s as JSON.parse does',
    (text) => {
      const { seen, error } = outputs([text], (events$) => events$.pipe(structuredOutput()));
      expect(error).toBeUndefined();
      expect(seen.at(-1)).toEqual({ done: true, value: JSON.parse(text) });
    },
  );

  it('emits only when the visible value changed', () => {
    const { seen } = outputs(['{"a"', ':', ' ', '"x', '"', ',', '"b":1', '2', ',"c":', 'true}'], (events$) =>
      events$.pipe(structuredOutput()),
    );
    expect(seen).toEqual([
      { done: false, partial: {} },
      { done: false, partial: { a: 'x' } },
      { done: false, partial: { a: 'x', b: 12 } },
      { done: true, value: { a: 'x', b: 12, c: true } },
    ]);
  });

  it('keeps the identity of closed objects from one partial to the next', () => {
    const { seen } = outputs(['{"items":[{"n":1},', '{"n":2}', ',{"n":'], (events$) =>
      events$.pipe(structuredOutput()),
    );
    const [first, second] = seen.map((out) => (out.done ? undefined : (out.partial as { items: object[] })));
    expect(first!.items).toEqual([{ n: 1 }]);
    expect(second!.items).toEqual([{ n: 1 }, { n: 2 }]);
    expect(second!.items[0]).toBe(first!.items[0]);
    expect(second).not.toBe(first);
  });

  it('reads a value whose surrogate pair is split across deltas', () => {
    const { seen } = outputs(['["\ud83c', '\udf63"]'], (events$) => events$.pipe(structuredOutput()));
    expect(seen.at(-1)).toEqual({ done: true, value: ['🍣'] });
  });

  it('completes a number at the root when the stream ends', () => {
    const { seen, error } = outputs(['4', '2'], (events$) => events$.pipe(structuredOutput(z.number())));
    expect(error).toBeUndefined();
    expect(seen).toEqual([{ done: true, value: 42 }]);
  });

  it('types partials and values from the schema', () => {
    const Person = z.object({ name: z.string(), age: z.number() });
    const { seen } = outputs(['{"name":"Ada","age":36}'], (events$) =>
      events$.pipe(structuredOutput(Person)),
    );
    const last = seen.at(-1)!;
    // A compile-time check as much as a runtime one: `value` is { name: string; age: number }.
    const age: number = last.done ? last.value.age : (last.partial.age ?? 0);
    expect(age).toBe(36);
  });

  it('fails the stream with the error of a schema whose validate throws', () => {
    const boom = new Error('validator crashed');
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => {
          throw boom;
        },
      },
    };
    const { error } = outputs(['{}'], (events$) => events$.pipe(structuredOutput(schema)));
    expect(error).toBe(boom);
  });

  it('fails with a malformed error for a schema that validates asynchronously', () => {
    const schema = z.string().refine(async () => true);
    const { error } = outputs(['"x"'], (events$) => events$.pipe(structuredOutput(schema)));
    expect(RxllmError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'malformed' });
    expect((error as Error).message).toMatch(/^structuredOutput: /);
  });

  it('unsubscribes from the source when it fails', () => {
    const source = new Subject<RxllmEvent>();
    let error: unknown;
    source.pipe(structuredOutput()).subscribe({ error: (thrown: unknown) => (error = thrown) });
    source.next(ev.text('{"a":1]'));
    expect(RxllmError.isInstance(error)).toBe(true);
    expect((error as RxllmError).message).toBe(
      'structuredOutput: invalid JSON: expected \',\' or \'}\', got "]" at character 7 (near "{\\"a\\":1]")',
    );
    expect(source.observed).toBe(false);
  });

  it('throws at once, naming the operator, on bad config', () => {
    expect(() => structuredOutput({} as never)).toThrow(
      'structuredOutput: schema must be a Standard Schema (a zod, Valibot or ArkType schema), got an object without ~standard.validate',
    );
    expect(() => structuredOutput(undefined, { from: 'json' as never })).toThrow(
      "structuredOutput: from must be 'text' or 'tool-call', got json",
    );
    expect(() => structuredOutput(undefined, { toolName: 'extract' })).toThrow(
      "structuredOutput: toolName needs from: 'tool-call' and must be a string",
    );
  });

  describe('on recorded Anthropic streams through the real SDK', () => {
    let server: ReplayServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });
    const request = {
      model: 'claude-sonnet-4-20250514',
      max_tokens: 1024,
      messages: [{ role: 'user' as const, content: 'Weather?' }],
    };

    it("grows a tool call's arguments from its input_json_delta fragments and validates them", async () => {
      server = await createReplayServer({
        transcript: fixtureBytes('anthropic/tool-use.sse'),
        timing: { sliceBytes: 11, sliceDelayMs: 0 },
      });
      const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
      const outputs = await lastValueFrom(
        fromAnthropic(anthropic, request).pipe(
          structuredOutput(z.object({ location: z.string() }), {
            from: 'tool-call',
            toolName: 'get_weather',
          }),
          toArray(),
        ),
      );
      // Fragments: '', '{"locati', 'on": "P', 'ar', 'is"}'.
      expect(outputs).toEqual([
        { done: false, partial: {} },
        { done: false, partial: { location: 'P' } },
        { done: false, partial: { location: 'Par' } },
        { done: true, value: { location: 'Paris' } },
      ]);
    });

    it('fails with a malformed error, after the partials, when max_tokens cuts the arguments off', async () => {
      server = await createReplayServer({
        transcript: fixtureBytes('anthropic/max-tokens-partial-tool-json.sse'),
      });
      const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
      const seen: StructuredOutput<unknown>[] = [];
      const error = await new Promise<unknown>((resolve) =>
        fromAnthropic(anthropic, { ...request, model: 'claude-3-7-sonnet-20250219' })
          .pipe(structuredOutput(undefined, { from: 'tool-call' }))
          .subscribe({ next: (out) => seen.push(out), error: resolve, complete: () => resolve(undefined) }),
      );
      expect(RxllmError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'malformed' });
      expect((error as Error).message).toMatch(
        /^structuredOutput: the stream ended before the JSON value was complete \(after \d+ characters\) \(finish reason: max_tokens\)$/,
      );
      expect(seen.at(-1)).toEqual({
        done: false,
        partial: {
          filename: 'taxes.txt',
          lines_of_text: [
            '# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s',
            '',
            '## INTRODUCTION',
            '',
            'Filing taxes',
          ],
        },
      });
    });
  });
});
