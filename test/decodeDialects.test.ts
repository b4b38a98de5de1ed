import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import {
  fromSSE,
  registerDialect,
  toSSE,
  type Dialect,
  type DialectInput,
  type RxllmEvent,
} from '../src/core';
import { agUiDialect } from '../src/dialects/ag-ui';
import { agUiDecodeDialect } from '../src/dialects/ag-ui/decode';
import { aiSdkUiDialect } from '../src/dialects/ai-sdk-ui';
import { aiSdkUiDecodeDialect } from '../src/dialects/ai-sdk-ui/decode';
import { anthropicDialect } from '../src/dialects/anthropic';
import { anthropicDecodeDialect } from '../src/dialects/anthropic/decode';
import { openAIChatDialect } from '../src/dialects/openai-chat';
import { openAIChatDecodeDialect } from '../src/dialects/openai-chat/decode';
import { openAIResponsesDialect } from '../src/dialects/openai-responses';
import { openAIResponsesDecodeDialect } from '../src/dialects/openai-responses/decode';
import { rxllmDialect } from '../src/dialects/rxllm';
import { rxllmDecodeDialect } from '../src/dialects/rxllm/decode';

const fixture = (path: string) => readFileSync(join(__dirname, 'fixtures', path), 'utf8');
const decode = (sse: string, dialect: DialectInput) =>
  lastValueFrom(fromSSE([sse], { dialect }).pipe(toArray()));
const encode = (events: RxllmEvent[], dialect: Dialect) =>
  lastValueFrom(of(...events).pipe(toSSE({ dialect }), toArray())).then((frames) => frames.join(''));

// Each decode-only form next to its full dialect (rxllm/dialects/<name>/decode beside <name>).
const pairs: [Dialect, Dialect][] = [
  [rxllmDialect, rxllmDecodeDialect],
  [openAIChatDialect, openAIChatDecodeDialect],
  [openAIResponsesDialect, openAIResponsesDecodeDialect],
  [anthropicDialect, anthropicDecodeDialect],
  [agUiDialect, agUiDecodeDialect],
  [aiSdkUiDialect, aiSdkUiDecodeDialect],
];

describe('decode-only dialects (rxllm/dialects/<name>/decode)', () => {
  it.each(pairs.map(([full, decodeOnly]) => [full.name, full, decodeOnly] as const))(
    '%s: the same decoder and framing as the full dialect, and no encoder',
    (_name, full, decodeOnly) => {
      expect(decodeOnly.name).toBe(full.name);
      expect(decodeOnly.framing).toBe(full.framing);
      expect(decodeOnly.createDecoder).toBe(full.createDecoder);
      expect(full.createEncoder).toBeInstanceOf(Function);
      expect(decodeOnly.createEncoder).toBeUndefined();
    },
  );

  it('reads a recorded openai-chat stream into the same events as the full dialect', async () => {
    const sse = fixture('openai-chat/parallel-tool-calls.sse');
    const events = await decode(sse, openAIChatDecodeDialect);
    expect(events.some((event) => event.type === 'tool-call')).toBe(true);
    expect(events).toEqual(await decode(sse, openAIChatDialect));
  });

  it('reads a recorded anthropic stream into the same events as the full dialect', async () => {
    const sse = fixture('anthropic/tool-use.sse');
    const events = await decode(sse, anthropicDecodeDialect);
    expect(events.some((event) => event.type === 'tool-call')).toBe(true);
    expect(events).toEqual(await decode(sse, anthropicDialect));
  });

  it('reads the rxllm dialect a server wrote, validation included', async () => {
    const events = await decode(fixture('openai-chat/text-include-usage.sse'), openAIChatDialect);
    const sse = await encode(events, rxllmDialect);
    const read = await decode(sse, rxllmDecodeDialect);
    expect(read.map((event) => event.type)).toEqual(events.map((event) => event.type));
    expect(read).toEqual(await decode(sse, rxllmDialect));
    // Hostile input is still refused by the decode-only form: a text event whose text is a number.
    await expect(decode('data: {"type":"text","text":1}\n\n', rxllmDecodeDialect)).rejects.toMatchObject({
      code: 'malformed',
    });
  });

  it('toSSE refuses a decode-only dialect at once, naming the entry that encodes it', () => {
    expect(() => toSSE({ dialect: rxllmDecodeDialect })).toThrow(TypeError);
    expect(() => toSSE({ dialect: openAIChatDecodeDialect })).toThrow(
      /'openai-chat' cannot be encoded: it has no encoder \(decode-only\); to write it, pass the full dialect from rxllm\/dialects\/openai-chat$/,
    );
  });

  it('never replaces the full dialect in the registry, in either order, so names still encode', async () => {
    // Both entries were imported above (the full one first); registering again in both orders.
    registerDialect(anthropicDecodeDialect);
    expect(() => toSSE({ dialect: 'anthropic' })).not.toThrow();
    registerDialect(anthropicDialect);
    registerDialect(anthropicDecodeDialect);
    expect(() => toSSE({ dialect: 'anthropic' })).not.toThrow();
    // Registered alone under a name of its own, a decode-only dialect reads by name and refuses to write.
    const readOnly = registerDialect({ ...anthropicDecodeDialect, name: 'anthropic-read-only' });
    expect(readOnly.createEncoder).toBeUndefined();
    const events = await decode(fixture('anthropic/tool-use.sse'), 'anthropic-read-only' as DialectInput);
    expect(events).toEqual(await decode(fixture('anthropic/tool-use.sse'), anthropicDialect));
    expect(() => toSSE({ dialect: 'anthropic-read-only' as DialectInput })).toThrow(/cannot be encoded/);
    // A decode-only dialect with another decoder is a different dialect: it does replace.
    const other = {
      name: 'anthropic',
      framing: 'sse' as const,
      createDecoder: rxllmDecodeDialect.createDecoder,
    };
    registerDialect(other);
    expect(() => toSSE({ dialect: 'anthropic' })).toThrow(/cannot be encoded/);
    registerDialect(anthropicDialect);
  });
});
