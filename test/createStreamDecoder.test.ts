import type { RxllmEvent } from '../src/base/events';
import { createStreamDecoder } from '../src/wire/createStreamDecoder';
import { getDialect } from '../src/wire/dialects';
import type { Dialect } from '../src/wire/types';

const echo = (framing: 'sse' | 'ndjson'): Dialect => ({
  name: 'rxllm',
  framing,
  createDecoder: (emit) => ({
    message: (data, event) => emit({ type: 'text', text: `${event ?? '-'}:${data}` }),
    end: () => emit({ type: 'finish', reason: 'stop' }),
  }),
});

function run(dialect: Dialect, chunks: Array<Uint8Array | string>): RxllmEvent[] {
  const out: RxllmEvent[] = [];
  const stream = createStreamDecoder(dialect, (event) => out.push(event));
  for (const chunk of chunks) stream.push(chunk);
  stream.end();
  return out;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const oneByteAtATime = (text: string) => Array.from(bytes(text), (byte) => Uint8Array.of(byte));

describe('createStreamDecoder', () => {
  const sse = ': keep-alive\r\nevent: a\r\ndata: héllo 👋\r\n\r\ndata: 2\n\nevent: last\ndata: 3';
  const expected = ['a:héllo 👋', '-:2', 'last:3'];

  it('frames SSE with CRLF, comments and a final event that lacks its blank line', () => {
    const texts = run(echo('sse'), [sse]).flatMap((event) => (event.type === 'text' ? [event.text] : []));
    expect(texts).toEqual(expected);
  });

  it('gives the same events when bytes arrive one at a time, splitting \\r\\n and UTF-8 sequences', () => {
    expect(run(echo('sse'), oneByteAtATime(sse))).toEqual(run(echo('sse'), [bytes(sse)]));
  });

  it('frames NDJSON lines, skipping blank ones, with or without a final newline', () => {
    const ndjson = '{"a":1}\r\n\n{"b":"é"}\n{"c":3}';
    const texts = run(echo('ndjson'), oneByteAtATime(ndjson)).flatMap((event) =>
      event.type === 'text' ? [event.text] : [],
    );
    expect(texts).toEqual(['-:{"a":1}', '-:{"b":"é"}', '-:{"c":3}']);
  });

  it('propagates the decoder error out of push', () => {
    const stream = createStreamDecoder(getDialect('rxllm'), () => undefined);
    expect(() => stream.push('data: {"type":"text","text":""}\n\n')).toThrow(/invalid text event/);
  });
});
