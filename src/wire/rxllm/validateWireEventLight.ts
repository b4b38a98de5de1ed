import type { RxllmEvent } from '../../base/events';
import type { validateWireEvent as validateFully } from './validateWireEvent';
import { malformed } from '../malformed';

/**
 * The fields that every event of a type must have and that a message is built from: its text, a
 * tool call's id, name and arguments, a finish or reset reason (strings), and an error event's
 * error (`{`: an object). Numbers are the decoder output guard's, which every dialect gets: a
 * choice and a tool call's index must be integers >= 0 (the index is required), usage counts
 * integers >= 0 where present. test/wire/validateWireEventLight.test.ts holds the list to the
 * types and required strings of `rxllmEventSchema`.
 */
const required: Record<string, string> = {
  start: '',
  text: 'text',
  reasoning: 'text',
  refusal: 'text',
  'tool-call-start': 'id name',
  'tool-call-delta': 'id argsText',
  'tool-call': 'id name argsText',
  'tool-result': 'id name',
  usage: '',
  'usage-total': '',
  'step-start': '',
  'step-finish': '',
  finish: 'reason',
  reset: 'reason',
  error: 'error{',
  progress: '',
  comparison: 'similarityMeasure',
};

/**
 * What a browser bundle of the package gets for validateWireEvent (package.json's `imports`,
 * `#validateWireEvent` under any condition but `node`): the `rxllm` dialect's events checked for
 * the fields a message is built from, so that a server on another version (or one that is not
 * rxllm) is a `malformed` error naming the field, not a broken message; an unknown type is skipped
 * as in Node. It does not check what Node's checker checks besides (the other required fields,
 * enum values, optional fields) nor drop unknown fields: a page reads its own server, and the
 * full checker costs every app ~0.9 KB gzipped (the budget is 12 KB for the whole app).
 * The decoder output guard (indexes, usage counts, sizes) holds either way. A page that reads a
 * server it does not trust checks events with `rxllmEventSchema` from `rxllm/schema`.
 */
export const validateWireEvent: typeof validateFully = (json, line) => {
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(required, type)) return undefined;
  for (const field of required[type]!.split(' ')) {
    if (field === '') continue;
    const kind = field.endsWith('{') ? 'object' : 'string';
    const name = kind === 'object' ? field.slice(0, -1) : field;
    const value = (json as Record<string, unknown>)[name];
    if (typeof value !== kind || value === null)
      throw malformed('rxllm', line, `invalid ${type} event at ${name}: expected ${kind}`);
  }
  return json as RxllmEvent;
};
