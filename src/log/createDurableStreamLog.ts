import { RxllmError } from '../base/errors';
import type { StreamLogEnd, StreamLogRead, StreamLogReader, StreamLogStore } from './StreamLogStore';

/** One batch a `@durable-streams/client` subscriber receives. */
interface JsonBatchLike {
  items: readonly unknown[];
  offset: string;
  streamClosed: boolean;
}

/** What {@link createDurableStreamLog} uses of a `@durable-streams/client` stream handle. */
export interface DurableStreamHandleLike {
  append(body: string, options?: { seq?: string }): Promise<void>;
  close(options?: { body?: string }): Promise<unknown>;
  head(): Promise<{ exists: boolean; streamClosed?: boolean }>;
}

/**
 * What {@link createDurableStreamLog} uses of `@durable-streams/client` (an optional peer):
 * `import * as durableStreams from '@durable-streams/client'` has it. Declared here so that rxllm
 * imports no client itself.
 */
export interface DurableStreamsClientLike {
  DurableStream: {
    create(options: {
      url: string;
      contentType: string;
      ttlSeconds?: number;
      batching?: boolean;
      headers?: Record<string, string>;
    }): Promise<DurableStreamHandleLike>;
    head(options: { url: string; headers?: Record<string, string> }): Promise<{
      exists: boolean;
      streamClosed?: boolean;
    }>;
  };
  stream(options: {
    url: string;
    offset?: string;
    live?: boolean | 'long-poll' | 'sse';
    signal?: AbortSignal;
    headers?: Record<string, string>;
  }): Promise<{
    subscribeJson(subscriber: (batch: JsonBatchLike) => Promise<void>): () => void;
    json(): Promise<unknown[]>;
    readonly offset: string;
    readonly streamClosed: boolean;
  }>;
}

/** Options of {@link createDurableStreamLog}. */
export interface DurableStreamLogConfig {
  /** The Durable Streams server's base URL; stream `id` lives at `<baseUrl>/<id, URL-encoded>/log`. */
  baseUrl: string;
  /** Headers on every request (authorization). */
  headers?: Record<string, string>;
  /**
   * The streams' sliding TTL on the server (the protocol sets expiry at creation only, so the
   * recorder's `ttlMs` is not applied): idle this long, a stream expires. Default 24 h.
   */
  ttlSeconds?: number;
}

/** The log's terminal marker, the last message of a closed stream (written with the close, in one request). */
const endType = 'rxllm-log-end';

/**
 * A {@link StreamLogStore} on any Durable Streams server, through `@durable-streams/client`: rxllm
 * records into it like into Redis, and any Durable Streams reader reads the events too.
 *
 * Layout per stream id: `<baseUrl>/<id>/log`, an `application/json` stream with one message per
 * event, closed after a last message `{"type":"rxllm-log-end","end":…}` (the terminal marker);
 * `<baseUrl>/<id>/control`, a JSON stream of the producer's lease renewals (`{"lease":<until ms>}`)
 * and cancels (`{"cancel":true}`), which the producer tails. Appends carry `Stream-Seq` (the
 * position), so a stale or doubled write is refused by the server.
 *
 * Limits of the protocol: `open` checks and creates in two requests (two producers racing on one
 * id both succeed); a reader asked for position `n` reads from its last offset, or from the start
 * (offsets are the server's, not positions); expiry is the server's sliding TTL (`ttlSeconds`).
 *
 * @example
 * ```ts
 * import * as durableStreams from '@durable-streams/client';
 * const log = createDurableStreamLog(durableStreams, { baseUrl: 'https://streams.example.com/rxllm' });
 * ```
 */
