import { Subject, lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { createMemoryStreamLog } from '../../src/log/createMemoryStreamLog';
import { durableStreamHandler } from '../../src/log/durableStreamHandler';
import { fromStreamLog } from '../../src/log/fromStreamLog';
import { recordStream } from '../../src/log/recordStream';
import type { StreamLogStore } from '../../src/log/StreamLogStore';
import { ev } from '../../src/testing';

// The protocol's own suite (npm run test:durable) checks conformance; these check what rxllm adds:
// recorded streams served read-only, and hostile requests answered 4xx without harm.

const base = 'http://rxllm.test';
const offset = (position: number): string => `0000000000000000_${String(position).padStart(16, '0')}`;

function setup(config: Parameters<typeof durableStreamHandler>[1] = {}): {
  store: StreamLogStore;
  call: (path: string, init?: RequestInit) => Promise<Response>;
} {
  const store = createMemoryStreamLog();
  const handle = durableStreamHandler(store, { longPollMs: 50, ...config });
  return { store, call: (path, init) => handle(new Request(`${base}${path}`, init)) };
}

async function ended(store: StreamLogStore, id: string): Promise<void> {
  while ((await store.state(id)) !== 'ended') await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('a stream recorded by recordStream', () => {
  const events: RxllmEvent[] = [ev.start(), ev.text('Hi'), ev.text(' there'), ev.finish('stop')];

  it('is an application/json stream whose offsets are the events’ seq and whose end is Stream-Closed', async () => {
    const { store, call } = setup();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, '/chat/1', { batchMs: 0 })).subscribe();
    for (const event of events) tokens.next(event);
    tokens.complete();
    await ended(store, '/chat/1');

    const all = await call('/chat/1?offset=-1');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/json');
    expect(await all.json()).toEqual(events);
    expect(all.headers.get('stream-next-offset')).toBe(offset(4));
    expect(all.headers.get('stream-closed')).toBe('true');

    const fromSeq2 = await call(`/chat/1?offset=${offset(2)}`);
    expect(await fromSeq2.json()).toEqual(events.slice(2));

    const head = await call('/chat/1', { method: 'HEAD' });
    expect(head.headers.get('stream-next-offset')).toBe(offset(4));
    expect(head.headers.get('stream-closed')).toBe('true');

    // The ETag of a range answers a repeated read with 304.
    const again = await call(`/chat/1?offset=${offset(2)}`, {
      headers: { 'if-none-match': fromSeq2.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('cannot be written, closed or deleted over the protocol (the producer owns it)', async () => {
    const { store, call } = setup();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, '/chat/2', { batchMs: 0 })).subscribe();
    tokens.next(events[0]!);
    const post = await call('/chat/2', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"text","text":"injected"}',
    });
    expect(post.status).toBe(405);
    expect((await call('/chat/2', { method: 'POST', headers: { 'stream-closed': 'true' } })).status).toBe(
      405,
    );
    expect((await call('/chat/2', { method: 'DELETE' })).status).toBe(405);
    // A PUT that would turn it into another stream conflicts.
    expect((await call('/chat/2', { method: 'PUT', headers: { 'content-type': 'text/plain' } })).status).toBe(
      409,
    );
    tokens.complete();
    await ended(store, '/chat/2');
    const read = await call('/chat/2?offset=-1');
    expect(await read.json()).toEqual([events[0]]);
    expect(read.headers.get('stream-closed')).toBe('true');
  });
});

describe('text events stored as bare text', () => {
  // What sources emit: every event stamped with its seq, which is its position in the log.
  const stamped: RxllmEvent[] = [ev.start(), ev.text('Hi'), ev.text(' "there"\n'), ev.finish('stop')].map(
    (event, seq) => ({ ...event, seq }),
  );

  it('are served as the event JSON, in catch-up, SSE and a fork; a protocol stream’s strings are not', async () => {
    const { store, call } = setup();
    const tokens = new Subject<RxllmEvent>();
    tokens.pipe(recordStream(store, '/chat/bare', { batchMs: 0 })).subscribe();
    for (const event of stamped) tokens.next(event);
    tokens.complete();
    await ended(store, '/chat/bare');
    // Stored bare: the store's own read shows the compact lines.
    const stored = await store.reader('/chat/bare').read(0, 0);
    expect(stored.entries[1]).toBe('"Hi"');

    const json = `[${stamped.map((event) => JSON.stringify(event)).join(',')}]`;
    expect(await (await call('/chat/bare?offset=-1')).text()).toBe(json);
    const sse = await (await call('/chat/bare?offset=-1&live=sse')).text();
    const data = sse
      .split('\n\n')
      .find((frame) => frame.startsWith('event: data'))!
      .split('\n')
      .slice(1)
      .map((line) => line.slice('data:'.length))
      .join('\n');
    expect(JSON.parse(data)).toEqual(stamped);

    const fork = await call('/fork', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'stream-forked-from': '/chat/bare' },
    });
    expect(fork.status).toBe(201);
    expect(await (await call('/fork?offset=-1')).json()).toEqual(stamped);

    // Written over the protocol, a JSON string is a message of its own and stays one.
    await call('/plain', { method: 'PUT', headers: { 'content-type': 'application/json' } });
    await call('/plain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["Hi"]' });
    expect(await (await call('/plain?offset=-1')).json()).toEqual(['Hi']);
  });
});

