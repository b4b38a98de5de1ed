import { Subject, concat, of, tap, throwError } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { fromSSE } from '../../src/sources/fromSSE';
import { toReadableStream } from '../../src/sinks/toReadableStream';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { ev } from '../../src/testing/eventBuilders';
import { gatedSource, turns } from './gatedSource';

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const out: T[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

describe('toReadableStream', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('passes every value through as it is, in order, then closes', async () => {
    const events = [ev.start({ id: 'r1' }), ev.text('Hel'), ev.text('lo'), ev.finish('stop')];
    expect(await readAll(toReadableStream(of(...events)))).toEqual([
      { type: 'start', id: 'r1' },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('encodes strings as UTF-8 bytes with encode: true, multibyte text included', async () => {
    const chunks = await readAll(
      toReadableStream(of('data: héllo\n\n', 'data: 你好 👋\n\n'), { encode: true }),
    );
    expect(chunks.every((chunk) => chunk instanceof Uint8Array)).toBe(true);
    expect(Array.from(chunks[1]!.subarray(6, 9))).toEqual([0xe4, 0xbd, 0xa0]); // 你
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe('data: héllo\n\ndata: 你好 👋\n\n');
  });

  it('joins the frames waiting at a read into one chunk with encode: true, and keeps objects one per chunk', async () => {
    const readAll = async <T>(stream: ReadableStream<T>): Promise<T[]> => {
      const reader = stream.getReader();
      const chunks: T[] = [];
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      return chunks;
    };
    // The first read takes the first frame as it arrives; the other two wait for the second read.
    const bytes = await readAll(
      toReadableStream(of('data: a\n\n', 'data: b\n\n', 'data: c\n\n'), { encode: true }),
    );
    expect(bytes.map((chunk) => new TextDecoder().decode(chunk))).toEqual([
      'data: a\n\n',
      'data: b\n\ndata: c\n\n',
    ]);
    const events = await readAll(toReadableStream(of(ev.text('a'), ev.text('b'), ev.text('c'))));
    expect(events).toEqual([ev.text('a'), ev.text('b'), ev.text('c')]);
  });

  it('errors the stream with a TypeError when encode: true meets a value that is not text or bytes', async () => {
    const stream = toReadableStream(of('ok', 42 as unknown as string), { encode: true });
    await expect(readAll(stream)).rejects.toThrow(
      'rxllm: toReadableStream with encode: true takes strings or Uint8Arrays, got 42',
    );
  });

  it('does not subscribe before the stream is first read', async () => {
    const { source, stats } = gatedSource(['a', 'b']);
    const stream = toReadableStream(source);
    await turns();
    expect(stats.subscribed).toBe(0);
    const reader = stream.getReader();
    expect(await reader.read()).toEqual({ done: false, value: 'a' });
    expect(stats.subscribed).toBe(1);
    await reader.cancel();
  });

  it('holds a gate-aware source back once highWaterMark values wait unread', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const { source, stats } = gatedSource(values);
    const reader = toReadableStream(source, { highWaterMark: 4 }).getReader();
    const waiting = stats.nextWait();
    expect(await reader.read()).toEqual({ done: false, value: 0 });
    await waiting;
    // One value went to the pending read, four filled the buffer; then the gate closed.
    expect(stats.produced).toBe(5);
    await turns(20);
    expect(stats.produced).toBe(5);

    // Reading one value makes room for exactly one more.
    const next = stats.nextWait();
    expect(await reader.read()).toEqual({ done: false, value: 1 });
    await next;
    expect(stats.produced).toBe(6);

    const rest: number[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) rest.push(read.value);
    expect(rest).toEqual(values.slice(2));
    expect(stats.completed).toBe(true);
  });

  it('overshoots by at most the rest of one chunk when a chunk carries many values', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const { source, stats } = gatedSource(values, { perChunk: 10 });
    const reader = toReadableStream(source, { highWaterMark: 4 }).getReader();
    const waiting = stats.nextWait();
    await reader.read();
    await waiting;
    expect(stats.produced).toBe(10);
    await turns(20);
    expect(stats.produced).toBe(10);
    await reader.cancel();
  });

  it('unsubscribes when the stream is cancelled', async () => {
    const { source, stats } = gatedSource(Array.from({ length: 100 }, (_, i) => i));
    const reader = toReadableStream(source, { highWaterMark: 2 }).getReader();
    await reader.read();
    await reader.cancel('user left');
    expect(stats.unsubscribed).toBe(1);
    const produced = stats.produced;
    await turns(20);
    expect(stats.produced).toBe(produced);
    expect(stats.completed).toBe(false);
  });

  it('unsubscribes a source that ignores gates when cancelled, having buffered what it pushed', async () => {
    let ticks = 0;
    // Five values at once past a highWaterMark of 2 (`of` never looks at a gate), then more on demand.
    const later = new Subject<number>();
    const source = concat(of(0, 1, 2, 3, 4), later).pipe(tap(() => (ticks += 1)));
    const stream = toReadableStream(source, { highWaterMark: 2 });
    const reader = stream.getReader();
    expect(await reader.read()).toEqual({ done: false, value: 0 });
    expect(ticks).toBe(5);
    await reader.cancel();
    const after = ticks;
    later.next(5);
    later.next(6);
    expect(ticks).toBe(after);
    expect(later.observed).toBe(false);
  });

  it('errors the stream only after the buffered values were read', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    const reader = toReadableStream(
      concat(
        of('a', 'b', 'c'),
        throwError(() => failure),
      ),
    ).getReader();
    expect(await reader.read()).toEqual({ done: false, value: 'a' });
    expect(await reader.read()).toEqual({ done: false, value: 'b' });
    expect(await reader.read()).toEqual({ done: false, value: 'c' });
    await expect(reader.read()).rejects.toBe(failure);
  });

  it('closes an empty stream at once', async () => {
    expect(await readAll(toReadableStream(of()))).toEqual([]);
  });

  it('throws at once for a bad highWaterMark or a source that is not an Observable', () => {
    expect(() => toReadableStream(of(1), { highWaterMark: 0 })).toThrow(
      'rxllm: toReadableStream highWaterMark must be a positive integer, got 0',
    );
    expect(() => toReadableStream(of(1), { highWaterMark: 1.5 })).toThrow('got 1.5');
    expect(() => toReadableStream([1, 2] as never)).toThrow(
      'rxllm: toReadableStream expects an Observable, got [object Array]',
    );
  });

  it('stops an rxllm HTTP source from reading the network while the stream is not read', async () => {
    // 2,000 events of 8 KiB: 16 MiB, far more than the socket buffers between server and client.
    const count = 2000;
    const pad = 'x'.repeat(8192);
    let transcript = '';
    for (let i = 0; i < count; i += 1) {
      transcript += `event: text\ndata: ${JSON.stringify({ type: 'text', text: `${i}:${pad}` })}\n\n`;
    }
    transcript += 'event: done\ndata: [DONE]\n\n';
    server = await createReplayServer({ transcript, timing: { sliceBytes: 65536 } });
    const url = server.url;
    let produced = 0;
    const events$ = fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }).pipe(
      tap(() => (produced += 1)),
    );
    const reader = toReadableStream(events$, { highWaterMark: 8 }).getReader();
    expect((await reader.read()).value).toMatchObject({ type: 'text', seq: 0 });

    const request = await server.waitForRequest(0);
    // Wait until the upstream server is stuck on backpressure: its bytesSent stops growing.
    let sent = -1;
    for (let stable = 0; stable < 10;) {
      await turns(20);
      if (request.bytesSent === sent) stable += 1;
      else [sent, stable] = [request.bytesSent, 0];
    }
    expect(request.completed).toBe(false);
    expect(request.bytesSent).toBeLessThan(request.bytesTotal / 2);
    // Decoded but not read: the one read, the buffer of 8, and the rest of the chunk being decoded
    // (a fetch chunk of up to 256 KiB holds at most 32 of these 8 KiB events). Without the gate: 2,000.
    expect(produced).toBeLessThanOrEqual(1 + 8 + 32);

    let total = 1;
    let last: unknown;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      total += 1;
      last = read.value;
    }
    expect(total).toBe(count);
    expect((last as { text: string }).text.startsWith(`${count - 1}:`)).toBe(true);
    expect((await request.closed).completed).toBe(true);
  });

  it('aborts the upstream HTTP request when the stream is cancelled', async () => {
    let transcript = '';
    for (let i = 0; i < 50; i += 1) transcript += `event: text\ndata: {"type":"text","text":"t${i} "}\n\n`;
    transcript += 'event: done\ndata: [DONE]\n\n';
    server = await createReplayServer({ transcript, timing: { tokensPerSecond: 200 } });
    const url = server.url;
    const reader = toReadableStream(
      fromSSE((signal) => fetch(url, { signal }), { dialect: 'rxllm' }),
    ).getReader();
    expect((await reader.read()).value).toEqual({ type: 'text', text: 't0 ', seq: 0 });
    await reader.cancel();
    const request = await (await server.waitForRequest(0)).closed;
    expect(request.clientClosed).toBe(true);
    expect(request.completed).toBe(false);
  });
});
