import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';

/**
 * A 50 MB OpenAI chat stream from a real local HTTP server, for backpressure tests: the server
 * writes as fast as the socket accepts and counts what it handed to the socket, so a test can
 * tell whether a paused consumer stopped the network (the count stalls) or not (it runs to 50 MB).
 */

export const totalBytes = 50 * 1024 * 1024;

/**
 * The bound on bytes one response can write while its reader is held back. What can be in flight
 * is the server's writable buffer (16 KB high-water mark, plus the write that overshoots it: one
 * ~20 KB batch), the server socket's send buffer (tcp_wmem max 4 MB on this machine), the client
 * socket's receive buffer (starts at 128 KB and only grows by autotuning while the reader keeps
 * up), fetch's body stream buffer (one high-water mark, 64 KB) and the one chunk the source had
 * already read. 8 MB is above all of that together and far below the 50 MB a source that ignores
 * the consumer reads.
 */
export const pausedBound = 8 * 1024 * 1024;

/** 64 distinct 1,000-character blocks of deterministic text; delta i is `i ` + block i mod 64. */
const blocks = Array.from({ length: 64 }, (_, block) => {
  let state = block + 1;
  const alphabet = 'etaoin shrdlu cmfwyp vbgkqjxz ETAOIN.,';
  // Joined from an array: a flat string, cheap to copy 40,000 times (unlike a `+=` rope).
  return Array.from({ length: 1000 }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return alphabet[state % alphabet.length];
  }).join('');
});

export const delta = (i: number): string => `${i} ${blocks[i % 64]}`;

export function frame(content: string): string {
  const chunk = {
    id: 'chatcmpl-bp',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const closing =
  `data: {"id":"chatcmpl-bp","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n` +
  'data: [DONE]\n\n';

export interface Plan {
  deltas: number;
  length: number;
  sha256: string;
}

/** The deltas that fill `bytes` on the wire, and the text and checksum they add up to. */
export function plan(bytes = totalBytes): Plan {
  const hash = createHash('sha256');
  let written = 0;
  let length = 0;
  let deltas = 0;
  while (written < bytes) {
    const content = delta(deltas++);
    written += Buffer.byteLength(frame(content));
    length += content.length;
    hash.update(content);
  }
  return { deltas, length, sha256: hash.digest('hex') };
}

export const full = plan();
/** A short stream (about 100 KB): a draft, or a track that ends before anyone pauses. */
export const short = plan(100 * 1024);

export interface Response {
  path: string;
  written: number;
  finished: boolean;
  aborted: boolean;
}

export interface BigStreamServer {
  url: string;
  /** Bytes handed to the sockets so far, all responses together. */
  written(): number;
  responses: Response[];
  /** Resolves when a request for the full 50 MB stream has arrived. */
  fullStreamRequested(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Routes by what the path contains: `fail` answers 503 (a retryable overload), `hang` sends the
 * headers and then nothing, `short` streams {@link short}, anything else streams {@link full}.
 */
export async function startBigStreamServer(): Promise<BigStreamServer> {
  const responses: Response[] = [];
  const requested = new EventEmitter();
  const isFull = (path: string) => !/fail|hang|short/.test(path);
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const record: Response = { path, written: 0, finished: false, aborted: false };
    responses.push(record);
    if (isFull(path)) requested.emit('full');
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    if (path.includes('fail')) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'overloaded, try again', type: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (path.includes('hang')) {
      res.flushHeaders();
      return;
    }
    const deltas = path.includes('short') ? short.deltas : full.deltas;
    let next = 0;
    const pump = () => {
      while (next < deltas) {
        // Sixteen frames per write (~20 KB): fast, and still far finer than the bound.
        let batch = '';
        for (let i = 0; i < 16 && next < deltas; i++) batch += frame(delta(next++));
        if (next === deltas) batch += closing;
        record.written += Buffer.byteLength(batch);
        if (!res.write(batch)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(() => (record.finished = true));
    };
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    written: () => responses.reduce((sum, response) => sum + response.written, 0),
    responses,
    fullStreamRequested: async () => {
      if (!responses.some((response) => isFull(response.path))) await once(requested, 'full');
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const quiet = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the server has written nothing for `settleMs`: either every response is held
 * back by its reader, or everything was written (a source that ignored the pause read it all, and
 * the byte assertions then fail at once). The assertions are on bytes, not on this settle time.
 */
export async function settled(server: BigStreamServer, settleMs = 300): Promise<number> {
  for (;;) {
    const before = server.written();
    await quiet(settleMs);
    if (server.written() === before) return before;
  }
}

/** What a consumer received on one track. */
export interface TrackReceived {
  texts: number;
  length: number;
  hash: ReturnType<typeof createHash>;
}

export interface Consumer {
  paused$: BehaviorSubject<boolean>;
  /** Per track (`''` for none): the text received and its running checksum. */
  tracks: Map<string, TrackReceived>;
  /** Events delivered while the consumer said it was paused (must stay 0 for a gating consumer). */
  whilePaused: number;
  /** Resolves when the consumer has paused (at once if it started paused). */
  pausedOnce: Promise<void>;
  /** Resolves at the first text event received. */
  firstText: Promise<void>;
  done: Promise<void>;
  sha256(track?: string): string;
  unsubscribe(): void;
}

/**
 * Subscribes to `build(paused$)` and pauses (`paused$.next(true)`) at the first text event that
 * `pauseAt` accepts (default: the first text), recording per track what arrives.
 */
export function consume(
  build: (paused$: BehaviorSubject<boolean>) => Observable<RxllmEvent>,
  pauseAt: (event: RxllmEvent) => boolean = () => true,
  startPaused = false,
): Consumer {
  const paused$ = new BehaviorSubject(startPaused);
  const tracks = new Map<string, TrackReceived>();
  let subscription: Subscription | undefined;
  let pausedOnce = startPaused;
  let paused!: () => void;
  let texted!: () => void;
  const consumer: Consumer = {
    paused$,
    tracks,
    whilePaused: 0,
    pausedOnce: new Promise((resolve) => (paused = resolve)),
    firstText: new Promise((resolve) => (texted = resolve)),
    done: undefined as unknown as Promise<void>,
    sha256: (track = '') => tracks.get(track)?.hash.digest('hex') ?? 'nothing received',
    unsubscribe: () => subscription?.unsubscribe(),
  };
  consumer.done = new Promise<void>((resolve, reject) => {
    subscription = build(paused$).subscribe({
      next: (event) => {
        if (paused$.value) consumer.whilePaused++;
        if (event.type !== 'text') return;
        const key = event.track ?? '';
        let track = tracks.get(key);
        if (!track) tracks.set(key, (track = { texts: 0, length: 0, hash: createHash('sha256') }));
        track.texts++;
        track.length += event.text.length;
        track.hash.update(event.text);
        texted();
        if (!pausedOnce && pauseAt(event)) {
          pausedOnce = true;
          paused$.next(true);
          paused();
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  consumer.done.catch(() => undefined); // awaited by the tests that expect it
  if (startPaused) paused();
  return consumer;
}