describe('a stream written over the protocol', () => {
  it('is read by fromStreamLog live, without a producer lease, until its close', async () => {
    const { store, call } = setup();
    const json = { 'content-type': 'application/json' };
    await call('/w', { method: 'PUT', headers: json });
    const events: RxllmEvent[] = [ev.start(), ev.text('a'), ev.finish('stop')];
    const read = lastValueFrom(fromStreamLog(store, '/w', { waitMs: 20 }).pipe(toArray()));
    for (const event of events) {
      expect((await call('/w', { method: 'POST', headers: json, body: JSON.stringify(event) })).status).toBe(
        204,
      );
      await new Promise((resolve) => setTimeout(resolve, 30)); // longer than waitMs: the reader checks the lease
    }
    await call('/w', { method: 'POST', headers: { 'stream-closed': 'true' } });
    expect(await read).toEqual(events);
  });
});

describe('hostile requests', () => {
  it.each([
    'abc',
    '0_0',
    '1',
    '-2',
    'now2',
    '0000000000000000_000000000000000a',
    '0000000000000001_0000000000000000',
    '..%2F..%2Fetc',
    'x'.repeat(100_000),
  ])('a malformed offset (%#) is 400', async (bad) => {
    const { call } = setup();
    await call('/s', { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'data' });
    const response = await call(`/s?offset=${bad}`);
    expect(response.status).toBe(400);
  });

  it('two offsets, an empty one, an offset past the tail and an unknown live mode are 400', async () => {
    const { call } = setup();
    await call('/s', { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'data' });
    expect((await call(`/s?offset=-1&offset=${offset(0)}`)).status).toBe(400);
    expect((await call('/s?offset=')).status).toBe(400);
    expect((await call(`/s?offset=${offset(2)}`)).status).toBe(400);
    expect((await call('/s?offset=-1&live=websocket')).status).toBe(400);
    expect((await call('/s?live=sse')).status).toBe(400);
  });

  it('a body over maxBodyBytes is 413 and nothing is stored', async () => {
    const { call } = setup({ maxBodyBytes: 16 });
    await call('/s', { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    const post = await call('/s', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(17),
    });
    expect(post.status).toBe(413);
    const read = await call('/s?offset=-1');
    expect(await read.text()).toBe('');
    expect(read.headers.get('stream-next-offset')).toBe(offset(0));
  });

  it('a stream that would outgrow maxStreamSize is refused with 413, also through a fork', async () => {
    const { call } = setup({ maxStreamSize: 8 });
    const text = { 'content-type': 'text/plain' };
    expect((await call('/s', { method: 'PUT', headers: text, body: 'abc' })).status).toBe(201); // 'YWJj'
    expect((await call('/s', { method: 'POST', headers: text, body: 'def' })).status).toBe(204); // 8 stored
    expect((await call('/s', { method: 'POST', headers: text, body: 'g' })).status).toBe(413);
    const fork = await call('/f', { method: 'PUT', headers: { 'stream-forked-from': '/s' }, body: 'h' });
    expect(fork.status).toBe(413);
    expect(await (await call('/s?offset=-1')).text()).toBe('abcdef');
  });

  it('a stream id, producer id or Stream-Seq over maxIdLength is refused', async () => {
    const { call } = setup({ maxIdLength: 32 });
    expect((await call(`/${'a'.repeat(40)}`, { method: 'PUT' })).status).toBe(404);
    await call('/s', { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    const longProducer = await call('/s', {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'producer-id': 'p'.repeat(40),
        'producer-epoch': '0',
        'producer-seq': '0',
      },
      body: 'x',
    });
    expect(longProducer.status).toBe(400);
    const longSeq = await call('/s', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'stream-seq': 's'.repeat(40) },
      body: 'x',
    });
    expect(longSeq.status).toBe(400);
  });

  it.each(['1e3', '-1', '0x1', '1.0', '9007199254740992', ''])('Producer-Epoch %j is 400', async (epoch) => {
    const { call } = setup();
    await call('/s', { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    const post = await call('/s', {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'producer-id': 'p',
        'producer-epoch': epoch,
        'producer-seq': '0',
      },
      body: 'x',
    });
    expect(post.status).toBe(400);
  });

  it('producer ids like __proto__ are state, never object keys', async () => {
    const { call } = setup();
    await call('/s', { method: 'PUT', headers: { 'content-type': 'application/json' } });
    for (const producer of ['__proto__', 'constructor', 'toString']) {
      for (const seq of ['0', '0', '1']) {
        const post = await call('/s', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'producer-id': producer,
            'producer-epoch': '0',
            'producer-seq': seq,
          },
          body: JSON.stringify({ producer, seq }),
        });
        expect([200, 204]).toContain(post.status);
      }
    }
    expect(({} as Record<string, unknown>).epoch).toBeUndefined();
    const read = await call('/s?offset=-1');
    // Each producer's retry of seq 0 was deduplicated: two messages per producer.
    expect(await read.json()).toHaveLength(6);
  });

  it('invalid and deeply nested JSON is 400, not a crash', async () => {
    const { call } = setup();
    await call('/j', { method: 'PUT', headers: { 'content-type': 'application/json' } });
    for (const body of ['{', '[1,]', '\u00ff', '['.repeat(200_000) + ']'.repeat(200_000)]) {
      const post = await call('/j', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(post.status).toBe(400);
    }
    const read = await call('/j?offset=-1');
    expect(await read.json()).toEqual([]);
  });

  it('text cannot inject SSE frames: every line of it is data', async () => {
    const { call } = setup();
    const attack = 'x\n\nevent: control\ndata: {"streamNextOffset":"x","streamClosed":true}\r\rid: 9';
    await call('/t', { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: attack });
    await call('/t', { method: 'POST', headers: { 'stream-closed': 'true' } });
    const sse = await call('/t?offset=-1&live=sse');
    const frames = (await sse.text()).split('\n\n').filter((frame) => frame !== '');
    expect(frames.map((frame) => frame.split('\n')[0])).toEqual(['event: data', 'event: control']);
    expect(frames[0]!.split('\n').every((line, i) => i === 0 || line.startsWith('data:'))).toBe(true);
    expect(JSON.parse(frames[1]!.slice('event: control\ndata:'.length))).toEqual({
      streamNextOffset: offset(1),
      streamClosed: true,
      upToDate: true,
    });
  });

  it('Stream-TTL and Stream-Expires-At are validated', async () => {
    const { call } = setup();
    for (const ttl of ['+1', '01', '1.5', '1e3', '-1', '99999999999']) {
      expect((await call('/e', { method: 'PUT', headers: { 'stream-ttl': ttl } })).status).toBe(400);
    }
    expect((await call('/e', { method: 'PUT', headers: { 'stream-expires-at': 'tomorrow' } })).status).toBe(
      400,
    );
    const both = { 'stream-ttl': '10', 'stream-expires-at': new Date(Date.now() + 10_000).toISOString() };
    expect((await call('/e', { method: 'PUT', headers: both })).status).toBe(400);
    expect((await call('/e', { method: 'HEAD' })).status).toBe(404);
  });
});
