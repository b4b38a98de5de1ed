import {
  concatBytes,
  formatOffset,
  fromBase64,
  hashId,
  headers as h,
  isJsonType,
  mediaType,
  nextCursor,
  parseOffset,
  storedSize,
  toBase64,
  type ProducerState,
  type StreamDoc,
} from './durableStreamProtocol';
import type { StreamLogStore } from './StreamLogStore';
import { expandEntry } from './streamLogCodec';

/** Options of {@link durableStreamHandler}. */
export interface DurableStreamHandlerConfig {
  /**
   * Maps a request to its stream id; undefined answers 404. Default: the URL's path (decoded), so
   * `/v1/stream/chat-1` is the stream `/v1/stream/chat-1`. Give `(url) => url.pathname.slice(9)`
   * to serve the streams `recordStream(log, id)` wrote under `/streams/<id>`.
   */
  streamId?: (url: URL) => string | undefined;
  /** How long a long-poll waits for data before `204`. Default 20 000 ms. */
  longPollMs?: number;
  /** An SSE response ends after this long (the client reconnects from its offset). Default 60 000 ms. */
  sseMaxMs?: number;
  /** Largest request body; more is `413`. Default 8 MiB. */
  maxBodyBytes?: number;
  /** A read returns at most about this much (at least one entry); the rest is the next read's. Default 1 MiB. */
  maxReadBytes?: number;
  /** Longest stream id, producer id or `Stream-Seq`; longer is `400`. Default 1024 characters. */
  maxIdLength?: number;
  /**
   * Most characters a stream written over the protocol stores (base64 text for binary streams, a
   * third more than its bytes); an append beyond is `413`. Default 64 MiB.
   */
  maxStreamSize?: number;
  /** Most idempotent producers per stream; a new one beyond is `400`. Default 1024. */
  maxProducers?: number;
  /**
   * `Access-Control-Allow-Origin` for browsers on other origins (`'*'`, or one origin), with the
   * protocol's request and response headers allowed. Default: none (same-origin only).
   */
  allowOrigin?: string;
  /** Cache-Control of reads that return data. Default `private, max-age=60, stale-while-revalidate=300`. */
  cacheControl?: string;
}

/** A fetch-style handler: one Durable Streams request in, its response out. */
export type DurableStreamHandler = (request: Request) => Promise<Response>;

const recordedType = 'application/json';
// Pure: a bundle of the built chunks that holds no handler drops it (a `new` is kept otherwise).
const text = /* @__PURE__ */ new TextEncoder();

/**
 * Serves a {@link StreamLogStore} over the Durable Streams HTTP protocol, so that any Durable
 * Streams client, in any language, reads, resumes and tails a stream: `PUT` creates a stream,
 * `POST` appends (idempotent producers, `Stream-Seq`, `Stream-Closed`), `GET` reads from an offset
 * (catch-up, `live=long-poll`, `live=sse`), `HEAD` tells the tail and closure, `DELETE` removes.
 * On the Redis store every instance serves every stream: a deployment scales out.
 *
 * Streams that `recordStream` writes are served too, read-only (`POST`/`DELETE` are `405`), as
 * `application/json` streams whose messages are the rxllm events: the offset of an event is its
 * `seq`, and the log's terminal marker is the protocol's `Stream-Closed`.
 *
 * Fetch-style (`Request` → `Response`): Bun, Deno, workers and Node's `durableStreamNodeHandler`.
 * Untrusted input is validated (offsets, ids, producer headers, sizes) and answered `400`/`413`;
 * forks (`Stream-Forked-From`) are not implemented (`501`).
 *
 * @example
 * ```ts
 * const handle = durableStreamHandler(createRedisStreamLog(redis));
 * Bun.serve({ fetch: handle });
 * ```
 */
