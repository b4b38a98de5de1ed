import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { ResetEvent, RxllmEvent, StartEvent, TextEvent } from '../base/events';
import { RxllmError } from '../base/errors';
import { failedPartial } from '../base/failedPartial';
import { holdDelivering, ManualGate, markFlow } from '../flow/flow';
import { MessageAccumulator, type Message } from '../base/message';

/** What {@link StreamHandlers.onStart} receives: the `start` event's fields. */
export type StreamMetadata = Omit<StartEvent, 'type' | 'seq'>;

/**
 * Callbacks for one stream, for code that does not want RxJS. Every callback is optional; `this`
 * is the handler object, so a class instance works.
 */
export interface StreamHandlers {
  /**
   * Once per handler, before any other callback: with the `start` event's id, provider and model
   * when the stream begins with one, else with `{}` just before the first other callback.
   */
  onStart?(metadata: StreamMetadata): void;
  /**
   * A delta of answer text (choice 0; other choices of an `n > 1` stream reach `onEvent`).
   * `index` counts the text deltas from 0 and starts again after a reset.
   */
  onToken?(token: string, index: number, event: TextEvent): void;
  /** The stream completed: choice 0's whole text, and the whole message. */
  onComplete?(fullText: string, message: Message): void;
  /**
   * The stream failed: an {@link RxllmError} (other errors are wrapped) whose `partial` holds the
   * message as far as it was delivered. Not called when you cancel.
   */
  onError?(error: RxllmError): void;
  /** What was shown is void (a retry or a fallback starts over): clear it. */
  onReset?(reason: string, event: ResetEvent): void;
  /** Every event, before the callback for its type: reasoning, tool calls, usage, ... */
  onEvent?(event: RxllmEvent): void;
}

/** Where a stream under {@link subscribeWithHandlers} stands. */
export type StreamStatus = 'active' | 'paused' | 'completed' | 'cancelled' | 'error';

/** Figures of a stream under {@link subscribeWithHandlers}, as of the moment they are read. */
export interface StreamStats {
  /** Text, reasoning and refusal deltas delivered to the handlers. */
  tokens: number;
  /** Milliseconds since subscription; stops when the stream ends. Time spent paused counts. */
  elapsedMs: number;
  /** Milliseconds from subscription to the first delivered delta; absent until then. */
  timeToFirstTokenMs?: number;
  /** Deltas per second since the first one (0 until time has passed since it). */
  tokensPerSecond: number;
  /** Events that arrived while paused and wait for `resume()`. */
  held: number;
  /** Handler callbacks that threw. */
  handlerErrors: number;
}

/** The one object {@link subscribeWithHandlers} returns: controls and figures of the stream. */
export interface StreamController {
  readonly status: StreamStatus;
  readonly stats: StreamStats;
  /**
   * The final message. Resolves on completion, and on `cancel()` with what was delivered and
   * `finishReason: 'cancelled'` (unless a finish had arrived); rejects with the error on failure.
   * Awaiting it is optional: an unobserved rejection is not reported as unhandled.
   */
  readonly done: Promise<Message>;
  /**
   * Stops delivery, and stops the source reading from the network (an rxllm source checks the
   * pause between reads). Events already on their way are held and delivered on `resume()`, in
   * order. False when the stream was not active.
   */
  pause(): boolean;
  /** Delivers the held events, in order, and lets the source read again. False when not paused. */
  resume(): boolean;
  /**
   * Unsubscribes, which aborts the HTTP request of an rxllm source. Held events are dropped,
   * `status` becomes `'cancelled'`, `onError` is not called and `done` resolves (see `done`).
   * False when the stream had already ended.
   */
  cancel(): boolean;
  /**
   * Adds a handler object; it gets `onStart` at once if the stream has started. Returns a
   * function that removes it again. Has no effect once the stream has ended.
   */
  register(handlers: StreamHandlers): () => boolean;
  /** Removes a handler object; false when it was not registered. */
  unregister(handlers: StreamHandlers): boolean;
}

