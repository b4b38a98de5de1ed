import type { RxllmEvent } from '../../src/base/events';
import { fromNDJSON } from '../../src/sources/fromNDJSON';
import { fromSSE } from '../../src/sources/fromSSE';
import type { StreamLimits } from '../../src/base/limits';
import type { DialectName } from '../../src/wire/types';
import { run, type Outcome } from '../sources/helpers';

/** An async iterable of the given text pieces: a stream input that needs no server. */
export async function* pieces(...texts: string[]): AsyncGenerator<string> {
  for (const text of texts) yield text;
}

/** SSE text of `data:` events, each `[data, event name?]`; data that is not a string is JSON-encoded. */
export function sse(...messages: (readonly [unknown, string?])[]): string {
  let text = '';
  for (const [data, event] of messages) {
    if (event !== undefined) text += `event: ${event}\n`;
    text += `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  }
  return text;
}

/** Decodes the text through the real source for `dialect` (fromSSE, or fromNDJSON for ollama). */
export function decode(
  dialect: DialectName,
  text: string | string[],
  limits?: Partial<StreamLimits>,
): Promise<Outcome> {
  const input = pieces(...(Array.isArray(text) ? text : [text]));
  const config = { dialect, ...(limits !== undefined && { limits }) };
  return run(dialect === 'ollama' ? fromNDJSON(input, config) : fromSSE(input, config));
}

export function texts(events: RxllmEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}
