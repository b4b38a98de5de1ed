import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehaviorSubject, tap, type Subscription } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { pausable, type PausableConfig } from '../../src/operators/pausable';
import { fromSSE } from '../../src/sources/fromSSE';
import { closing, delta, frame, pausedBound, plan, totalBytes } from '../support/bigStream';

/**
 * A paused consumer must stop the network, not just stop rendering: otherwise a long pause
 * buffers the whole response in memory. These tests stream 50 MB of OpenAI chat chunks from a
 * local server that writes as fast as the socket accepts, and count on the server side how many
 * bytes it managed to hand to the socket while the client was paused.
 */

interface Stream {
  url: string;
  /** Bytes handed to `res.write` so far. */
  written: () => number;
  /** True while the last `res.write` returned false and no 'drain' has followed. */
  stalled: () => boolean;
  /** Emits 'stall' when `res.write` returns false, 'drain' when it drains, 'finish' at the end. */
  events: EventEmitter;
}

let server: Server | undefined;

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

async function startServer(deltas: number): Promise<Stream> {
  const events = new EventEmitter();
  let written = 0;
  let stalled = false;
  server = createServer((_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // The client went away before the end (the response was not finished): it aborted.
    res.on('close', () => res.writableFinished || events.emit('aborted'));
    let next = 0;
    const pump = () => {
      while (next < deltas) {
        // Sixteen frames per write (~20 KB): fast, and still far finer than the bound.
        let batch = '';
        for (let i = 0; i < 16 && next < deltas; i++) batch += frame(delta(next++));
        if (next === deltas) batch += closing;
        written += Buffer.byteLength(batch);
        if (!res.write(batch)) {
          stalled = true;
          events.emit('stall');
          res.once('drain', () => {
            stalled = false;
            events.emit('drain');
            pump();
          });
          return;
        }
      }
      res.end(() => events.emit('finish'));
    };
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, written: () => written, stalled: () => stalled, events };
}

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the server's writes have stalled for good: `res.write` returned false and no
 * 'drain' followed within `settleMs`. (A drain means the client still took bytes; then wait for
 * the next stall.) The assertions are on bytes, not on this settle time. Also resolves when the
 * server has written everything: a client that kept reading then fails the byte assertions at
 * once, instead of this waiting for a stall that can no longer come until the test times out.
 */
async function stalledForGood(stream: Stream, settleMs = 300): Promise<void> {
  const finished = once(stream.events, 'finish').then(() => true);
  for (;;) {
    if (!stream.stalled()) {
      const stalled = once(stream.events, 'stall').then(() => false);
      if (await Promise.race([stalled, finished])) return;
    }
    const drained = await Promise.race([
      once(stream.events, 'drain').then(() => true),
      quiet(settleMs).then(() => false),
    ]);
    if (!drained) return;
  }
}

/** Subscribes `fromSSE(url)` through `pausable`, pausing at the first text delta. */
function consume(stream: Stream, config?: PausableConfig) {
  const paused$ = new BehaviorSubject(false);
  const hash = createHash('sha256');
  const received = { length: 0, texts: 0, whilePaused: 0, finish: 0 };
  // What the source read from the network, before pausable: reaches `expected.deltas` when all is read.
  const read = { texts: 0, bytes: 0, all: new EventEmitter() };
  let subscription: Subscription | undefined;
  const done = new Promise<void>((resolve, reject) => {
    subscription = fromSSE((signal) => fetch(stream.url, { signal }), { dialect: 'openai-chat' })
      .pipe(
        tap({
          next: (event) => {
            if (event.type !== 'text') return;
            read.texts++;
            // The bytes of the frame this delta came in (the generator's framing is deterministic).
            read.bytes += Buffer.byteLength(frame(event.text));
          },
          complete: () => read.all.emit('done'),
        }),
        pausable(paused$, config),
      )
      .subscribe({
        next: (event: RxllmEvent) => {
          if (paused$.value) received.whilePaused++;
          if (event.type === 'finish') received.finish++;
          if (event.type !== 'text') return;
          received.texts++;
          received.length += event.text.length;
          hash.update(event.text);
          if (received.texts === 1) paused$.next(true);
        },
        error: reject,
        complete: resolve,
      });
  });
  return {
    paused$,
    received,
    read,
    done,
    unsubscribe: () => subscription!.unsubscribe(),
    sha256: () => hash.digest('hex'),
  };
}

describe('pausable backpressure', () => {
  const expected = plan();

  it('writes the plan out as 50 MB of SSE', () => {
    // The content the tests check against: its size and shape, worked out from the generator.
    expect(expected.deltas).toBeGreaterThan(40_000);
    expect(expected.length).toBeGreaterThan(40 * 1024 * 1024);
    expect(delta(65)).toBe(`65 ${delta(1).slice(2)}`);
  });

  it('stops the socket while paused and delivers the full text on resume', async () => {
    const stream = await startServer(expected.deltas);
    const client = consume(stream);

    await stalledForGood(stream);
    const writtenWhilePaused = stream.written();
    expect(client.received.texts).toBe(1);
    expect(client.received.whilePaused).toBe(0);
    expect(writtenWhilePaused).toBeLessThan(pausedBound);
    // The stall is for good: another settle period later the server has written nothing more.
    await quiet(300);
    expect(stream.stalled()).toBe(true);
    expect(stream.written()).toBe(writtenWhilePaused);

    client.paused$.next(false);
    await client.done;
    expect(stream.written()).toBeGreaterThanOrEqual(totalBytes);
    expect(client.received.texts).toBe(expected.deltas);
    expect(client.received.length).toBe(expected.length);
    expect(client.sha256()).toBe(expected.sha256);
    expect(client.received.finish).toBe(1);
  });

  it('stops the socket again on every pause, not just the first', async () => {
    const stream = await startServer(expected.deltas);
    const client = consume(stream, { policy: 'coalesce' });
    await stalledForGood(stream);
    const first = stream.written();
    expect(first).toBeLessThan(pausedBound);

    // Resume, let the server move at least 10 MB further, pause again: it stalls again.
    client.paused$.next(false);
    while (stream.written() < first + 10 * 1024 * 1024) {
      await Promise.race([once(stream.events, 'drain'), once(stream.events, 'finish')]);
    }
    client.paused$.next(true);
    await stalledForGood(stream);
    // Written by the server but not read by the source: what sits in the buffers between them.
    expect(stream.written() - client.read.bytes).toBeLessThan(pausedBound);
    expect(stream.written()).toBeLessThan(totalBytes);
    const readAtStall = client.read.texts;
    await quiet(300);
    expect(client.read.texts).toBe(readAtStall);

    client.paused$.next(false);
    await client.done;
    expect(client.received.length).toBe(expected.length);
    expect(client.sha256()).toBe(expected.sha256);
  });

  it('closes the connection when unsubscribed while paused', async () => {
    const stream = await startServer(expected.deltas);
    const client = consume(stream);
    await stalledForGood(stream);
    expect(stream.written()).toBeLessThan(pausedBound);
    const aborted = once(stream.events, 'aborted');
    client.unsubscribe();
    await aborted;
    expect(stream.written()).toBeLessThan(pausedBound);
  });

  it('keeps reading under the drop policy, which does not hold the source back', async () => {
    const stream = await startServer(expected.deltas);
    const client = consume(stream, { policy: 'drop' });
    await once(client.read.all, 'done');
    // The whole stream was written and read while paused: the gate is what the tests above measure.
    expect(stream.written()).toBeGreaterThanOrEqual(totalBytes);
    expect(client.read.texts).toBe(expected.deltas);
    expect(client.paused$.value).toBe(true);
    expect(client.received.texts).toBe(1);
    client.paused$.next(false);
    await client.done;
    // The text that arrived while paused was dropped; the finish was held and released.
    expect(client.received.texts).toBe(1);
    expect(client.received.finish).toBe(1);
  });
});