/** Options of {@link subscribeWithHandlers}. */
export interface SubscribeWithHandlersConfig {
  /**
   * Told when a handler callback throws (the stream and the other handlers carry on). Default:
   * `console.error`.
   */
  onHandlerError?: (
    error: unknown,
    context: { handlers: StreamHandlers; callback: keyof StreamHandlers },
  ) => void;
  /** The clock for `stats`. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const callbacks: ReadonlyArray<keyof StreamHandlers> = [
  'onStart',
  'onToken',
  'onComplete',
  'onError',
  'onReset',
  'onEvent',
];

/**
 * Subscribes to a stream and calls plain callbacks (start, token, complete, error) on one or
 * several handler objects; returns one controller to pause, resume and cancel the stream and to
 * read its status and figures.
 *
 * Intuition: the event-listener face of an rxllm stream, for code that wants callbacks and a
 * stop button rather than RxJS.
 *
 * A handler that throws is reported to `onHandlerError` and neither ends the stream nor keeps the
 * other handlers from their calls. Pausing reaches the network: the stream is subscribed with a
 * flow gate (README "Flow control"), so an rxllm source stops reading from its socket while
 * paused; events already in flight (and a completion or error) are held and delivered in order on resume. Completion calls
 * `onComplete`; an error calls `onError`; `cancel()` unsubscribes (aborting the request) and calls
 * neither. A synchronous source (`of(...)`) is delivered before this function returns, so its
 * callbacks cannot reach the controller yet; network sources always deliver later.
 *
 * @example
 * ```ts
 * import { fromOpenAI, subscribeWithHandlers } from 'rxllm';
 * const stream = subscribeWithHandlers(fromOpenAI(openai, params), {
 *   onStart: ({ model }) => console.log(`model: ${model}`),
 *   onToken: (token) => process.stdout.write(token),
 *   onComplete: (text, message) => console.log(`\n${message.usage?.totalTokens} tokens`),
 *   onError: (error) => console.error(error.code, error.partial?.text),
 * });
 * stopButton.onclick = () => stream.cancel();
 * const message = await stream.done;
 * ```
 */
export function subscribeWithHandlers(
  events$: Observable<RxllmEvent>,
  handlers: StreamHandlers | readonly StreamHandlers[],
  config: SubscribeWithHandlersConfig = {},
): StreamController {
  if (typeof events$?.subscribe !== 'function') {
    throw new TypeError(`subscribeWithHandlers: events$ must be an Observable, got ${describe(events$)}`);
  }
  const { onHandlerError = reportToConsole, scheduler = asyncScheduler } = config ?? {};
  if (typeof onHandlerError !== 'function') {
    throw new TypeError(
      `subscribeWithHandlers: onHandlerError must be a function, got ${describe(onHandlerError)}`,
    );
  }
  if (typeof scheduler?.now !== 'function') {
    throw new TypeError(
      `subscribeWithHandlers: scheduler must be a SchedulerLike, got ${describe(scheduler)}`,
    );
  }
  const initial = Array.isArray(handlers) ? handlers : [handlers as StreamHandlers];
  initial.forEach(checkHandlers);

  // Replaced, never mutated, on register/unregister: a dispatch loop keeps iterating the array it
  // started with even when a callback unregisters a handler, at no cost per event.
  let registered: readonly StreamHandlers[] = [...initial];
  let status: StreamStatus = 'active';
  let started = false;
  let metadata: StreamMetadata = {};
  let tokenIndex = 0;
  let tokens = 0;
  let handlerErrors = 0;
  let firstTokenAt: number | undefined;
  let endedAt: number | undefined;
  let terminal: { error: unknown } | { complete: true } | undefined;
  let draining = false;
  // Events that arrived while paused, delivered from `heldFrom` on; a read index rather than
  // `shift()`, so that draining a long backlog stays linear.
  const held: RxllmEvent[] = [];
  let heldFrom = 0;
  const message = new MessageAccumulator();
  const gate = new ManualGate();
  const startedAt = scheduler.now();

  let resolveDone!: (message: Message) => void;
  let rejectDone!: (error: RxllmError) => void;
  const done = new Promise<Message>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers who only use callbacks never look at `done`; its rejection must not crash them.
  done.catch(() => undefined);

  function call<K extends keyof StreamHandlers>(
    handler: StreamHandlers,
    name: K,
    ...args: Parameters<NonNullable<StreamHandlers[K]>>
  ): void {
    const callback = handler[name] as ((...values: unknown[]) => void) | undefined;
    if (callback === undefined) return;
    try {
      callback.apply(handler, args);
    } catch (error) {
      report(error, handler, name);
    }
  }

  function report(error: unknown, handler: StreamHandlers, name: keyof StreamHandlers): void {
    handlerErrors++;
    try {
      onHandlerError(error, { handlers: handler, callback: name });
    } catch (reportError) {
      reportToConsole(reportError, { callback: 'onHandlerError' });
    }
  }

  // The per-token calls, written out rather than through `call`: no arguments array per token.
  function callOnEvent(handlers: readonly StreamHandlers[], event: RxllmEvent): void {
    for (const handler of handlers) {
      if (handler.onEvent === undefined) continue;
      try {
        handler.onEvent(event);
      } catch (error) {
        report(error, handler, 'onEvent');
      }
    }
  }

  function callOnToken(handlers: readonly StreamHandlers[], event: TextEvent, index: number): void {
    for (const handler of handlers) {
      if (handler.onToken === undefined) continue;
      try {
        handler.onToken(event.text, index, event);
      } catch (error) {
        report(error, handler, 'onToken');
      }
    }
  }

  function start(event?: StartEvent): void {
    started = true;
    if (event !== undefined) {
      const { type: _type, seq: _seq, ...fields } = event;
      metadata = fields;
    }
    for (const handler of registered) call(handler, 'onStart', metadata);
  }

  function dispatch(event: RxllmEvent): void {
    // A step-start is sent before the request, not by the provider: the stream starts with what follows.
    if (!started && event.type !== 'step-start') start(event.type === 'start' ? event : undefined);
    message.apply(event);
    const handlers = registered;
    switch (event.type) {
      case 'text':
        countToken();
        callOnEvent(handlers, event);
        if ((event.choice ?? 0) === 0) callOnToken(handlers, event, tokenIndex++);
        return;
      case 'reasoning':
        if (event.text !== '') countToken();
        break;
      case 'refusal':
        countToken();
        break;
      case 'reset':
        tokenIndex = 0;
        callOnEvent(handlers, event);
        for (const handler of handlers) call(handler, 'onReset', event.reason, event);
        return;
    }
    callOnEvent(handlers, event);
  }

  function countToken(): void {
    if (tokens++ === 0) firstTokenAt = scheduler.now();
  }

  function finish(outcome: { error: unknown } | { complete: true }): void {
    if (!started) start();
    endedAt = scheduler.now();
    const handlers = registered;
    if ('complete' in outcome) {
      status = 'completed';
      const final = message.snapshot();
      for (const handler of handlers) call(handler, 'onComplete', final.text, final);
      resolveDone(final);
    } else {
      status = 'error';
      const error = RxllmError.from(outcome.error);
      error.partial ??= failedPartial(message);
      for (const handler of handlers) call(handler, 'onError', error);
      rejectDone(error);
    }
  }

  // Delivers held events in order until none is left or a callback pauses or cancels again.
  function drain(): void {
    if (draining) return;
    draining = true;
    try {
      while (status === 'active' && heldFrom < held.length) dispatch(held[heldFrom++]!);
      if (heldFrom === held.length) held.length = heldFrom = 0;
      if (status === 'active' && terminal !== undefined) finish(terminal);
    } finally {
      draining = false;
    }
  }

  // The observer carries the gate: a source finds it on its downstream path, and pausing stops its reads.
  const subscription = events$.subscribe(
    markFlow(
      {
        next: (event: RxllmEvent) => {
          if (status === 'cancelled') return;
          if (status === 'paused' || held.length > 0) {
            held.push(event);
            if (status === 'paused') holdDelivering(gate); // for a source that cannot see this gate
          } else dispatch(event);
        },
        error: (error: unknown) => {
          if (status === 'cancelled') return;
          terminal = { error };
          drain();
        },
        complete: () => {
          if (status === 'cancelled') return;
          terminal = { complete: true };
          drain();
        },
      },
      { gate },
    ),
  );

  const ended = () => status === 'completed' || status === 'cancelled' || status === 'error';

  const unregister = (handler: StreamHandlers): boolean => {
    const at = registered.indexOf(handler);
    if (at === -1) return false;
    registered = registered.filter((_, index) => index !== at);
    return true;
  };

  return {
    get status() {
      return status;
    },
    get stats(): StreamStats {
      const now = endedAt ?? scheduler.now();
      const sinceFirst = firstTokenAt === undefined ? 0 : now - firstTokenAt;
      const stats: StreamStats = {
        tokens,
        elapsedMs: now - startedAt,
        tokensPerSecond: sinceFirst > 0 ? (tokens * 1000) / sinceFirst : 0,
        held: held.length - heldFrom,
        handlerErrors,
      };
      if (firstTokenAt !== undefined) stats.timeToFirstTokenMs = firstTokenAt - startedAt;
      return stats;
    },
    done,
    pause() {
      if (status !== 'active') return false;
      status = 'paused';
      gate.close();
      return true;
    },
    resume() {
      if (status !== 'paused') return false;
      status = 'active';
      gate.open();
      drain();
      return true;
    },
    cancel() {
      if (ended()) return false;
      status = 'cancelled';
      endedAt = scheduler.now();
      held.length = heldFrom = 0;
      subscription.unsubscribe();
      // Wakes a source waiting on the gate, so that it sees it was unsubscribed and lets go.
      gate.open();
      const partial = message.snapshot();
      partial.finishReason ??= 'cancelled';
      resolveDone(partial);
      return true;
    },
    register(handler) {
      checkHandlers(handler);
      if (ended()) return () => false;
      registered = [...registered, handler];
      if (started) call(handler, 'onStart', metadata);
      return () => unregister(handler);
    },
    unregister,
  };
}

function checkHandlers(handlers: unknown): void {
  if (typeof handlers !== 'object' || handlers === null) {
    throw new TypeError(
      `subscribeWithHandlers: a handler must be an object of callbacks, got ${describe(handlers)}`,
    );
  }
  for (const name of callbacks) {
    const value = (handlers as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(
        `subscribeWithHandlers: handler.${name} must be a function, got ${describe(value)}`,
      );
    }
  }
}

function reportToConsole(error: unknown, context: { callback: string }): void {
  console.error(`rxllm subscribeWithHandlers: ${context.callback} threw`, error);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