export function createDurableStreamLog(
  client: DurableStreamsClientLike,
  config: DurableStreamLogConfig,
): StreamLogStore {
  const { baseUrl, headers, ttlSeconds = 24 * 60 * 60 } = config;
  const root = baseUrl.replace(/\/+$/, '');
  const logUrl = (id: string): string => `${root}/${encodeURIComponent(id)}/log`;
  const controlUrl = (id: string): string => `${root}/${encodeURIComponent(id)}/control`;
  const handles = new Map<string, { log: DurableStreamHandleLike; control: DurableStreamHandleLike }>();
  const common = { ...(headers !== undefined && { headers }) };
  // `recordStream` watches for a cancel as it subscribes, before its `open` has created the streams.
  const opening = new Map<string, Promise<unknown>>();

  const handleOf = (id: string): { log: DurableStreamHandleLike; control: DurableStreamHandleLike } => {
    const handle = handles.get(id);
    if (handle === undefined) {
      throw new RxllmError(`rxllm: stream log: no live stream ${JSON.stringify(id)} opened here`, {
        code: 'invalid-argument',
      });
    }
    return handle;
  };
  const create = (url: string): Promise<DurableStreamHandleLike> =>
    client.DurableStream.create({
      url,
      contentType: 'application/json',
      ttlSeconds,
      batching: false,
      ...common,
    });
  /** Every message of the control stream so far. */
  const control = async (id: string): Promise<Record<string, unknown>[]> => {
    const response = await client.stream({ url: controlUrl(id), live: false, ...common });
    return (await response.json()) as Record<string, unknown>[];
  };
  const state = async (id: string): Promise<'unknown' | 'live' | 'ended'> => {
    const head = await client.DurableStream.head({ url: logUrl(id), ...common });
    return !head.exists ? 'unknown' : head.streamClosed === true ? 'ended' : 'live';
  };

  async function openStreams(id: string, leaseMs: number): Promise<void> {
    if ((await state(id)) !== 'unknown') {
      throw new RxllmError(`rxllm: stream log: stream ${JSON.stringify(id)} already exists`, {
        code: 'invalid-argument',
      });
    }
    const controlHandle = await create(controlUrl(id));
    await controlHandle.append(JSON.stringify({ lease: Date.now() + leaseMs }));
    handles.set(id, { log: await create(logUrl(id)), control: controlHandle });
  }

  return {
    open(id, leaseMs) {
      const opened = openStreams(id, leaseMs);
      opening.set(
        id,
        opened.catch(() => {}),
      );
      return opened;
    },
    async append(id, from, entries) {
      await handleOf(id).log.append(entries.join(','), { seq: String(from).padStart(16, '0') });
    },
    async renew(id, leaseMs) {
      await handleOf(id).control.append(JSON.stringify({ lease: Date.now() + leaseMs }));
    },
    async end(id, at, end: StreamLogEnd, _ttlMs, last = []) {
      if (last.length > 0) await this.append(id, at - last.length, last);
      const { log, control: controlHandle } = handleOf(id);
      handles.delete(id);
      await log.close({ body: JSON.stringify({ type: endType, end }) });
      await controlHandle.close();
    },
    state,
    reader(id): StreamLogReader {
      // The server's offset after the messages read so far, and how many that was.
      let position = 0;
      let offset = '-1';
      const closing = new AbortController();
      const alive = async (): Promise<boolean> => {
        let until = 0;
        for (const message of await control(id)) if (typeof message.lease === 'number') until = message.lease;
        return until > Date.now();
      };
      return {
        async read(from, waitMs): Promise<StreamLogRead> {
          if (from < position) {
            position = 0;
            offset = '-1';
          }
          if (closing.signal.aborted) return { unknown: false, first: from, entries: [], alive: true };
          const entries: string[] = [];
          let end: StreamLogEnd | undefined;
          const take = (items: readonly unknown[]): void => {
            for (const item of items) {
              const message = item as { type?: unknown; end?: StreamLogEnd };
              if (message.type === endType) end = message.end;
              else {
                if (position >= from) entries.push(JSON.stringify(item));
                position++;
              }
            }
          };
          const wait = new AbortController();
          const stop = (): void => wait.abort();
          closing.signal.addEventListener('abort', stop);
          const timer = waitMs > 0 ? setTimeout(stop, waitMs) : undefined;
          try {
            const url = logUrl(id);
            if (waitMs <= 0) {
              // Catch-up only: everything there is now.
              const response = await client.stream({
                url,
                offset,
                live: false,
                signal: wait.signal,
                ...common,
              });
              take(await response.json());
              offset = response.offset;
            } else {
              // Long-poll: the first batch with entries (or the end), else nothing after waitMs.
              const response = await client.stream({
                url,
                offset,
                live: 'long-poll',
                signal: wait.signal,
                ...common,
              });
              await new Promise<void>((resolve) => {
                const unsubscribe = response.subscribeJson(async (batch) => {
                  take(batch.items);
                  offset = batch.offset;
                  if (entries.length > 0 || end !== undefined || batch.streamClosed) {
                    unsubscribe();
                    resolve();
                  }
                });
                wait.signal.addEventListener('abort', () => resolve());
              });
            }
          } catch (error) {
            if ((error as { status?: number }).status === 404) {
              return { unknown: true, first: from, entries: [], alive: false };
            }
            if (!wait.signal.aborted) throw error;
          } finally {
            clearTimeout(timer);
            closing.signal.removeEventListener('abort', stop);
          }
          return {
            unknown: false,
            first: from,
            entries,
            ...(end !== undefined && { end }),
            alive: entries.length > 0 || end !== undefined || (await alive().catch(() => false)),
          };
        },
        close() {
          closing.abort();
        },
      };
    },
    async cancel(id) {
      if ((await state(id)) !== 'live') return false;
      // The producer may run on another process: its control stream is reached by URL.
      const handle = handles.get(id)?.control ?? (await create(controlUrl(id)));
      await handle.append(JSON.stringify({ cancel: true }));
      return true;
    },
    watchCancel(id, listener) {
      const stop = new AbortController();
      let called = false;
      void (async () => {
        await opening.get(id);
        if (called) return;
        const response = await client.stream({
          url: controlUrl(id),
          offset: '-1',
          live: 'long-poll',
          signal: stop.signal,
          ...common,
        });
        response.subscribeJson(async (batch) => {
          if (called || !batch.items.some((item) => (item as { cancel?: unknown }).cancel === true)) return;
          called = true;
          stop.abort();
          listener();
        });
      })().catch(() => {});
      return () => {
        called = true;
        stop.abort();
      };
    },
  };
}
