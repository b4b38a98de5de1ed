import type { TextEvent } from '../base/events';

/**
 * A `text` event as the decoders make it: every field it can have present from the start, `choice`
 * and `seq` undefined until set (JSON and `toEqual` see no difference). A source then stamps `seq`
 * in place instead of adding a property, which would give the event a second hidden class that a
 * full GC collects between streams: the next stream would miss in every inline cache that reads an
 * event. One function for the fast paths and the full decoders, so that all their text events
 * share one hidden class.
 */
export function textEvent(text: string): TextEvent {
  return { type: 'text', text, choice: undefined, seq: undefined };
}
