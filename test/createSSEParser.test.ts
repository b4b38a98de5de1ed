import fc from 'fast-check';
import { createParser } from 'eventsource-parser';
import { createSSEParser, type SSETarget } from '../src/wire/createSSEParser';

/** One Server-Sent Event: its `data` lines joined by `\n`, its `event` name and `id` if it had them. */
interface SSEMessage {
  data: string;
  event: string | undefined;
  id: string | undefined;
}

/** A target that collects the events into `out`. */
function collector(out: SSEMessage[]): SSETarget {
  return {
    message: (data, event, id) => out.push({ data, event, id }),
    tooLong: () => new Error('too long'),
  };
}

/** What our parser reads from `chunks`. */
function ours(chunks: string[], maxSize = 1e9): SSEMessage[] {
  const out: SSEMessage[] = [];
  const parser = createSSEParser(collector(out), maxSize);
  for (const chunk of chunks) parser.feed(chunk);
  return out;
}

/** What eventsource-parser (the reference, as a client reads the stream) reads from the same text. */
function reference(text: string): SSEMessage[] {
  const out: SSEMessage[] = [];
  const parser = createParser({
    onEvent: ({ data, event, id }) => out.push({ data, event, id }),
  });
  parser.feed(text);
  return out;
}

/** Cuts `text` at the given offsets. */
function cut(text: string, offsets: number[]): string[] {
  const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(text.slice(start, point));
    start = point;
  }
  chunks.push(text.slice(start));
  return chunks;
}

describe('createSSEParser', () => {
  it('reads data, event and id, joins data lines, skips comments and events without data', () => {
    const text =
      ': keep-alive\n\nevent: delta\nid: 7\ndata: {"a":1}\n\ndata: one\ndata:two\n\nevent: empty\n\ndata\n\n';
    expect(ours([text])).toEqual([
      { data: '{"a":1}', event: 'delta', id: '7' },
      { data: 'one\ntwo', event: undefined, id: undefined },
      { data: '', event: undefined, id: undefined },
    ]);
  });

  it('ends lines at CRLF, LF or CR, also when a CRLF is split across chunks', () => {
    expect(ours(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n\n'])).toEqual([
      { data: 'a', event: undefined, id: undefined },
      { data: 'b', event: undefined, id: undefined },
      { data: 'c', event: undefined, id: undefined },
    ]);
  });

  it('ignores a leading BOM and an id holding NUL', () => {
    expect(ours(['\uFEFFid: a\0b\ndata: x\n\n'])).toEqual([{ data: 'x', event: undefined, id: undefined }]);
  });

  it('throws tooLong for a line or an event data longer than maxSize, however chunked', () => {
    expect(() => ours(['data: ' + 'x'.repeat(20) + '\n'], 10)).toThrow('too long');
    expect(() => ours([...'data: xxxxxxxxxxxxxxxxxxxxxxxx'], 10)).toThrow('too long');
    expect(() => ours(['data: xxxxxxxx\n', 'data: xxxxxxxx\n'], 15)).toThrow('too long');
    expect(ours(['data: xxxxxxxx\n\n', 'data: xxxxxxxx\n\n'], 15)).toHaveLength(2);
  });

  it('reset drops the unfinished line and event', () => {
    const out: SSEMessage[] = [];
    const parser = createSSEParser(collector(out), 1e9);
    parser.feed('data: lost\ndata: half');
    parser.reset();
    parser.feed('data: kept\n\n');
    expect(out).toEqual([{ data: 'kept', event: undefined, id: undefined }]);
  });

  it('reads any stream, cut anywhere, as eventsource-parser reads it whole', () => {
    const piece = fc.constantFrom(
      'data: ',
      'data:',
      'data',
      'event: x',
      'event:',
      'id: 1',
      'id:',
      ': c',
      'retry: 5',
      'foo: bar',
      '{"t":"é😀"}',
      ' ',
      ':',
      '\n',
      '\r',
      '\r\n',
      '\n\n',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (parts, offsets) => {
          // Ended as the stream decoder ends a stream: a blank line dispatches the last event.
          const text = `${parts.join('')}\n\n`;
          expect(ours(cut(text, offsets))).toEqual(reference(text));
        },
      ),
      { numRuns: 500 },
    );
  });
});
