import { NEVER, concat, of, throwError } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { fromSSE } from '../../src/sources/fromSSE';
import { toAsyncIterable } from '../../src/sinks/toAsyncIterable';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { ev } from '../../src/testing/eventBuilders';
import { gatedSource, turns } from './gatedSource';

describe('toAsyncIterable', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('yields every value in order and ends when the source completes', async () => {
    const seen: unknown[] = [];
    for await (const event of toAsyncIterable(of(ev.text('Hel'), ev.text('lo'), ev.finish())))
      seen.push(event);
    expect(seen).toEqual([
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('subscribes anew for every loop, on its first next()', async () => {
    const { source, stats } = gatedSource(['a', 'b']);
    const iterable = toAsyncIterable(source);
    const iterator = iterable[Symbol.asyncIterator]();
    await turns();
    expect(stats.subscribed).toBe(0);
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(stats.subscribed).toBe(1);
    const again: string[] = [];
    for await (const value of iterable) again.push(value);
    expect(again).toEqual(['a', 'b']);
    expect(stats.subscribed).toBe(2);
    await iterator.return!();
  });

  it('holds a gate-aware source back once highWaterMark values wait', async () => {
    const values = Array.from({ length: 50 }, (_, i) => i);
    const { source, stats } = gatedSource(values);
    const iterator = toAsyncIterable(source, { highWaterMark: 3 })[Symbol.asyncIterator]();
    const waiting = stats.nextWait();
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await waiting;
    // One value answered the pending next(), three filled the buffer; then the gate closed.
    expect(stats.produced).toBe(4);
    await turns(20);
    expect(stats.produced).toBe(4);

    const seen: number[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) seen.push(next.value);
    expect(seen).toEqual(values.slice(1));
  });

  it('unsubscribes when the loop breaks, and the iterator is done from then on', async () => {
    const { source, stats } = gatedSource(Array.from({ length: 50 }, (_, i) => i));
    const iterable = toAsyncIterable(source, { highWaterMark: 2 });
    const seen: number[] = [];
    const iterator = iterable[Symbol.asyncIterator]();
    for await (const value of { [Symbol.asyncIterator]: () => iterator }) {
      seen.push(value);
      if (value === 2) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(stats.unsubscribed).toBe(1);
    expect(stats.completed).toBe(false);
    const produced = stats.produced;
    await turns(20);
    expect(stats.produced).toBe(produced);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('ends a next() that was waiting when return() is called', async () => {
    const iterator = toAsyncIterable(NEVER)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await iterator.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('throws the error after the buffered values were yielded, then is done', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    const iterator = toAsyncIterable(
      concat(
        of('a', 'b'),
        throwError(() => failure),
      ),
    )[Symbol.asyncIterator]();
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const value of { [Symbol.asyncIterator]: () => iterator }) seen.push(value);
    } catch (error) {
      caught = error;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(caught).toBe(failure);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('answers several next() calls made without waiting, in order', async () => {
    const { source } = gatedSource(['a', 'b', 'c']);
    const iterator = toAsyncIterable(source)[Symbol.asyncIterator]();
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    expect(results).toEqual([
      { done: false, value: 'a' },
      { done: false, value: 'b' },
      { done: false, value: 'c' },
      { done: true, value: undefined },
    ]);
  });

  it('throws at once for a bad highWaterMark', () => {
    expect(() => toAsyncIterable(of(1), { highWaterMark: -1 })).toThrow(
      'rxllm: toAsyncIterable highWaterMark must be a positive integer, got -1',
    );
  });

  it('aborts the upstream HTTP request when the loop breaks, and throws a failed stream as an RxllmError with partial', async () => {
    let transcript = '';
    for (let i = 0; i < 40; i += 1) transcript += `event: text\ndata: {"type":"text","text":"t${i} "}\n\n`;
    transcript += 'event: done\ndata: [DONE]\n\n';
    server = await createReplayServer({
      routes: {
        '/slow': { transcript, timing: { tokensPerSecond: 200 } },
        '/cut': { transcript, fault: { kind: 'cut', afterBytes: 200 } },
      },
    });
    const url = server.url;
    let text = '';
    for await (const event of toAsyncIterable(
      fromSSE((signal) => fetch(`${url}/slow`, { signal }), { dialect: 'rxllm' }),
    )) {
      if (event.type === 'text') text += event.text;
      if (text === 't0 t1 ') break;
    }
    const slow = await (await server.waitForRequest(0)).closed;
    expect(slow.clientClosed).toBe(true);
    expect(slow.completed).toBe(false);

    text = '';
    let caught: unknown;
    try {
      for await (const event of toAsyncIterable(
        fromSSE((signal) => fetch(`${url}/cut`, { signal }), { dialect: 'rxllm' }),
      )) {
        if (event.type === 'text') text += event.text;
      }
    } catch (error) {
      caught = error;
    }
    // A frame `event: text\ndata: {"type":"text","text":"t0 "}\n\n` is 48 bytes: 200 bytes hold 4.
    expect(text).toBe('t0 t1 t2 t3 ');
    expect(RxllmError.isInstance(caught)).toBe(true);
    expect((caught as RxllmError).code).toBe('network');
    expect((caught as RxllmError).partial?.text).toBe('t0 t1 t2 t3 ');
  });
});
