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
  let size = 0;
  // Argument characters per open tool call id; deleted when the call completes.
  // Made with the first tool call: most streams have none, and a Map is ~150 bytes per stream.
  let callSizes: Map<string, number> | undefined;

  const add = (characters: number): void => {
    size += characters;
    if (size > limits.maxMessageSize)
      throw limitExceeded('maxMessageSize', limits.maxMessageSize, 'the message', dialect);
  };

  const checkChoice = (choice: number | undefined): void => {
    if (choice === undefined) return;
    if (!Number.isSafeInteger(choice) || choice < 0)
      throw malformed(dialect, line(), `choice index ${String(choice)} is not an integer >= 0`);
    if (choice >= limits.maxChoices)
      throw limitExceeded('maxChoices', limits.maxChoices, `choice index ${choice}`, dialect);
  };

  const checkIndex = (index: number): void => {
    if (!Number.isSafeInteger(index) || index < 0)
      throw malformed(dialect, line(), `tool call index ${String(index)} is not an integer >= 0`);
  };

  const addArguments = (id: string, characters: number): void => {
    const total = (callSizes?.get(id) ?? 0) + characters;
    if (total > limits.maxToolArgumentsSize)
      throw limitExceeded(
        'maxToolArgumentsSize',
        limits.maxToolArgumentsSize,
        `the arguments of tool call ${JSON.stringify(id.slice(0, 64))}`,
        dialect,
      );
    (callSizes ??= new Map()).set(id, total);
    add(characters);
  };

  const checkUsage = (event: UsageEvent): void => {
    for (const field of usageCounts) {
      const value = event[field];
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
        throw malformed(dialect, line(), `usage ${field} ${String(value)} is not a finite integer >= 0`);
    }
    const cost = event.cost;
    if (cost !== undefined && !(Number.isFinite(cost) && cost >= 0))
      throw malformed(dialect, line(), `usage cost ${String(cost)} is not a finite number >= 0`);
  };

  return (event: RxllmEvent) => {
    switch (event.type) {
      case 'text':
      case 'refusal':
        checkChoice(event.choice);
        add(event.text.length);
        break;
      case 'reasoning':
        checkChoice(event.choice);
        add(event.text.length + (event.signature?.length ?? 0) + (event.redacted?.length ?? 0));
        break;
      case 'tool-call-start':
        checkChoice(event.choice);
        checkIndex(event.index);
        add(perCallOverhead + event.id.length + event.name.length);
        if (!callSizes?.has(event.id)) (callSizes ??= new Map()).set(event.id, 0);
        break;
      case 'tool-call-delta':
        checkChoice(event.choice);
        checkIndex(event.index);
        addArguments(event.id, event.argsText.length);
        break;
      case 'tool-call':
        checkChoice(event.choice);
        checkIndex(event.index);
        {
          // What the deltas did not already carry (all of it for a call that arrives whole).
          const unseen = event.argsText.length - (callSizes?.get(event.id) ?? 0);
          if (unseen > 0) addArguments(event.id, unseen);
        }
        callSizes?.delete(event.id);
        break;
      case 'finish':
        checkChoice(event.choice);
        break;
      case 'usage':
        checkUsage(event);
        break;
      case 'start':
        if (event.created !== undefined && !Number.isFinite(event.created)) delete event.created;
        break;
      default:
        break;
    }
    emit(event);
  };
}
