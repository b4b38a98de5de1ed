import { jsonStringText } from '../jsonStringText';

const member = String.raw`"(?:item_id|obfuscation)":"[^"\\\x00-\x1f]*"|"(?:sequence_number|content_index|output_index)":(?:0|[1-9]\d*)|"logprobs":\[\]|"type":"response\.output_text\.delta"|"delta":"(?:[^"\\\x00-\x1f]|\\.)*"`;

/**
 * A `response.output_text.delta` event with only the fields servers send with it, in any order.
 * Its strings other than `delta` hold no quote or backslash, so every `"name":` in a line it
 * matches is a field name, never text: the fields can be found by `lastIndexOf` (the last of
 * a repeated field is the one `JSON.parse` keeps).
 */
const textEvent = new RegExp(String.raw`^\{(?:${member})(?:,(?:${member}))*\}[ \t\r\n]*$`);

/** The decoder's fast path result: the text and the item it belongs to (its output index). */
export interface OutputTextDelta {
  text: string;
  outputIndex: number;
}

/**
 * The text and output index of a Responses `response.output_text.delta` event, or `undefined` for
 * any other message (or one lacking `type`, `delta` or `output_index`): the decoder's checked fast
 * path, held to the full decoder by test/wire/fastPath.test.ts.
 */
export function outputTextDelta(data: string): OutputTextDelta | undefined {
  if (!textEvent.test(data) || data.indexOf('"type":') === -1) return undefined;
  const index = data.lastIndexOf('"output_index":');
  const delta = data.lastIndexOf('"delta":"');
  if (index === -1 || delta === -1) return undefined;
  const start = delta + 9;
  let end = start;
  for (;;) {
    const c = data.charCodeAt(end);
    if (c === 34 /* " */) break;
    end += c === 92 /* \ */ ? 2 : 1;
  }
  const text = jsonStringText(data.slice(start, end));
  if (text === undefined) return undefined;
  let digits = index + 15;
  while (data.charCodeAt(digits) >= 48 && data.charCodeAt(digits) <= 57) digits++;
  return { text, outputIndex: Number(data.slice(index + 15, digits)) };
}
