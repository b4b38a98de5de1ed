import { Observable, Subject, firstValueFrom, lastValueFrom, throwError, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { createMemoryStreamLog } from '../../src/log/createMemoryStreamLog';
import { fromStreamLog, fromStreamLogEntries } from '../../src/log/fromStreamLog';
import { persistStream } from '../../src/log/persistStream';
import { recordStream } from '../../src/log/recordStream';
import type { StreamLogStore } from '../../src/log/StreamLogStore';
import { ev, formatDiagram, marbles } from '../../src/testing';
import { readDocDiagram } from '../support/docDiagram';
import { handFedSource } from '../support/handFedSource';

const values = { s: ev.start({ model: 'm' }), a: ev.text('Hel'), b: ev.text('lo') };

/** Resolves when the recorder's terminal marker is in the store. */
async function ended(store: StreamLogStore, id: string): Promise<void> {
  while ((await store.state(id)) !== 'ended') await new Promise((resolve) => setImmediate(resolve));
}

/** The store, counting its appends. */
function counting(store: StreamLogStore): StreamLogStore & { appends: number } {
  const counted = Object.assign(Object.create(store) as StreamLogStore, { appends: 0 });
  counted.append = (id, from, entries) => {
    counted.appends++;
    return store.append(id, from, entries);
  };
  return counted;
}

describe('recordStream', () => {
  it('passes every event through as its JSDoc diagram shows, and records them', async () => {
    const diagram = { source: '-s-a-b-|', expected: '-s-a-b-|' };
    expect(readDocDiagram('src/log/recordStream.ts')).toBe(formatDiagram(diagram));
    const store = createMemoryStreamLog();
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold<RxllmEvent>(diagram.source, values).pipe(recordStream(store, 'd'))).toBe(
        diagram.expected,
        values,
      );
    });
    await ended(store, 'd');
    expect(await lastValueFrom(fromStreamLog(store, 'd').pipe(toArray()))).toEqual([
      values.s,
      values.a,
      values.b,
    ]);
  });

  it('writes in batches: far fewer writes than events', async () => {
    const store = counting(createMemoryStreamLog());
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, 'batch', { batchMs: 5 })).subscribe();
    for (let i = 0; i < 1000; i++) {
      tokens.next(ev.text(`t${i} `));
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    tokens.complete();
    await ended(store, 'batch');
    const read = await lastValueFrom(fromStreamLog(store, 'batch').pipe(toArray()));
    expect(read).toHaveLength(1000);
    expect(read.map((event) => (event as { text: string }).text).join('')).toBe(
      Array.from({ length: 1000 }, (_, i) => `t${i} `).join(''),
    );
    expect(store.appends).toBeGreaterThan(0);
    expect(store.appends).toBeLessThanOrEqual(20);
  });

  it('write-behind: at most one append in flight; the next batch is everything that arrived meanwhile', async () => {
    const inner = createMemoryStreamLog();
    const store = Object.create(inner) as StreamLogStore;
    const batches: number[] = [];
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstCall!: () => void;
    const called = new Promise<void>((resolve) => (firstCall = resolve));
    store.append = async (id, from, entries) => {
      inFlight++;
      most = Math.max(most, inFlight);
      batches.push(entries.length);
      firstCall();
      await held; // the first write hangs until released; the others go through
      inFlight--;
      return inner.append(id, from, entries);
    };
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, 'behind', { batchMs: 0 })).subscribe();
    tokens.next(ev.text('first '));
    await called;
    // While the first write hangs, events arrive over many turns: none is written yet.
    for (let i = 0; i < 50; i++) {
      tokens.next(ev.text(`${i} `));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(batches).toEqual([1]);
    release();
    tokens.complete();
    await ended(inner, 'behind');
    expect(batches).toEqual([1, 50]);
    expect(most).toBe(1);
    const read = await lastValueFrom(fromStreamLog(inner, 'behind').pipe(toArray()));
    expect(read.map((event) => (event as { text: string }).text).join('')).toBe(
      'first ' + Array.from({ length: 50 }, (_, i) => `${i} `).join(''),
    );
  });

  it('hands waitUntil the promise of the last write: settled, the log has ended; a failed end rejects it', async () => {
    const store = createMemoryStreamLog();
    const tokens = new Subject<RxllmEvent>();
    let written: Promise<void> | undefined;
    tokens.pipe(recordStream(store, 'until', { waitUntil: (promise) => (written = promise) })).subscribe();
    tokens.next(ev.text('a'));
    expect(written).toBeUndefined();
    tokens.complete();
    // Given at the end, before the end's write has landed.
    expect(written).toBeDefined();
    expect(await store.state('until')).toBe('live');
    await written;
    expect(await store.state('until')).toBe('ended');

    const failing = Object.create(store) as StreamLogStore;
    failing.end = () => Promise.reject(new Error('down'));
    const more = new Subject<RxllmEvent>();
    let lost: Promise<void> | undefined;
    more.pipe(recordStream(failing, 'until-lost', { waitUntil: (promise) => (lost = promise) })).subscribe();
    more.complete();
    await expect(lost).rejects.toThrow('down');
  });

  it('rejects a second producer under the same id', async () => {
    const store = createMemoryStreamLog();
    new Subject<RxllmEvent>().pipe(recordStream(store, 'twice')).subscribe();
    const second = firstValueFrom(new Subject<RxllmEvent>().pipe(recordStream(store, 'twice')));
    await expect(second).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('ends the stream with limit-exceeded past maxBytes, and readers read that error', async () => {
    const store = createMemoryStreamLog();
    const tokens = new Subject<RxllmEvent>();
    const seen: RxllmEvent[] = [];
    let failure: unknown;
    tokens
      .pipe(recordStream(store, 'big', { maxBytes: 200 }))
      .subscribe({ next: (e) => seen.push(e), error: (e) => (failure = e) });
    for (let i = 0; i < 20 && failure === undefined; i++) tokens.next(ev.text('0123456789'));
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'limit-exceeded', limit: 'maxBytes' });
    expect(tokens.observed).toBe(false);
    await ended(store, 'big');
    const read: RxllmEvent[] = [];
    const readerFailure = await new Promise((resolve) =>
      fromStreamLog(store, 'big').subscribe({ next: (e) => read.push(e), error: resolve }),
    );
    expect(readerFailure).toMatchObject({ code: 'limit-exceeded', limit: 'maxBytes' });
    expect(read).toEqual(seen);
  });
});

