import type { RxllmEvent, UsageEvent } from '../base/events';
import { limitExceeded, type StreamLimits } from '../base/limits';
import type { EmitEvent } from './types';
import { malformed } from './malformed';
import { usageCounts } from '../base/usageCounts';

/** What a tool call costs against `maxMessageSize` besides its text: its map entry here, its state downstream. */
const perCallOverhead = 64;

/**
 * Wraps a decoder's `emit` with the checks every dialect needs and no decoder should repeat, so
 * that nothing a stream says can make rxllm allocate without bound or write invalid JSON later:
 *
 * - `choice` must be an integer >= 0 (else `malformed`) and below `limits.maxChoices` (else
 *   `limit-exceeded`); a tool call's `index` an integer >= 0.
 * - Usage counts must be finite integers >= 0 and `cost` finite and >= 0 (else `malformed`: a
 *   count of `1e999` or `-5` is a broken message, and passed on it would become `Infinity` /
 *   `NaN` in every encoder). A non-finite `start.created` is dropped (it is only a label).
 * - Content is counted: one tool call's arguments against `limits.maxToolArgumentsSize`, all
 *   content of the stream against `limits.maxMessageSize` (`limit-exceeded`).
 *
 * `line` gives the message being decoded, for the `malformed` error's quote. Per event this is a
 * switch and a few comparisons.
 */
export function guardEvents(
  dialect: string,
  limits: StreamLimits,
  line: () => string,
  emit: EmitEvent,
): EmitEvent {
  // One state object and one closure per stream, the checks module functions over it: a relay
  // holds thousands of streams, and a checker per stream made of closures cost ~0.4 KB each.
  const guard: Guard = { dialect, limits, line, size: 0, callSizes: undefined };
  return (event: RxllmEvent) => {
    check(guard, event);
    emit(event);
  };
}

interface Guard {
  readonly dialect: string;
  readonly limits: StreamLimits;
  readonly line: () => string;
  /** Content characters so far, against `limits.maxMessageSize`. */
  size: number;
  /**
   * Argument characters per open tool call id; deleted when the call completes. Made with the
   * first tool call: most streams have none, and a Map is ~150 bytes per stream.
   */
  callSizes: Map<string, number> | undefined;
}

function add(guard: Guard, characters: number): void {
  guard.size += characters;
  // Negated, so that a size that is not a number (a decoder that let a field of the wrong type
  // through) stops the stream too, instead of switching the limit off for the rest of it.
  if (!(guard.size <= guard.limits.maxMessageSize))
    throw limitExceeded('maxMessageSize', guard.limits.maxMessageSize, 'the message', guard.dialect);
}

/**
 * An optional string's length, 0 for anything else: the browser's rxllm checker leaves optional
 * fields to the app, and `{ "length": -1e300 }` must not count.
 */
const lengthOf = (value: unknown): number => (typeof value === 'string' ? value.length : 0);

function checkChoice(guard: Guard, choice: number | undefined): void {
  if (choice === undefined) return;
  if (!Number.isSafeInteger(choice) || choice < 0)
    throw malformed(guard.dialect, guard.line(), `choice ${String(choice)}: expected integer >= 0`);
  if (choice >= guard.limits.maxChoices)
    throw limitExceeded('maxChoices', guard.limits.maxChoices, `choice index ${choice}`, guard.dialect);
}

function checkIndex(guard: Guard, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0)
    throw malformed(guard.dialect, guard.line(), `tool call index ${String(index)}: expected integer >= 0`);
}

function addArguments(guard: Guard, id: string, characters: number): void {
  const total = (guard.callSizes?.get(id) ?? 0) + characters;
  if (total > guard.limits.maxToolArgumentsSize)
    throw limitExceeded(
      'maxToolArgumentsSize',
      guard.limits.maxToolArgumentsSize,
      `the arguments of tool call ${JSON.stringify(id.slice(0, 64))}`,
      guard.dialect,
    );
  (guard.callSizes ??= new Map()).set(id, total);
  add(guard, characters);
}

function checkUsage(guard: Guard, event: UsageEvent): void {
  for (const field of usageCounts) {
    const value = event[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
      throw malformed(guard.dialect, guard.line(), `usage ${field} ${String(value)}: expected integer >= 0`);
  }
  const cost = event.cost;
  if (cost !== undefined && !(Number.isFinite(cost) && cost >= 0))
    throw malformed(guard.dialect, guard.line(), `usage cost ${String(cost)}: expected number >= 0`);
}

function check(guard: Guard, event: RxllmEvent): void {
  switch (event.type) {
    case 'text':
    case 'refusal':
      checkChoice(guard, event.choice);
      add(guard, event.text.length);
      break;
    case 'reasoning':
      checkChoice(guard, event.choice);
      add(guard, event.text.length + lengthOf(event.signature) + lengthOf(event.redacted));
      break;
    case 'tool-call-start':
      checkChoice(guard, event.choice);
      checkIndex(guard, event.index);
      add(guard, perCallOverhead + event.id.length + event.name.length);
      if (!guard.callSizes?.has(event.id)) (guard.callSizes ??= new Map()).set(event.id, 0);
      break;
    case 'tool-call-delta':
      checkChoice(guard, event.choice);
      checkIndex(guard, event.index);
      addArguments(guard, event.id, event.argsText.length);
      break;
    case 'tool-call':
      checkChoice(guard, event.choice);
      checkIndex(guard, event.index);
      {
        // What the deltas did not already carry (all of it for a call that arrives whole).
        const unseen = event.argsText.length - (guard.callSizes?.get(event.id) ?? 0);
        if (unseen > 0) addArguments(guard, event.id, unseen);
      }
      guard.callSizes?.delete(event.id);
      break;
    case 'finish':
      checkChoice(guard, event.choice);
      break;
    case 'usage':
      checkUsage(guard, event);
      break;
    case 'start':
      if (event.created !== undefined && !Number.isFinite(event.created)) delete event.created;
      break;
    default:
      break;
  }
}
