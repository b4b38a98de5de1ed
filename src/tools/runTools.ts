import {
  asyncScheduler,
  concat,
  defaultIfEmpty,
  defer,
  EMPTY,
  filter,
  finalize,
  from,
  isObservable,
  mergeMap,
  Observable,
  of,
  take,
  tap,
  throwError,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { ReasoningEvent, RxllmEvent, StepFinishEvent, ToolResultEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { sumUsage } from '../base/fold';
import { MessageAccumulator, type Message, type ToolCall } from '../base/message';
import { describeIssues, type StandardSchemaResult, type Tool } from './defineTool';

/** A block of the model's reasoning in one step, kept whole so it can be sent back (Anthropic requires its signature). */
export type ReasoningPart =
  | { text: string; signature?: string }
  /** Encrypted reasoning; `itemId` is the OpenAI Responses reasoning item it came in. */
  | { redacted: string; itemId?: string };

/** One finished step of a tool loop: what the model said, and what its tools returned. */
export interface ToolLoopStep {
  step: number;
  /** The model's response in this step alone (its `toolCalls` carry their results). */
  message: Message;
  /** The step's reasoning blocks in order, with signatures and redacted blocks. */
  reasoning: ReasoningPart[];
  /** The final result (or error) of each tool call of the step, in the order the calls were made. */
  toolResults: ToolResultEvent[];
}

/** What the step factory is given besides the history. */
export interface StepContext {
  /** Aborted when the loop is unsubscribed while this step's request runs. */
  signal: AbortSignal;
  /** 0 for the first model call, then 1, 2, … */
  step: number;
  /** The loop's tools, whose definitions the request sends (`toOpenAIChatTools(tools)`, …). */
  tools: readonly Tool[];
}

/**
 * Makes one model call: the request for the conversation so far (the caller's own messages plus
 * `history`, converted with `toOpenAIChatMessages`, `toAnthropicMessages`, …) as any rxllm source.
 */
export type StepFactory = (history: readonly ToolLoopStep[], context: StepContext) => Observable<RxllmEvent>;

/** A decision on a tool call that `needsApproval`. */
export interface ToolApproval {
  toolCallId: string;
  approved: boolean;
  /** Sent to the model with a denial (default: "The user denied this tool call."). */
  reason?: string;
}

export interface RunToolsOptions {
  tools: readonly Tool[];
  /** Model calls at most (the tools of the last one still run). Default 20. */
  maxSteps?: number;
  /** Checked after each step (and its tools): true ends the loop. Gets the message so far. */
  stopWhen?: (message: Message, history: readonly ToolLoopStep[]) => boolean;
  /** When it emits, no further step starts (the running step and its tools finish). */
  stop$?: Observable<unknown>;
  /** Tool calls of one step run at most this many at once. Default: all at once. */
  concurrency?: number;
  /**
   * Decisions for tools that `needsApproval`: a call waits for the first approval with its id.
   * Hot, like a Subject fed by a UI; without it, such calls are denied.
   */
  approve$?: Observable<ToolApproval>;
  /** Milliseconds a tool may run before its call fails with a timeout (its signal aborted). */
  toolTimeoutMs?: number;
  /**
   * `send` (default): invalid arguments, an unknown tool, a throw or a timeout become a
   * `tool-result` error sent back to the model. `fail`: the stream fails with an RxllmError
   * (code `tool`) instead.
   */
  onToolError?: 'send' | 'fail';
  /** Times tools (`durationMs`, timeouts). Default `asyncScheduler`; virtual time in tests. */
  scheduler?: SchedulerLike;
}

/**
 * Runs a tool loop: calls the model, runs the tools it calls (validated, in parallel up to
 * `concurrency`, after approval where needed), sends the results back in the next call, and
 * repeats until the model answers without calling a tool, `maxSteps` calls were made, `stopWhen`
 * holds or `stop$` emits. One stream of events for the whole conversation: each model call is a
 * step (`step-start` … `step-finish` with its usage), each tool call gets a `tool-result`, and a
 * `usage-total` sums the steps. Unsubscribing aborts the running request and every running tool.
 *
 * ```text
 * step0:    s-c-f|
 * step1:           s----t-e|
 * weather:       --(r|)
 * expected: s-c-f--(RFS)t-e(G|)
 * ```
 *
 * In step 0 the model calls `weather` (`c`) and finishes (`f`); the tool runs and returns `r`
 * (its `tool-result`, `R`); step 0 ends (`F`, its `step-finish`) and step 1, the next request,
 * starts (`S`: the source's `step-start` renumbered 1) and answers (`t`, `e`) without a tool
 * call, so the loop ends (`G`).
 *
 * @example
 * ```ts
 * runTools(
 *   (history, { signal }) =>
 *     fromOpenAI(client.chat.completions.create(
 *       { model, stream: true, messages: [...messages, ...toOpenAIChatMessages(history)], tools: toOpenAIChatTools(tools) },
 *       { signal },
 *     )),
 *   { tools, maxSteps: 5 },
 * ).subscribe(...)
 * ```
 */
export function runTools(stepFactory: StepFactory, options: RunToolsOptions): Observable<RxllmEvent> {
  const maxSteps = options.maxSteps ?? 20;
  const scheduler = options.scheduler ?? asyncScheduler;
  const tools = new Map(options.tools.map((tool) => [tool.name, tool]));

  return defer(() => {
    const history: ToolLoopStep[] = [];
    const whole = new MessageAccumulator();
    let stopped = false;
    let stopping: Subscription | undefined;

    const fail = (call: ToolCall, message: string, durationMs: number, cause?: unknown) =>
      options.onToolError === 'fail'
        ? throwError(
            () =>
              new RxllmError(`tool ${call.name} (${call.id}): ${message}`, {
                code: 'tool',
                cause,
                partial: whole.snapshot(),
              }),
          )
        : of(toolResult(call, { error: message, durationMs }));

    const approval = (tool: Tool, call: ToolCall, args: unknown): Observable<ToolApproval> => {
      const needed = typeof tool.needsApproval === 'function' ? tool.needsApproval(args) : tool.needsApproval;
      const approved: ToolApproval = { toolCallId: call.id, approved: true };
      if (needed !== true) return of(approved);
      const denied: ToolApproval = { toolCallId: call.id, approved: false };
      if (options.approve$ === undefined) return of(denied);
      return options.approve$.pipe(
        filter((decision) => decision.toolCallId === call.id),
        take(1),
        defaultIfEmpty(denied),
      );
    };

    const execute = (tool: Tool, call: ToolCall, args: unknown): Observable<ToolResultEvent> =>
      defer(() => {
        const controller = new AbortController();
        const started = scheduler.now();
        const elapsed = () => scheduler.now() - started;
        const limitMs = tool.timeoutMs ?? options.toolTimeoutMs;
        const values$ = withTimeLimit(
          defer(() => valuesOf(tool.execute(args, { signal: controller.signal, toolCallId: call.id }))),
          limitMs,
          scheduler,
        );
        return new Observable<ToolResultEvent>((subscriber) => {
          // The last value is the result: hold each until the next (or the end) says which it is.
          let held: { value: unknown } | undefined;
          return values$.subscribe({
            next: (value) => {
              if (held !== undefined)
                subscriber.next(
                  toolResult(call, { result: held.value, preliminary: true, durationMs: elapsed() }),
                );
              held = { value };
            },
            error: (error: unknown) => {
              const message =
                error instanceof ToolTimeout
                  ? `timed out after ${limitMs} ms`
                  : error instanceof Error
                    ? error.message
                    : String(error);
              fail(call, message, elapsed(), error).subscribe(subscriber);
            },
            complete: () => {
              subscriber.next(toolResult(call, { result: held?.value, durationMs: elapsed() }));
              subscriber.complete();
            },
          });
        }).pipe(finalize(() => controller.abort()));
      });

    const runCall = (call: ToolCall): Observable<ToolResultEvent> => {
      const tool = tools.get(call.name);
      if (tool === undefined)
        return fail(call, `unknown tool "${call.name}"; the tools are: ${[...tools.keys()].join(', ')}`, 0);
      if (call.incomplete === true)
        return fail(call, 'the arguments were cut off before they were complete JSON', 0);
      return validated(tool, call.args).pipe(
        mergeMap((checked) => {
          if ('issues' in checked && checked.issues !== undefined)
            return fail(call, `invalid arguments: ${describeIssues(checked.issues)}`, 0);
          const args = checked.value;
          return approval(tool, call, args).pipe(
            mergeMap((decision) =>
              decision.approved
                ? execute(tool, call, args)
                : of(
                    toolResult(call, {
                      error: decision.reason ?? 'The user denied this tool call.',
                      denied: true,
                      durationMs: 0,
                    }),
                  ),
            ),
          );
        }),
      );
    };

    const runStep = (step: number): Observable<RxllmEvent> =>
      defer(() => {
        const controller = new AbortController();
        const turn = new StepRecorder(step);
        const model$ = defer(() =>
          stepFactory(history.slice(), { signal: controller.signal, step, tools: options.tools }),
        ).pipe(
          mergeMap((event) => turn.take(event)),
          finalize(() => controller.abort()),
        );
        const results: ToolResultEvent[] = [];
        const tools$ = defer(() =>
          from(turn.toolCalls()).pipe(
            mergeMap(runCall, options.concurrency ?? Infinity),
            tap((event) => {
              if (event.preliminary !== true) results.push(event);
            }),
          ),
        );
        const finish$ = defer(() => {
          const done = turn.finish(results);
          history.push(done.record);
          return of(done.event);
        });
        const next$ = defer(() => {
          const record = history[history.length - 1]!;
          const more =
            record.toolResults.length > 0 &&
            step + 1 < maxSteps &&
            !stopped &&
            options.stopWhen?.(whole.snapshot(), history) !== true;
          return more ? runStep(step + 1) : EMPTY;
        });
        return concat(model$, tools$, finish$, next$);
      });

    const total$ = defer(() => {
      const usage = sumUsage(history.map((record) => record.message.usage));
      return usage === null ? EMPTY : of<RxllmEvent>({ type: 'usage-total', ...usage });
    });

    return concat(
      defer(() => {
        stopping = options.stop$?.pipe(take(1)).subscribe(() => (stopped = true));
        return EMPTY;
      }),
      runStep(0),
      total$,
    ).pipe(
      tap((event) => whole.apply(event)),
      finalize(() => stopping?.unsubscribe()),
    );
  });
}

function toolResult(call: ToolCall, fields: Omit<ToolResultEvent, 'type' | 'id' | 'name'>): ToolResultEvent {
  const event: ToolResultEvent = { type: 'tool-result', id: call.id, name: call.name, ...fields };
  if (fields.error !== undefined) delete event.result;
  return event;
}

function validated(tool: Tool, args: unknown): Observable<StandardSchemaResult<unknown>> {
  // Synchronous validators (zod's usually is) stay synchronous, so virtual time sees no promise.
  return defer(() => {
    const result = tool.input['~standard'].validate(args);
    return result instanceof Promise ? from(result) : of(result);
  });
}

function valuesOf(output: unknown): Observable<unknown> {
  if (isObservable(output)) return output;
  if (output instanceof Promise) return from(output);
  return of(output);
}

class ToolTimeout extends Error {}

function withTimeLimit<T>(source: Observable<T>, limitMs: number | undefined, scheduler: SchedulerLike) {
  if (limitMs === undefined) return source;
  return new Observable<T>((subscriber) => {
    const timer = scheduler.schedule(() => subscriber.error(new ToolTimeout()), limitMs);
    const subscription = source.subscribe(subscriber);
    subscription.add(timer);
    return subscription;
  });
}

/** Renumbers one model call's events as step `step` and keeps what the next request needs. */
class StepRecorder {
  private readonly message = new MessageAccumulator();
  private readonly reasoning: ReasoningPart[] = [];
  private open: { text: string; signature?: string } | undefined;
  private started = false;

  constructor(private readonly step: number) {}

  take(event: RxllmEvent): RxllmEvent[] {
    const out: RxllmEvent[] = [];
    if (event.type === 'step-start') {
      // A source numbers its own request 0: in the loop it is this step.
      this.started = true;
      out.push({ ...event, step: this.step });
    } else {
      if (!this.started) {
        this.started = true;
        out.push({ type: 'step-start', step: this.step });
      }
      if (event.type === 'usage' && event.step !== undefined) out.push({ ...event, step: this.step });
      else if (event.type === 'step-finish') out.push({ ...event, step: this.step });
      else out.push(event);
    }
    for (const taken of out) {
      this.message.apply(taken);
      if (taken.type === 'reasoning') this.keepReasoning(taken);
    }
    return out;
  }

  private keepReasoning({ text, signature, redacted, itemId }: ReasoningEvent): void {
    if (redacted !== undefined) {
      this.open = undefined;
      this.reasoning.push(itemId === undefined ? { redacted } : { redacted, itemId });
      return;
    }
    if (this.open === undefined) {
      this.open = { text: '' };
      this.reasoning.push(this.open);
    }
    this.open.text += text;
    if (signature !== undefined) {
      // A signature closes its thinking block (Anthropic sends it last).
      this.open.signature = signature;
      this.open = undefined;
    }
  }

  toolCalls(): ToolCall[] {
    return this.message.snapshot().toolCalls;
  }

  finish(results: ToolResultEvent[]): { record: ToolLoopStep; event: StepFinishEvent } {
    const calls = this.toolCalls();
    // Results in the order of the calls, whatever order the tools finished in.
    const ordered = calls.flatMap((call) => results.filter((result) => result.id === call.id));
    for (const result of ordered) this.message.apply(result);
    const message = this.message.snapshot();
    const event: StepFinishEvent = { type: 'step-finish', step: this.step };
    if (message.usage !== null) event.usage = message.usage;
    if (message.finishReason !== null) event.finishReason = message.finishReason;
    return { record: { step: this.step, message, reasoning: this.reasoning, toolResults: ordered }, event };
  }
}
