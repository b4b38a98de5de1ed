import type { Observable } from 'rxjs';
import { GatedQueue } from '../flow/gatedQueue';

/** Options of {@link toAsyncIterable}. */
export interface ToAsyncIterableConfig {
  /**
   * How many values may wait for the loop before the source is held back. A positive integer;
   * default 64.
   */
  highWaterMark?: number;
}

/**
 * An async iterable of what the Observable emits, for `for await` loops and code that does not
 * want RxJS.
 *
 * Intuition: the loop pulls; values the source pushes while the loop body runs wait in a small
 * buffer, and when it is full the source is asked to stop reading the network.
 *
 * - Each `for await` (each call of `[Symbol.asyncIterator]()`) subscribes anew, on its first
 *   `next()`: the iterable is as cold as the Observable.
 * - Bounded: once `highWaterMark` values wait, the source is held back through rxllm's flow gate
 *   (rxllm sources stop reading their HTTP body); a source that cannot be held back keeps being
 *   buffered.
 * - Completion ends the loop after the buffered values. An error is thrown from the loop after
 *   the buffered values were yielded, as it came (an `RxllmError`, whose `partial` holds the
 *   message so far, from rxllm sources).
 * - `break`, `return` or a `throw` in the loop body calls the iterator's `return()`, which
 *   unsubscribes: the upstream HTTP request is aborted.
 *
 * @example
 * ```ts
 * import { fromAnthropic, toAsyncIterable } from 'rxllm';
 * for await (const event of toAsyncIterable(fromAnthropic(anthropic, params))) {
 *   if (event.type === 'text') process.stdout.write(event.text);
 * }
 * ```
 */
export function toAsyncIterable<T>(
  source$: Observable<T>,
  config: ToAsyncIterableConfig = {},
): AsyncIterable<T> {
  if (typeof (source$ as { subscribe?: unknown } | null)?.subscribe !== 'function') {
    throw new TypeError(`rxllm: toAsyncIterable expects an Observable, got ${String(source$)}`);
  }
  const highWaterMark = config.highWaterMark ?? 64;
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
    throw new TypeError(
      `rxllm: toAsyncIterable highWaterMark must be a positive integer, got ${String(highWaterMark)}`,
    );
  }
  return { [Symbol.asyncIterator]: () => iterate(source$, highWaterMark) };
}

interface Waiter<T> {
  resolve: (result: IteratorResult<T, undefined>) => void;
  reject: (error: unknown) => void;
}

function iterate<T>(source$: Observable<T>, highWaterMark: number): AsyncIterableIterator<T, undefined> {
  const waiters: Waiter<T>[] = [];
  // Once the loop has seen the end (done, thrown error, return), every later next() is done.
  let finished = false;
  const done = (): IteratorResult<T, undefined> => ({ value: undefined, done: true });

  // Answers as many waiting next() calls as the queue can; called on every change of the queue.
  const settle = () => {
    while (waiters.length > 0) {
      if (queue.size > 0) {
        waiters.shift()!.resolve({ value: queue.shift(), done: false });
      } else if (queue.state === 'error' && !finished) {
        finished = true;
        waiters.shift()!.reject(queue.error);
      } else if (queue.state !== 'running' && queue.state !== 'idle') {
        finished = true;
        waiters.shift()!.resolve(done());
      } else {
        return;
      }
    }
  };
  const queue = new GatedQueue<T>(source$, highWaterMark, settle);

  return {
    next() {
      if (queue.size > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (finished) return Promise.resolve(done());
      const next = new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
      queue.start();
      settle();
      return next;
    },
    return() {
      finished = true;
      queue.cancel();
      settle();
      return Promise.resolve(done());
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
