import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import type { RxllmEvent } from '../base/events';

/**
 * A named marble scenario: the diagram lines (inputs first, `expected` last), the value legend
 * they use, and the operator's config. `marbles/<operator>.ts` holds an operator's scenarios; the
 * operator's JSDoc shows its `main` one, and its first spec runs that one.
 */
export interface MarbleScenario<Config = unknown> {
  /** What the scenario shows, as a present-tense sentence. */
  description: string;
  /** Ordered diagram lines, e.g. `{ source: '-a-b-|', expected: '---x-|' }`; `expected` comes last. */
  diagram: Record<string, string>;
  /** Values for the letters in every line of the diagram. */
  values: Record<string, RxllmEvent | unknown>;
  config: Config;
  /** Expected subscription diagram(s) of the source, when the scenario proves teardown. */
  subscriptions?: string | string[];
  /** The error the `#` in `expected` stands for. */
  error?: unknown;
}

/**
 * Runs `callback` in virtual time with RxJS's TestScheduler, comparing with a structural deep
 * equality (so event objects compare by value). Framework-neutral: a mismatch throws an Error
 * whose message shows both sides.
 *
 * @example
 * ```ts
 * import { marbles, ev } from 'rxllm/testing';
 * marbles(({ cold, expectObservable }) => {
 *   const source = cold('-a-b-|', { a: ev.text('Hel'), b: ev.text('lo') });
 *   expectObservable(source.pipe(bufferTokens({ boundary: 'word' }))).toBe('-----(x|)', { x: ev.text('Hello') });
 * });
 * ```
 */
export function marbles(
  callback: (helpers: RunHelpers) => void,
  assertDeepEqual = assertStructurallyEqual,
): void {
  new TestScheduler(assertDeepEqual).run(callback);
}

/**
 * Renders diagram lines the way JSDoc shows them: `label:` padded to one column, then the marbles.
 */
export function formatDiagram(diagram: Record<string, string>): string {
  const width = Math.max(...Object.keys(diagram).map((label) => label.length)) + 2;
  return Object.entries(diagram)
    .map(([label, line]) => `${`${label}:`.padEnd(width)}${line}`)
    .join('\n');
}

function assertStructurallyEqual(actual: unknown, expected: unknown): void {
  if (!structurallyEqual(actual, expected)) {
    throw new Error(
      `marbles differ\nexpected: ${JSON.stringify(expected, replacer, 1)}\nactual:   ${JSON.stringify(actual, replacer, 1)}`,
    );
  }
}

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { error: value.name, message: value.message } : value;
}

/** Deep equality over plain data, arrays, Dates, Maps, Sets and Errors (by name, message and code). */
export function structurallyEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Error || b instanceof Error) {
    return (
      a instanceof Error &&
      b instanceof Error &&
      a.name === b.name &&
      a.message === b.message &&
      (a as { code?: unknown }).code === (b as { code?: unknown }).code
    );
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (a instanceof Map || a instanceof Set) {
    return structurallyEqual([...(a as Map<unknown, unknown>)], [...(b as Map<unknown, unknown>)]);
  }
  const keysA = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) =>
    structurallyEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
