import type { RxllmEvent } from '../../base/events';
import type { validateWireEvent as validateFully } from './validateWireEvent';
import { malformed } from '../malformed';

/**
 * The fields that every event of a type must have and that a message is built from, each a
 * string: a text's `text`, a tool call's `id`, `name` and `argsText`, a finish or reset `reason`,
 * an error event's `error.code` and `error.message` (a path with a dot is a field of a field).
 * test/wire/validateWireEventLight.test.ts holds the list to the types and required strings of
 * `rxllmEventSchema`.
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
  error: 'error.code error.message',
  progress: '',
  comparison: '',
};

/**
 * What a browser bundle of the package gets for validateWireEvent (package.json's `imports`,
 * `#validateWireEvent` under the `browser` condition; Node, Deno, Bun, workerd and edge runtimes
 * get the full checker): the `rxllm` dialect's events checked for the strings a message is built
 * from, so that a server on another version (or one that is not rxllm) is a `malformed` error
 * naming the field, not a broken message; an unknown type is skipped as in Node. It leaves the
 * rest to the app: the other required fields, enum values, optional fields, the shapes of
 * `progress` and `comparison` (stored whole), and it keeps unknown fields where Node's drops them.
 * What stays safe without it: the decoder output guard checks choice and tool-call indexes, usage
 * counts of `usage` events, and counts sizes whatever the field types; the decoder builds an error
 * event's error from the wire's fields but never its `partial`. A page reads its own server, and
 * the full checker costs every app ~0.9 KB gzipped (the budget is 12 KB for the whole
 * app); one that reads a server it does not trust checks events with `rxllmEventSchema` from
 * `rxllm/schema`. (Split per event: a page reads a stream or two, and a split is small next to the
 * `JSON.parse` before it.)
 */
export const validateWireEvent: typeof validateFully = (json, line) => {
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(required, type)) return undefined;
  for (const path of required[type]!.split(' ')) {
    if (path === '') continue;
    let value = json;
    for (const key of path.split('.')) value = (value as Record<string, unknown> | null | undefined)?.[key];
    if (typeof value !== 'string')
      throw malformed('rxllm', line, `invalid ${type} event at ${path}: expected string`);
  }
  return json as RxllmEvent;
};