export function durableStreamHandler(
  store: StreamLogStore,
  config: DurableStreamHandlerConfig = {},
): DurableStreamHandler {
  const {
    streamId = (url: URL) => decodeURIComponent(url.pathname),
    longPollMs = 20_000,
    sseMaxMs = 60_000,
    maxBodyBytes = 8 * 1024 * 1024,
    maxReadBytes = 1024 * 1024,
    maxIdLength = 1024,
    maxProducers = 1024,
    maxStreamSize = 64 * 1024 * 1024,
    cacheControl = 'private, max-age=60, stale-while-revalidate=300',
    allowOrigin,
  } = config;
  const cors: Record<string, string> =
    allowOrigin === undefined
      ? {}
      : {
          'access-control-allow-origin': allowOrigin,
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
          'access-control-allow-headers':
            'content-type, authorization, if-none-match, stream-seq, stream-ttl, stream-expires-at, stream-closed, producer-id, producer-epoch, producer-seq, stream-forked-from, stream-fork-offset, stream-fork-sub-offset',
          'access-control-expose-headers':
            'stream-next-offset, stream-cursor, stream-up-to-date, stream-closed, stream-ttl, stream-expires-at, stream-sse-data-encoding, producer-epoch, producer-seq, producer-expected-seq, producer-received-seq, etag, location, content-type',
          ...(allowOrigin !== '*' && { vary: 'origin' }),
        };

  const writable = store.readDoc !== undefined && store.commit !== undefined;

  /** The stream as the protocol sees it, or undefined (404). */
  interface View {
    /** Null: written by `recordStream` (read-only here). */
    doc: StreamDoc | null;
    raw: string | null;
    contentType: string;
  }
  const view = async (id: string): Promise<View | undefined> => {
    const raw = (await store.readDoc?.(id)) ?? null;
    if (raw !== null) {
      const doc = JSON.parse(raw) as StreamDoc;
      if (doc.exp !== undefined && Date.parse(doc.exp) <= Date.now()) {
        await store.remove?.(id);
        return undefined;
      }
      return { doc, raw, contentType: doc.ct };
    }
    if ((await store.state(id)) === 'unknown') return undefined;
    return { doc: null, raw: null, contentType: recordedType };
  };
  /** A read or a write resets a sliding TTL. */
  const touch = async (id: string, doc: StreamDoc | null): Promise<void> => {
    if (doc?.ttl !== undefined) await store.expire?.(id, doc.ttl * 1000);
  };

  interface Collected {
    entries: string[];
    next: number;
    /** The log's end was reached. */
    closed: boolean;
    /** Everything there was is in `entries`. */
    upToDate: boolean;
    unknown: boolean;
  }
  /**
   * Entries from `from` on, up to `maxReadBytes`, waiting up to `waitMs` for the first. A stream
   * `recorded` by `recordStream` stores a bare text event as its text: served as the event's JSON.
   */
  const collect = async (
    id: string,
    from: number,
    waitMs: number,
    recorded: boolean,
    signal?: AbortSignal,
  ): Promise<Collected> => {
    const reader = store.reader(id);
    const stop = (): void => reader.close();
    signal?.addEventListener('abort', stop);
    try {
      let read = await reader.read(from, signal?.aborted ? 0 : waitMs);
      if (read.unknown) return { entries: [], next: from, closed: false, upToDate: true, unknown: true };
      const entries: string[] = [];
      let next = from;
      let bytes = 0;
      for (;;) {
        const found = read.entries.slice(Math.max(0, next - read.first));
        for (const entry of found) {
          if (entries.length > 0 && bytes + entry.length > maxReadBytes) {
            return { entries, next, closed: false, upToDate: false, unknown: false };
          }
          entries.push(recorded ? expandEntry(entry, next) : entry);
          bytes += entry.length;
          next++;
        }
        if (read.end !== undefined) return { entries, next, closed: true, upToDate: true, unknown: false };
        if (found.length === 0 || signal?.aborted) break;
        read = await reader.read(next, 0);
      }
      return { entries, next, closed: false, upToDate: true, unknown: false };
    } finally {
      signal?.removeEventListener('abort', stop);
      reader.close();
    }
  };
  /** The tail position (and closure) of a stream. */
  const tail = async (id: string, v: View): Promise<{ next: number; closed: boolean }> => {
    if (v.doc !== null) return { next: v.doc.len, closed: v.doc.closed === true };
    let next = 0;
    for (;;) {
      const read = await collect(id, next, 0, false);
      next = read.next;
      if (read.upToDate || read.unknown) return { next, closed: read.closed };
    }
  };
  /** The response body of entries. */
  const body = (contentType: string, entries: readonly string[]): BodyInit =>
    isJsonType(contentType)
      ? `[${entries.join(',')}]`
      : (concatBytes(entries.map(fromBase64)) as Uint8Array<ArrayBuffer>);

  const respond = (status: number, extra: Record<string, string> = {}, content?: BodyInit): Response =>
    new Response(status === 204 || status === 304 ? null : (content ?? null), {
      status,
      headers: {
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'cross-origin',
        ...cors,
        ...(content === undefined && status >= 400 && { 'content-type': 'text/plain' }),
        ...extra,
      },
    });
  const fail = (status: number, message: string, extra: Record<string, string> = {}): Response =>
    respond(status, { 'content-type': 'text/plain', ...extra }, message);

  /** The request body, or a response when it is too large. */
  const readBody = async (request: Request): Promise<Uint8Array | Response> => {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > maxBodyBytes) return fail(413, `body exceeds ${maxBodyBytes} bytes`);
    if (request.body === null) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBodyBytes) {
        await reader.cancel();
        return fail(413, `body exceeds ${maxBodyBytes} bytes`);
      }
      chunks.push(value);
    }
    return concatBytes(chunks);
  };
  /** A body as entries: JSON messages (one array level flattened) or one base64 append. */
  const toEntries = (
    contentType: string,
    bytes: Uint8Array,
    allowEmptyArray: boolean,
  ): string[] | Response => {
    if (bytes.length === 0) return [];
    if (!isJsonType(contentType)) return [toBase64(bytes)];
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return fail(400, 'invalid JSON');
    }
    if (Array.isArray(value) && value.length === 0 && !allowEmptyArray) {
      return fail(400, 'empty JSON arrays are not allowed');
    }
    // Messages are stored re-serialized (compact, one line each); nesting too deep to serialize
    // again (JSON.parse takes what JSON.stringify cannot give back) is refused.
    try {
      return Array.isArray(value) ? value.map((message) => JSON.stringify(message)) : [JSON.stringify(value)];
    } catch {
      return fail(400, 'JSON nested too deeply');
    }
  };

  const closedHeader = (request: Request): boolean =>
    request.headers.get(h.closed)?.trim().toLowerCase() === 'true';

  /** Everything in a stream's log from `from` to `to`. */
  const slice = async (id: string, from: number, to: number, recorded: boolean): Promise<string[]> => {
    const out: string[] = [];
    let next = from;
    while (next < to) {
      const got = await collect(id, next, 0, recorded);
      if (got.entries.length === 0) break;
      out.push(...got.entries.slice(0, to - next));
      next = got.next;
    }
    return out;
  };

  /** What a `PUT` with `Stream-Forked-From` inherits: a copy of the source's entries up to the fork point. */
  const forkOf = async (
    request: Request,
    url: URL,
    requestedType: string | undefined,
  ): Promise<
    | { tag: [string, number, number]; entries: string[]; contentType: string; source: StreamDoc }
    | undefined
    | Response
  > => {
    const from = request.headers.get(h.forkedFrom);
    const offsetHeader = request.headers.get(h.forkOffset);
    const subHeader = request.headers.get(h.forkSubOffset);
    if (from === null) {
      return offsetHeader !== null || subHeader !== null
        ? fail(400, 'fork headers need Stream-Forked-From')
        : undefined;
    }
    if (from === '' || from.length > maxIdLength) return fail(400, 'invalid Stream-Forked-From');
    let sourceId: string | undefined;
    try {
      sourceId = streamId(new URL(from, url));
    } catch {
      sourceId = undefined;
    }
    if (sourceId === undefined || sourceId === '') return fail(404, 'no such source stream');
    const anchor = offsetHeader === null ? undefined : parseOffset(offsetHeader);
    if (anchor === undefined && offsetHeader !== null) return fail(400, 'invalid Stream-Fork-Offset');
    if (anchor === 'now' || offsetHeader === '-1') return fail(400, 'invalid Stream-Fork-Offset');
    if (subHeader !== null && !/^(0|[1-9]\d{0,15})$/.test(subHeader))
      return fail(400, 'invalid Stream-Fork-Sub-Offset');
    const sub = subHeader === null ? 0 : Number(subHeader);
    const source = await view(sourceId);
    if (source === undefined) return fail(404, 'no such source stream');
    if (source.doc?.deleted) return fail(409, 'the source stream was deleted');
    if (requestedType !== undefined && mediaType(requestedType) !== mediaType(source.contentType)) {
      return fail(409, 'Content-Type differs from the source stream');
    }
    const { next: sourceTail } = await tail(sourceId, source);
    const position = anchor ?? sourceTail;
    if (position > sourceTail) return fail(400, 'Stream-Fork-Offset is beyond the source stream');
    const entries = await slice(sourceId, 0, position, source.doc === null);
    if (sub > 0) {
      if (isJsonType(source.contentType)) {
        if (position + sub > sourceTail)
          return fail(400, 'Stream-Fork-Sub-Offset is beyond the source stream');
        entries.push(...(await slice(sourceId, position, position + sub, source.doc === null)));
      } else {
        // Bytes: the first `sub` bytes of the append at the fork offset, as an entry of their own.
        const [next] = await slice(sourceId, position, position + 1, source.doc === null);
        const bytes = next === undefined ? new Uint8Array() : fromBase64(next);
        if (sub > bytes.length) return fail(400, 'Stream-Fork-Sub-Offset is beyond the next append');
        entries.push(toBase64(bytes.subarray(0, sub)));
      }
    }
    const sourceDoc: StreamDoc = source.doc ?? { ct: source.contentType, len: sourceTail, producers: [] };
    return { tag: [sourceId, position, sub], entries, contentType: source.contentType, source: sourceDoc };
  };

  /** Counts a fork on (or off) its source; the last fork of a deleted source removes it, up the chain. */
  const adjustForks = async (sourceId: string, by: number): Promise<void> => {
    for (let attempt = 0; attempt < 64; attempt++) {
      const raw = (await store.readDoc?.(sourceId)) ?? null;
      if (raw === null) return;
      const doc = JSON.parse(raw) as StreamDoc;
      const forks = Math.max(0, (doc.forks ?? 0) + by);
      if (doc.deleted && forks === 0) {
        await store.remove?.(sourceId);
        if (doc.fork !== undefined) await adjustForks(doc.fork[0], -1);
        return;
      }
      const { forks: _old, ...rest } = doc;
      const next = JSON.stringify(forks > 0 ? { ...rest, forks } : rest);
      if (await store.commit!(sourceId, { expected: raw, doc: next, from: doc.len, entries: [] })) return;
    }
  };

  /** `DELETE`: removes the stream, or marks it deleted while forks read it. */
  const remove = async (id: string): Promise<Response> => {
    for (let attempt = 0; attempt < 64; attempt++) {
      const v = await view(id);
      if (v === undefined) return fail(404, 'no such stream');
      if (v.doc === null || store.remove === undefined || !writable) {
        return fail(405, 'a recorded stream is read-only here');
      }
      if (v.doc.deleted) return fail(410, 'the stream was deleted');
      if ((v.doc.forks ?? 0) > 0) {
        const marked = JSON.stringify({ ...v.doc, deleted: true });
        if (!(await store.commit!(id, { expected: v.raw, doc: marked, from: v.doc.len, entries: [] })))
          continue;
        return respond(204);
      }
      await store.remove(id);
      if (v.doc.fork !== undefined) await adjustForks(v.doc.fork[0], -1);
      return respond(204);
    }
    return fail(503, 'the stream changed during the request; retry');
  };

  const create = async (request: Request, id: string, url: URL): Promise<Response> => {
    if (!writable) return fail(405, 'this store serves recorded streams only');
    const rawType = request.headers.get('content-type');
    const contentType =
      rawType === null || rawType.trim() === '' ? 'application/octet-stream' : rawType.trim();
    if (!/^[\w.+-]+\/[\w.+-]+/.test(contentType) || contentType.length > 256) {
      return fail(400, 'invalid Content-Type');
    }
    const ttlHeader = request.headers.get(h.ttl);
    let expiresHeader = request.headers.get(h.expiresAt);
    if (ttlHeader !== null && expiresHeader !== null)
      return fail(400, 'Stream-TTL and Stream-Expires-At exclude each other');
    let ttl: number | undefined;
    if (ttlHeader !== null) {
      if (!/^(0|[1-9]\d{0,9})$/.test(ttlHeader)) return fail(400, 'invalid Stream-TTL');
      ttl = Number(ttlHeader);
    }
    if (expiresHeader !== null && (expiresHeader.length > 64 || Number.isNaN(Date.parse(expiresHeader)))) {
      return fail(400, 'invalid Stream-Expires-At');
    }
    const closed = closedHeader(request);
    const fork = await forkOf(
      request,
      url,
      rawType === null || rawType.trim() === '' ? undefined : contentType,
    );
    if (fork instanceof Response) return fork;
    const bytes = await readBody(request);
    if (bytes instanceof Response) return bytes;
    const own = toEntries(fork?.contentType ?? contentType, bytes, true);
    if (own instanceof Response) return own;
    const entries = fork === undefined ? own : [...fork.entries, ...own];
    if (storedSize(entries) > maxStreamSize)
      return fail(413, `the stream would exceed ${maxStreamSize} characters`);
    // A fork without its own expiry takes its source's (a TTL or an Expires-At).
    if (fork !== undefined && ttl === undefined && expiresHeader === null) {
      ttl = fork.source.ttl;
      expiresHeader = fork.source.exp ?? null;
    }

    const doc: StreamDoc = {
      ct: fork?.contentType ?? contentType,
      ...(fork !== undefined && { fork: fork.tag }),
      ...(ttl !== undefined && { ttl }),
      ...(expiresHeader !== null && { exp: expiresHeader }),
      ...(closed && { closed: true as const }),
      len: entries.length,
      size: storedSize(entries),
      producers: [],
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await view(id);
      if (existing !== undefined) {
        if (existing.doc?.deleted) return fail(409, 'the stream was deleted and its forks still read it');
        const { next, closed: isClosed } = await tail(id, existing);
        const same =
          mediaType(existing.contentType) === mediaType(doc.ct) &&
          JSON.stringify(existing.doc?.fork) === JSON.stringify(doc.fork) &&
          existing.doc?.ttl === ttl &&
          existing.doc?.exp === (expiresHeader ?? undefined) &&
          isClosed === closed;
        if (!same) return fail(409, 'the stream exists with another configuration');
        return respond(200, {
          'content-type': existing.contentType,
          [h.offset]: formatOffset(next),
          ...(isClosed && { [h.closed]: 'true' }),
        });
      }
      const made = await store.commit!(id, {
        expected: null,
        doc: JSON.stringify(doc),
        from: 0,
        entries,
        ...(closed && { end: { kind: 'complete' as const } }),
      });
      if (!made) continue;
      if (fork !== undefined) await adjustForks(fork.tag[0], +1);
      if (ttl !== undefined) await store.expire?.(id, ttl * 1000);
      else if (expiresHeader !== null)
        await store.expire?.(id, Math.max(1, Date.parse(expiresHeader) - Date.now()));
      return respond(201, {
        location: url.href,
        'content-type': doc.ct,
        [h.offset]: formatOffset(entries.length),
        ...(closed && { [h.closed]: 'true' }),
      });
    }
    return fail(503, 'the stream changed during the request; retry');
  };

  const append = async (request: Request, id: string): Promise<Response> => {
    const close = closedHeader(request);
    const producerId = request.headers.get(h.producerId);
    const epochHeader = request.headers.get(h.producerEpoch);
    const seqHeader = request.headers.get(h.producerSeq);
    const given = [producerId, epochHeader, seqHeader].filter((value) => value !== null).length;
    if (given !== 0 && given !== 3)
      return fail(400, 'Producer-Id, Producer-Epoch and Producer-Seq go together');
    let producer: ProducerState | undefined;
    if (given === 3) {
      if (producerId === '' || producerId!.length > maxIdLength) return fail(400, 'invalid Producer-Id');
      const epoch = /^\d{1,16}$/.test(epochHeader!) ? Number(epochHeader) : NaN;
      const seq = /^\d{1,16}$/.test(seqHeader!) ? Number(seqHeader) : NaN;
      if (!Number.isSafeInteger(epoch)) return fail(400, 'invalid Producer-Epoch');
      if (!Number.isSafeInteger(seq)) return fail(400, 'invalid Producer-Seq');
      producer = [producerId!, epoch, seq];
    }
    const streamSeq = request.headers.get(h.seq);
    if (streamSeq !== null && (streamSeq === '' || streamSeq.length > maxIdLength))
      return fail(400, 'invalid Stream-Seq');

    const first = await view(id);
    if (first === undefined) return fail(404, 'no such stream');
    if (first.doc?.deleted) return fail(410, 'the stream was deleted');
    if (first.doc === null || !writable) return fail(405, 'a recorded stream is read-only here');
    const bytes = await readBody(request);
    if (bytes instanceof Response) return bytes;
    if (bytes.length === 0 && !close) return fail(400, 'empty body');
    const requestType = request.headers.get('content-type');
    if (bytes.length > 0 && (requestType === null || requestType.trim() === ''))
      return fail(400, 'Content-Type is required');

    for (let attempt = 0; attempt < 64; attempt++) {
      const v = attempt === 0 ? first : await view(id);
      if (v?.doc == null) return fail(404, 'no such stream');
      if (v.doc.deleted) return fail(410, 'the stream was deleted');
      const doc = v.doc;
      const tailOffset = { [h.offset]: formatOffset(doc.len) };
      const producerHeaders = (state: ProducerState): Record<string, string> => ({
        [h.producerEpoch]: String(state[1]),
        [h.producerSeq]: String(state[2]),
      });
      if (doc.closed) {
        const closedBy = doc.closedBy;
        if (
          producer !== undefined &&
          closedBy !== undefined &&
          closedBy.every((part, i) => part === producer![i])
        ) {
          return respond(204, { ...tailOffset, [h.closed]: 'true', ...producerHeaders(producer) });
        }
        if (close && bytes.length === 0) return respond(204, { ...tailOffset, [h.closed]: 'true' });
        return fail(409, 'the stream is closed', { ...tailOffset, [h.closed]: 'true' });
      }
      if (bytes.length > 0 && mediaType(requestType!) !== mediaType(doc.ct)) {
        return fail(409, 'Content-Type does not match the stream');
      }
      const entries = toEntries(doc.ct, bytes, false);
      if (entries instanceof Response) return entries;

      if ((doc.size ?? 0) + storedSize(entries) > maxStreamSize) {
        return fail(413, `the stream would exceed ${maxStreamSize} characters`);
      }
      let producers = doc.producers;
      if (producer !== undefined) {
        const [pid, epoch, seq] = producer;
        const state = producers.find(([known]) => known === pid);
        if (state === undefined && seq !== 0) {
          return fail(409, 'sequence gap', { [h.expectedSeq]: '0', [h.receivedSeq]: String(seq) });
        }
        if (state !== undefined) {
          if (epoch < state[1])
            return fail(403, 'stale producer epoch', { [h.producerEpoch]: String(state[1]) });
          if (epoch > state[1] && seq !== 0) return fail(400, 'a new epoch starts at Producer-Seq 0');
          if (epoch === state[1]) {
            if (seq <= state[2]) return respond(204, { ...tailOffset, ...producerHeaders(state) });
            if (seq > state[2] + 1) {
              return fail(409, 'sequence gap', {
                [h.expectedSeq]: String(state[2] + 1),
                [h.receivedSeq]: String(seq),
              });
            }
          }
        }
        if (state === undefined && producers.length >= maxProducers)
          return fail(400, 'too many producers on this stream');
        producers = [...producers.filter(([known]) => known !== pid), producer];
      }
      if (streamSeq !== null && doc.seq !== undefined && streamSeq <= doc.seq) {
        return fail(409, 'Stream-Seq is not above the last one');
      }
      const next: StreamDoc = {
        ...doc,
        len: doc.len + entries.length,
        size: (doc.size ?? 0) + storedSize(entries),
        producers,
        ...(streamSeq !== null && { seq: streamSeq }),
        ...(close && { closed: true as const, ...(producer !== undefined && { closedBy: producer }) }),
      };
      const done = await store.commit!(id, {
        expected: v.raw,
        doc: JSON.stringify(next),
        from: doc.len,
        entries,
        ...(close && { end: { kind: 'complete' as const } }),
      });
      if (!done) continue;
      await touch(id, doc);
      return respond(producer !== undefined && entries.length > 0 ? 200 : 204, {
        [h.offset]: formatOffset(next.len),
        ...(close && { [h.closed]: 'true' }),
        ...(producer !== undefined && producerHeaders(producer)),
      });
    }
    return fail(503, 'too many concurrent writers; retry');
  };

  const read = async (request: Request, id: string, url: URL, headOnly: boolean): Promise<Response> => {
    const offsets = url.searchParams.getAll('offset');
    if (offsets.length > 1) return fail(400, 'one offset at most');
    if (offsets[0] === '') return fail(400, 'empty offset');
    const position = parseOffset(offsets[0] ?? null);
    if (position === undefined) return fail(400, 'malformed offset');
    const live = url.searchParams.get('live');
    if (live !== null && live !== 'long-poll' && live !== 'sse') return fail(400, 'live is long-poll or sse');
    if (live !== null && offsets.length === 0) return fail(400, `live=${live} needs an offset`);
    const cursorParam = url.searchParams.get('cursor');

    const v = await view(id);
    if (v === undefined) return fail(404, 'no such stream');
    if (v.doc?.deleted) return fail(410, 'the stream was deleted');
    const ttlHeaders = {
      ...(v.doc?.ttl !== undefined && { [h.ttl]: String(v.doc.ttl) }),
      ...(v.doc?.exp !== undefined && { [h.expiresAt]: v.doc.exp }),
    };
    if (headOnly) {
      const { next, closed } = await tail(id, v);
      return respond(200, {
        'content-type': v.contentType,
        [h.offset]: formatOffset(next),
        'cache-control': 'no-store',
        etag: `"${hashId(id)}:-1:${next}${closed ? ':c' : ''}"`,
        ...ttlHeaders,
        ...(closed && { [h.closed]: 'true' }),
      });
    }
    await touch(id, v.doc);
    let from: number;
    if (position === 'now') from = (await tail(id, v)).next;
    else {
      from = position;
      if (v.doc !== null && from > v.doc.len) return fail(400, 'offset beyond the tail');
    }
    if (live === 'sse') return sse(request, id, v.contentType, v.doc === null, from, cursorParam);

    if (position === 'now' && live === null) {
      const closed = v.doc !== null ? v.doc.closed === true : (await tail(id, v)).closed;
      return respond(
        200,
        {
          'content-type': v.contentType,
          [h.offset]: formatOffset(from),
          [h.upToDate]: 'true',
          'cache-control': 'no-store',
          ...(closed && { [h.closed]: 'true' }),
        },
        isJsonType(v.contentType) ? '[]' : '',
      );
    }
    const polling = live === 'long-poll';
    const got = await collect(id, from, polling ? longPollMs : 0, v.doc === null, request.signal);
    if (got.unknown) return fail(404, 'no such stream');
    const cursor: Record<string, string> = polling ? { [h.cursor]: nextCursor(cursorParam, Date.now()) } : {};
    if (polling && got.entries.length === 0) {
      return respond(204, {
        [h.offset]: formatOffset(got.next),
        [h.upToDate]: 'true',
        'cache-control': 'no-store',
        ...(got.closed ? { [h.closed]: 'true' } : cursor),
      });
    }
    const etag = `"${hashId(id)}:${from}:${got.next}${got.closed ? ':c' : ''}"`;
    if (!polling && request.headers.get('if-none-match') === etag) return respond(304, { etag });
    return respond(
      200,
      {
        'content-type': v.contentType,
        [h.offset]: formatOffset(got.next),
        etag,
        'cache-control': got.entries.length > 0 ? cacheControl : 'no-store',
        ...ttlHeaders,
        ...cursor,
        ...(got.upToDate && { [h.upToDate]: 'true' }),
        ...(got.closed && { [h.closed]: 'true' }),
      },
      body(v.contentType, got.entries),
    );
  };

  /** `live=sse`: data events, each followed by a control event, until closed or `sseMaxMs`. */
  const sse = (
    request: Request,
    id: string,
    contentType: string,
    recorded: boolean,
    start: number,
    cursorParam: string | null,
  ): Response => {
    const json = isJsonType(contentType);
    const textual = json || mediaType(contentType).startsWith('text/');
    const started = Date.now();
    let position = start;
    let cursor = cursorParam;
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    request.signal.addEventListener('abort', onAbort);
    const dataEvent = (entries: readonly string[]): string => {
      let lines: string[];
      if (json)
        lines = ['[', ...entries.map((entry, i) => (i < entries.length - 1 ? `${entry},` : entry)), ']'];
      else {
        const bytes = concatBytes(entries.map(fromBase64));
        lines = textual ? new TextDecoder().decode(bytes).split(/\r\n|\r|\n/) : [toBase64(bytes)];
      }
      return `event: data\n${lines.map((line) => `data:${line}`).join('\n')}\n\n`;
    };
    const controlEvent = (fields: Record<string, unknown>): string =>
      `event: control\ndata:${JSON.stringify({ streamNextOffset: formatOffset(position), ...fields })}\n\n`;
    // Told the client it is up to date: the next read waits for data (before, it must not).
    let told = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const left = sseMaxMs - (Date.now() - started);
        const got =
          left <= 0 || abort.signal.aborted
            ? undefined
            : await collect(id, position, told ? Math.min(left, longPollMs) : 0, recorded, abort.signal);
        if (got === undefined || got.unknown || abort.signal.aborted) {
          request.signal.removeEventListener('abort', onAbort);
          controller.close();
          return;
        }
        let out = got.entries.length > 0 ? dataEvent(got.entries) : '';
        position = got.next;
        if (got.closed) {
          controller.enqueue(text.encode(out + controlEvent({ streamClosed: true, upToDate: true })));
          request.signal.removeEventListener('abort', onAbort);
          controller.close();
          return;
        }
        if (got.entries.length > 0 || !told) {
          cursor = nextCursor(cursor, Date.now());
          out += controlEvent({ streamCursor: cursor, ...(got.upToDate && { upToDate: true }) });
          told = got.upToDate;
          controller.enqueue(text.encode(out));
          return;
        }
        // A wait ended with nothing new: a comment keeps proxies from timing the connection out.
        controller.enqueue(text.encode(':\n\n'));
      },
      cancel() {
        abort.abort();
        request.signal.removeEventListener('abort', onAbort);
      },
    });
    return respond(
      200,
      {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...(!textual && { [h.sseEncoding]: 'base64' }),
      },
      stream,
    );
  };

  return async (request) => {
    const url = new URL(request.url);
    let id: string | undefined;
    try {
      id = streamId(url);
    } catch {
      id = undefined;
    }
    if (id === undefined || id === '' || id.length > maxIdLength) return fail(404, 'no such stream');
    switch (request.method) {
      case 'PUT':
        return create(request, id, url);
      case 'POST':
        return append(request, id);
      case 'GET':
        return read(request, id, url, false);
      case 'HEAD':
        return read(request, id, url, true);
      case 'DELETE':
        return remove(id);
      case 'OPTIONS':
        return respond(204, { allow: 'GET, HEAD, POST, PUT, DELETE, OPTIONS' });
      default:
        return fail(405, 'method not allowed', { allow: 'GET, HEAD, POST, PUT, DELETE, OPTIONS' });
    }
  };
}
