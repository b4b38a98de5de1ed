import { Observable, type OperatorFunction } from 'rxjs';
import type { RxllmEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { IncrementalJsonParser } from '../wire/IncrementalJsonParser';

/**
 * A schema that validates synchronously, in the Standard Schema shape (https://standardschema.dev)
 * that zod (3.24+ and 4), Valibot and ArkType implement.
 */
export interface StructuredOutputSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** `T` with every property optional, all the way down: what a partial object can be. */
export type DeepPartial<T> = T extends readonly (infer Item)[]
  ? DeepPartial<Item>[]
  : T extends object
    ? { [Key in keyof T]?: DeepPartial<T[Key]> }
    : T;

/**
 * What {@link structuredOutput} emits: the value as it grows, then the validated value. Narrow on
 * `done`.
 */
export type StructuredOutput<T> = { done: false; partial: DeepPartial<T> } | { done: true; value: T };

/** Options of {@link structuredOutput}. */
export interface StructuredOutputConfig {
  /**
   * Where the JSON streams in: `'text'` (answer text deltas) or `'tool-call'` (a tool call's
   * argument deltas, for "tool mode" structured output). Default: `'text'`.
   */
  from?: 'text' | 'tool-call';
  /** With `from: 'tool-call'`, the tool whose arguments to read. Default: the first tool call. */
  toolName?: string;
  /**
   * The track to read. Default: the first track that sends JSON content (after a `reset` of that
   * track, the next one).
   */
  track?: string;
}

/**
 * Turns streamed JSON into partial objects as they grow, then the final value checked against a
 * schema.
 *
 * A form that fills itself in: each emission is the whole value so far, so a UI renders
 * `partial` as it is and swaps in `value` when `done` is true.
 *
 * ```text
 * source:   -a-b-c-d-|
 * expected: -A-B-C-D-|
 * ```
 *
 * Reads text deltas (or one tool call's argument deltas) of choice 0 of one track, and emits
 * `{ done: false, partial }` whenever the visible value changed: strings grow as they stream,
 * numbers, booleans and nulls appear once complete, closed objects and arrays keep their identity
 * from one emission to the next (so memoized components skip them). A Markdown fence
 * (```` ```json ````) around the JSON is skipped. When the JSON value closes, it is validated with
 * `schema` (any Standard Schema: zod, Valibot, ArkType; none means any JSON) and
 * `{ done: true, value }` is emitted; later content is ignored. A `reset` of the track starts over.
 *
 * In a stream of steps (a tool loop, `runTools`), the value is the one of the final step: a step
 * that calls a tool may say something first ("Let me look that up."), so text that is not JSON
 * fails only when its step ends without calling a tool, and the step after one that called tools
 * starts over.
 *
 * Cost: O(n) over the output. Every character is parsed once; an emission copies only the objects
 * and arrays still open. While those hold little (up to about 128 array items or 8 object
 * properties in all) every change is emitted; beyond that, emissions are spaced so that copying
 * costs at most 16 array items (or 1 property) per character read: a top-level array of m items
 * then emits about once per m/16 characters instead of on every delta, which would cost O(n²). A change held back this way goes out with the next emission, and
 * before an error or the end of a stream that never completed the value; the final
 * `{ done: true }` always carries everything.
 *
 * Errors are `RxllmError`s with code `malformed`: text that is not JSON (naming the character),
 * a value that fails the schema (naming each path: `items[2].price: expected number, received
 * string`), a stream that completes before the value is complete or without any (naming the
 * finish reason, e.g. `max_tokens`). A refusal instead of JSON is a `provider` error with
 * `providerCode: 'refusal'` and the model's words. An error from the source passes through
 * unchanged, after whatever partials it allowed. Unsubscribe unsubscribes from the source.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { structuredOutput, fromOpenAI } from 'rxllm';
 * const Recipe = z.object({ title: z.string(), steps: z.array(z.string()) });
 * fromOpenAI(openai, { model: 'gpt-4o-mini', messages, response_format: { type: 'json_object' } })
 *   .pipe(structuredOutput(Recipe))
 *   .subscribe((out) => (out.done ? save(out.value) : render(out.partial)));
 * ```
 */
export function structuredOutput<T = unknown>(
  schema?: StructuredOutputSchema<T>,
  config: StructuredOutputConfig = {},
): OperatorFunction<RxllmEvent, StructuredOutput<T>> {
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function')
    throw new TypeError(
      'structuredOutput: schema must be a Standard Schema (a zod, Valibot or ArkType schema), got ' +
        describeValue(schema),
    );
  const from = config.from ?? 'text';
  if (from !== 'text' && from !== 'tool-call')
    throw new RangeError(`structuredOutput: from must be 'text' or 'tool-call', got ${String(from)}`);
  const { toolName, track: wantedTrack } = config;
  if (toolName !== undefined && (typeof toolName !== 'string' || from !== 'tool-call'))
    throw new TypeError("structuredOutput: toolName needs from: 'tool-call' and must be a string");

  return (source) =>
    new Observable<StructuredOutput<T>>((subscriber) => {
      let parser = new IncrementalJsonParser();
      let following: { track: string | undefined } | undefined =
        wantedTrack === undefined ? undefined : { track: wantedTrack };
      /** The followed tool call (from: 'tool-call'), and whether its arguments came as deltas. */
      let call: { id: string; index: number; streamed: boolean } | undefined;
      let finished = false;
      /** Refusal text and finish reason of choice 0, to say why no (complete) JSON came. */
      let refusal = '';
      let finishReason: string | undefined;
      /** Values the next emission may copy: earned by characters read (see Cost above). */
      let copyBudget = 0;
      /**
       * In a stream of steps (a tool loop), text that is not JSON may be a step's words before it
       * calls a tool: its error waits for the step to end, and is dropped if the step called one.
       */
      let stepped = false;
      let stepCalledTools = false;
      let pending: RxllmError | undefined;

      const restart = (): void => {
        parser = new IncrementalJsonParser();
        call = undefined;
        finished = false;
        refusal = '';
        finishReason = undefined;
        copyBudget = 0;
        pending = undefined;
        if (wantedTrack === undefined) following = undefined;
      };

      /** A step of the followed track began: after one that called tools, the JSON starts over. */
      const stepStarted = (): void => {
        if (stepped && stepCalledTools && !finished) restart();
        stepped = true;
        stepCalledTools = false;
      };

      const fail = (error: RxllmError): void => {
        if (stepped) pending = error;
        else subscriber.error(error);
      };

      /** Whether a content event of `track` is ours, following the first track that sends some. */
      const ours = (track: string | undefined, choice: number | undefined): boolean => {
        if ((choice ?? 0) !== 0) return false;
        if (following === undefined) following = { track };
        return following.track === track;
      };

      const feed = (text: string): void => {
        if (finished || pending !== undefined) return;
        try {
          parser.write(text);
        } catch (error) {
          fail(
            new RxllmError(`structuredOutput: invalid JSON: ${(error as Error).message}`, {
              code: 'malformed',
              cause: error,
              line: text.slice(0, 300),
            }),
          );
          return;
        }
        if (parser.done) return finish();
        copyBudget += text.length * copiesPerCharacter;
        const cost = parser.snapshotCost;
        if (parser.hasChanges && (cost <= freeCopies || cost <= copyBudget)) {
          copyBudget = 0;
          emitPartial();
        }
      };

      /** Emits the value so far if it changed since the last emission. */
      const emitPartial = (): void => {
        if (parser.takeChanged())
          subscriber.next({ done: false, partial: parser.snapshot() as DeepPartial<T> });
      };

      const finish = (): void => {
        finished = true;
        const value = parser.value;
        if (schema === undefined) return subscriber.next({ done: true, value: value as T });
        let result: SchemaResult<T> | Promise<SchemaResult<T>>;
        try {
          result = schema['~standard'].validate(value);
        } catch (error) {
          return subscriber.error(error);
        }
        if (typeof (result as { then?: unknown }).then === 'function') {
          return subscriber.error(
            new RxllmError(
              'structuredOutput: the schema validates asynchronously; use a synchronous schema',
              {
                code: 'malformed',
              },
            ),
          );
        }
        result = result as SchemaResult<T>;
        if (result.issues !== undefined)
          return subscriber.error(
            new RxllmError(
              `structuredOutput: the value does not match the schema: ${result.issues.map(describeIssue).join('; ')}`,
              { code: 'malformed', line: JSON.stringify(value).slice(0, 300) },
            ),
          );
        subscriber.next({ done: true, value: result.value });
      };

      return source.subscribe({
        next: (event) => {
          switch (event.type) {
            case 'text':
              if (from === 'text' && ours(event.track, event.choice)) feed(event.text);
              return;
            case 'step-start':
              if (following === undefined || event.track === following.track) stepStarted();
              return;
            case 'tool-call-start':
              if ((event.choice ?? 0) === 0 && (following === undefined || event.track === following.track))
                stepCalledTools = true;
              if (
                from === 'tool-call' &&
                call === undefined &&
                (toolName === undefined || event.name === toolName) &&
                ours(event.track, event.choice)
              )
                call = { id: event.id, index: event.index, streamed: false };
              return;
            case 'tool-call-delta':
              if (call !== undefined && event.id === call.id && event.track === following?.track) {
                call.streamed = true;
                feed(event.argsText);
              }
              return;
            case 'tool-call':
              if ((event.choice ?? 0) === 0 && (following === undefined || event.track === following.track))
                stepCalledTools = true;
              if (from !== 'tool-call') return;
              if (
                call === undefined &&
                (toolName === undefined || event.name === toolName) &&
                ours(event.track, event.choice)
              )
                call = { id: event.id, index: event.index, streamed: false };
              // A provider that sends a call whole (Ollama) gives its arguments only here.
              if (
                call !== undefined &&
                event.id === call.id &&
                event.track === following?.track &&
                !call.streamed
              ) {
                call.streamed = true;
                feed(event.argsText);
              }
              return;
            case 'refusal':
              if ((event.choice ?? 0) === 0 && (following === undefined || event.track === following.track))
                refusal += event.text;
              return;
            case 'finish':
              if ((event.choice ?? 0) === 0 && (following === undefined || event.track === following.track)) {
                finishReason = event.rawReason ?? event.reason;
                // A step that ends without calling a tool was the answer: its bad JSON is final.
                if (pending !== undefined && !stepCalledTools && event.reason !== 'tool-calls')
                  subscriber.error(pending);
              }
              return;
            case 'reset':
              if (following !== undefined && event.track === following.track) restart();
              return;
          }
        },
        error: (error: unknown) => {
          if (!finished) emitPartial();
          subscriber.error(error);
        },
        complete: () => {
          if (pending !== undefined) return subscriber.error(pending);
          if (!finished && !subscriber.closed) {
            parser.end();
            if (parser.done) finish();
          }
          if (subscriber.closed) return;
          if (!finished) {
            emitPartial(); // A change held back to space out copies: nothing read is lost.
            if (parser.empty && refusal !== '') {
              subscriber.error(
                new RxllmError(`structuredOutput: the model refused: ${refusal}`, {
                  code: 'provider',
                  providerCode: 'refusal',
                }),
              );
              return;
            }
            const why = finishReason === undefined ? '' : ` (finish reason: ${finishReason})`;
            subscriber.error(
              new RxllmError(
                parser.empty
                  ? `structuredOutput: the stream ended without any JSON ${from === 'text' ? 'text' : 'tool call arguments'}${why}`
                  : `structuredOutput: the stream ended before the JSON value was complete (after ${parser.position} characters)${why}`,
                { code: 'malformed' },
              ),
            );
            return;
          }
          subscriber.complete();
        },
      });
    });
}

/** Open values an emission may always copy: small values emit on every change, as before. */
const freeCopies = 128;
/** Copy cost (an array item is 1, an object property 16) per character read, beyond that. */
const copiesPerCharacter = 16;

/** `items[2].price: expected number, received string` from a schema issue. */
function describeIssue(issue: {
  message: string;
  path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}): string {
  let path = '';
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') path += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) path += path === '' ? key : `.${key}`;
    else path += `[${JSON.stringify(String(key))}]`;
  }
  return `${path === '' ? '(root)' : path}: ${issue.message}`;
}

function describeValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? 'an object without ~standard.validate' : String(value);
}