describe('fromStreamLog', () => {
  it('replays from a position then follows live: no gap, no duplicate at the seam', async () => {
    const store = createMemoryStreamLog();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, 'seam', { batchMs: 0 })).subscribe();
    const all = Array.from({ length: 200 }, (_, i) => ev.text(`${i},`));
    const readers: Promise<{ from: number; read: { seq: number; event: RxllmEvent }[] }>[] = [];
    for (let i = 0; i < all.length; i++) {
      tokens.next(all[i]!);
      // Readers attach at every stage: before the batch is written, while it is, after it was.
      if (i % 10 === 0) {
        const from = i % 3 === 0 ? 0 : i;
        readers.push(
          lastValueFrom(fromStreamLogEntries(store, 'seam', { from }).pipe(toArray())).then((read) => ({
            from,
            read,
          })),
        );
      }
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    tokens.complete();
    for (const { from, read } of await Promise.all(readers)) {
      expect(read.map((entry) => entry.seq)).toEqual(
        Array.from({ length: all.length - from }, (_, i) => from + i),
      );
      expect(read.map((entry) => entry.event)).toEqual(all.slice(from));
    }
  });

  it('tells "no data yet" from the end: waits on an empty live log', async () => {
    const store = createMemoryStreamLog();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, 'empty')).subscribe();
    const read: RxllmEvent[] = [];
    let completed = false;
    fromStreamLog(store, 'empty', { waitMs: 5 }).subscribe({
      next: (e) => read.push(e),
      complete: () => (completed = true),
    });
    // Several empty waits go by with the lease current.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(completed).toBe(false);
    tokens.next(values.a);
    tokens.complete();
    await ended(store, 'empty');
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toEqual([values.a]);
    expect(completed).toBe(true);
  });

  it('errors with a 404 invalid-argument for an unknown id', async () => {
    await expect(firstValueFrom(fromStreamLog(createMemoryStreamLog(), 'nope'))).rejects.toMatchObject({
      code: 'invalid-argument',
      status: 404,
    });
  });

  it('revives the recorded error, and in-band error events as RxllmErrors', async () => {
    const store = createMemoryStreamLog();
    const inBand = new RxllmError('track failed', { code: 'overloaded', status: 529 });
    const source = new Observable<RxllmEvent>((subscriber) => {
      subscriber.next({ type: 'error', error: inBand, track: 'x' });
      subscriber.error(new RxllmError('boom', { code: 'rate-limit', status: 429, retryAfterMs: 1000 }));
    });
    source.pipe(recordStream(store, 'err')).subscribe({ error: () => {} });
    await ended(store, 'err');
    const read: RxllmEvent[] = [];
    const failure = await new Promise<unknown>((resolve) =>
      fromStreamLog(store, 'err').subscribe({ next: (e) => read.push(e), error: resolve }),
    );
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'rate-limit', status: 429, retryAfterMs: 1000, message: 'boom' });
    const event = read[0] as Extract<RxllmEvent, { type: 'error' }>;
    expect(RxllmError.isInstance(event.error)).toBe(true);
    expect(event.error).toMatchObject({ code: 'overloaded', status: 529, message: 'track failed' });
  });

  it('a reader leaving does not stop the producer; a cancel does, and readers see finish cancelled', async () => {
    const store = createMemoryStreamLog();
    const { tokens, source, unsubscribed } = handFedSource();
    const produced: RxllmEvent[] = [];
    source.pipe(recordStream(store, 'stop', { batchMs: 0 })).subscribe((e) => produced.push(e));
    tokens.next(values.a);
    const leaving = fromStreamLog(store, 'stop').subscribe();
    await new Promise((resolve) => setImmediate(resolve));
    leaving.unsubscribe();
    tokens.next(values.b);
    expect(unsubscribed()).toBe(false);
    const staying = lastValueFrom(fromStreamLog(store, 'stop').pipe(toArray()));
    expect(await store.cancel('stop')).toBe(true);
    const cancelled = { type: 'finish', reason: 'cancelled', rawReason: null };
    expect(unsubscribed()).toBe(true);
    expect(produced).toEqual([values.a, values.b, cancelled]);
    expect(await staying).toEqual([values.a, values.b, cancelled]);
    expect(await store.cancel('stop')).toBe(false);
  });

  it('errors with a typed timeout when the producer stops renewing its lease', async () => {
    const store = createMemoryStreamLog();
    // A producer that opened the stream, wrote, and died: nobody renews the lease.
    await store.open('dead', 20);
    await store.append('dead', 0, [JSON.stringify(values.a)]);
    const read: RxllmEvent[] = [];
    const failure = await new Promise((resolve) =>
      fromStreamLog(store, 'dead', { waitMs: 10 }).subscribe({ next: (e) => read.push(e), error: resolve }),
    );
    expect(read).toEqual([values.a]);
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'timeout' });
  });

  it('keeps a live producer alive past many lease periods', async () => {
    const store = createMemoryStreamLog();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, 'slow', { leaseMs: 15 })).subscribe();
    let failure: unknown;
    const read = lastValueFrom(fromStreamLog(store, 'slow', { waitMs: 5 }).pipe(toArray())).catch(
      (e) => (failure = e),
    );
    await new Promise((resolve) => setTimeout(resolve, 80));
    tokens.next(values.a);
    tokens.complete();
    expect(await read).toEqual([values.a]);
    expect(failure).toBeUndefined();
  });
});

