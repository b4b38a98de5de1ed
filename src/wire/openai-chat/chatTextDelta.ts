import { jsonStringText } from '../jsonStringText';

// A string with neither escapes nor control characters, a JSON integer, or null: the values of
// the chunk's fields that the decoder does not read once the stream has started.
const plain = String.raw`(?:"[^"\\\x00-\x1f]*"|-?(?:0|[1-9]\d*)|null)`;
const ignoredField = String.raw`"(?:id|object|created|model|system_fingerprint|service_tier|provider|obfuscation)":${plain}|"usage":null`;
const nullDeltaField = String.raw`"(?:reasoning_content|reasoning|refusal|tool_calls|function_call|reasoning_details)":null`;
const nullChoiceField = String.raw`"(?:logprobs|finish_reason|native_finish_reason|token_ids)":null`;

/**
 * One text chunk of choice 0 and nothing else: any order of the fields above around `choices`,
 * a delta whose only non-null field is `content` (after an optional `role`), a choice whose other
 * fields are null. Group 1 is the body of the content string.
 */
const textChunk = new RegExp(
  String.raw`^\{(?:(?:${ignoredField}),)*"choices":\[\{"index":0,"delta":\{(?:"role":"[^"\\\x00-\x1f]*",)?(?:${nullDeltaField},)*"content":"((?:[^"\\\x00-\x1f]|\\.)*)"(?:,${nullDeltaField})*\}(?:,${nullChoiceField})*\}\](?:,(?:${ignoredField}))*\}[ \t\r\n]*$`,
);

/**
 * The text of an OpenAI chat chunk that carries only text for choice 0 (the overwhelming majority
 * of a stream's chunks), or `undefined` for any other chunk: the decoder's checked fast path.
 * What it recognises, the full decoder turns into exactly one `text` event (none for `""`) and
 * no change of state, once the stream has started and choice 0 is known; the property test in
 * test/wire/fastPath.test.ts holds it to that.
 */
export function chatTextDelta(data: string): string | undefined {
  const match = textChunk.exec(data);
  return match === null ? undefined : jsonStringText(match[1]!);
}
