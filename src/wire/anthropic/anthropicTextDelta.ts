import { jsonStringText } from '../jsonStringText';

/** A `content_block_delta` of a `text_delta`, in the field order Anthropic writes. */
const textDelta = new RegExp(
  String.raw`^\{"type":"content_block_delta","index":(?:0|[1-9]\d*),"delta":\{"type":"text_delta","text":"((?:[^"\\\x00-\x1f]|\\.)*)"\}[ \t\r\n]*\}[ \t\r\n]*$`,
);

/**
 * The text of an Anthropic text delta, or `undefined` for any other message: the decoder's checked
 * fast path (a text delta changes no decoder state; the full decoder emits one `text` event for
 * it, none for `""`). Held to the full decoder by test/wire/fastPath.test.ts.
 */
export function anthropicTextDelta(data: string): string | undefined {
  const match = textDelta.exec(data);
  return match === null ? undefined : jsonStringText(match[1]!);
}