describe('persistStream', () => {
  it('resolves for a source that fails before the stream is registered, and readers read that failure', async () => {
    const store = createMemoryStreamLog();
    // A provider answering at once with an error: the source fails synchronously, before the
    // store's open has resolved. The failure belongs in the log, not in a rejected registration.
    const overloaded = new RxllmError('Overloaded', { code: 'overloaded', status: 529 });
    await expect(
      persistStream(
        throwError(() => overloaded),
        store,
        'early',
      ),
    ).resolves.toBeDefined();
    const failure = await lastValueFrom(fromStreamLog(store, 'early').pipe(toArray())).catch(
      (e: unknown) => e,
    );
    expect(RxllmError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'overloaded', status: 529, message: 'Overloaded' });
  });

  it('rejects when the registration fails, also when the source has already failed by then', async () => {
    const store = createMemoryStreamLog();
    await persistStream(new Subject<RxllmEvent>(), store, 'taken');
    await expect(persistStream(new Subject<RxllmEvent>(), store, 'taken')).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    // The source's own failure comes first and closes the subscriber; the registration's is still told.
    await expect(
      persistStream(
        throwError(() => new Error('late')),
        store,
        'taken',
      ),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('resolves with the subscription that stops the producer: readers then read finish cancelled', async () => {
    const store = createMemoryStreamLog();
    const { tokens, source, unsubscribed } = handFedSource();
    const producer = await persistStream(source, store, 'stopped');
    tokens.next(values.a);
    producer.unsubscribe();
    expect(unsubscribed()).toBe(true);
    const read = await lastValueFrom(fromStreamLog(store, 'stopped').pipe(toArray()));
    expect(read).toEqual([values.a, { type: 'finish', reason: 'cancelled', rawReason: null }]);
  });
});
