import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { fromEventSource } from '../../src/sources/fromEventSource';
import { fromSSE } from '../../src/sources/fromSSE';
import { reconnectSSE } from '../../src/sources/reconnectSSE';
import type { DialectName } from '../../src/wire/types';
import { fixtureBytes } from '../support/decodeFixture';
import { readFrames } from './support/sseClient';
import { startTwoInstances, type TwoInstances } from './support/twoInstances';

/**
 * The client side of resuming: `fromEventSource` reads a logged stream through a load balancer
 * that sends the first connection to instance A and cuts it mid-stream (in the middle of a frame),
 * and the reconnect, which carries `Last-Event-ID`, to instance B. The events the client emits
 * must be the stream's events, each once.
 */

const fixtures: Record<string, string> = {
  openai: 'openai-chat/text-obfuscation-usage.sse',
  anthropic: 'anthropic/thinking-signature.sse',
};

let setup: TwoInstances;

beforeAll(async () => {
  const timing = { tokensPerSecond: 200 };
  setup = await startTwoInstances({
    routes: {
      '/v1/chat/completions': { transcript: fixtureBytes(fixtures.openai!), timing },
      '/v1/messages': { transcript: fixtureBytes(fixtures.anthropic!), timing },
    },
    leaseMs: 2000,
    batchMs: 20,
  });
}, 60_000);

afterAll(() => setup?.stop());

interface Balancer {
  url: string;
  /** The request headers of each connection, in order. */
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** A proxy: connection 1 goes to A and is cut after `cutAfterBytes` of body; every later one goes to B. */
async function startBalancer(cutAfterBytes: number): Promise<Balancer> {
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const index = requests.push(req.headers) - 1;
    const target = new URL(req.url!, index === 0 ? setup.a.url : setup.b.url);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      res.flushHeaders();
      let sent = 0;
      let cut = false;
      answer.on('data', (chunk: Buffer) => {
        if (index > 0) {
          res.write(chunk);
          return;
        }
        if (cut) return;
        const room = cutAfterBytes - sent;
        sent += chunk.length;
        if (sent < cutAfterBytes) {
          res.write(chunk);
          return;
        }
        // The connection drops once the bytes up to the cut are out, as a load balancer's idle
        // timeout or a lost network would drop it.
        cut = true;
        upstream.destroy();
        res.write(chunk.subarray(0, room), () => res.socket?.destroy());
      });
      answer.on('end', () => res.end());
    });
    req.pipe(upstream);
    upstream.on('error', () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a resumed read must give: the events of reading the log whole (no gap, no duplicate at the
 * seam), each with its source's seq once (0, 1, 2, ... across the reconnect), from one model call.
 */
async function expectEveryEventOnce(
  events: RxllmEvent[],
  id: string,
  dialect: DialectName,
  requestIndex: number,
): Promise<void> {
  const whole = await wholeStream(id, dialect);
  expect(whole.at(-1)?.type).not.toBe('error');
  expect(events.map(withoutSeq)).toEqual(whole.map(withoutSeq));
  expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i));
  expect(setup.provider.requests.length).toBe(requestIndex + 1);
}

const withoutSeq = (event: RxllmEvent) => {
  const { seq: _seq, ...rest } = event;
  return rest;
};

/** What the stream is: the events of reading it once, whole, from the log. */
async function wholeStream(id: string, dialect: DialectName): Promise<RxllmEvent[]> {
  return lastValueFrom(
    fromSSE((signal) => fetch(`${setup.b.url}/chat/${id}?dialect=${dialect}`, { signal }), { dialect }).pipe(
      toArray(),
    ),
  );
}

it.each([
  ['rxllm', 'openai', 700],
  ['openai-chat', 'openai', 1500],
  ['anthropic', 'anthropic', 2500],
] as const)(
  'fromEventSource (%s frames) resumes on B after the connection to A drops mid-frame: every event once',
  async (dialect, providerName, cutAfterBytes) => {
    const id = `client-${dialect}`;
    const requestIndex = setup.provider.requests.length;
    // Start the producer (and leave at once: the stream goes on without readers).
    await readFrames(`${setup.a.url}/chat/${id}?provider=${providerName}`, {
      method: 'POST',
      stopWhen: () => true,
    });
    const balancer = await startBalancer(cutAfterBytes);
    try {
      const events = await lastValueFrom(
        fromEventSource(`${balancer.url}/chat/${id}?dialect=${dialect}`, { dialect, retryDelayMs: 10 }).pipe(
          toArray(),
        ),
      );
      // Two connections: the cut one to A, then B, asked to resume after the last frame A delivered whole.
      expect(balancer.requests).toHaveLength(2);
      expect(balancer.requests[0]!['last-event-id']).toBeUndefined();
      const resumedAfter = Number(balancer.requests[1]!['last-event-id']);
      expect(resumedAfter).toBeGreaterThan(0);
      await expectEveryEventOnce(events, id, dialect, requestIndex);
    } finally {
      await balancer.close();
    }
  },
);

it.each([
  ['rxllm', 'openai', 700],
  ['openai-chat', 'openai', 1500],
  ['anthropic', 'anthropic', 2500],
] as const)(
  'fromSSE with reconnect (%s frames) calls its input again with the last event id after the drop: every event once',
  async (dialect, providerName, cutAfterBytes) => {
    const id = `client-sse-${dialect}`;
    const requestIndex = setup.provider.requests.length;
    await readFrames(`${setup.a.url}/chat/${id}?provider=${providerName}`, {
      method: 'POST',
      stopWhen: () => true,
    });
    const balancer = await startBalancer(cutAfterBytes);
    const asked: (string | undefined)[] = [];
    try {
      const events = await lastValueFrom(
        fromSSE(
          (signal, { lastEventId }) => {
            asked.push(lastEventId);
            return fetch(`${balancer.url}/chat/${id}?dialect=${dialect}`, {
              headers: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
              signal,
            });
          },
          { dialect, reconnect: reconnectSSE({ maxReconnects: 2, retryDelayMs: 10 }) },
        ).pipe(toArray()),
      );
      // Called twice: first with nothing to resume, then with the id of the last frame A delivered whole.
      expect(asked).toHaveLength(2);
      expect(asked[0]).toBeUndefined();
      expect(Number(asked[1])).toBeGreaterThan(0);
      expect(balancer.requests.map((headers) => headers['last-event-id'])).toEqual(asked);
      await expectEveryEventOnce(events, id, dialect, requestIndex);
    } finally {
      await balancer.close();
    }
  },
);

it('fromSSE without reconnect fails with network on the same drop (the opt-in is what resumes)', async () => {
  const id = 'client-sse-plain';
  await readFrames(`${setup.a.url}/chat/${id}?provider=openai`, { method: 'POST', stopWhen: () => true });
  const balancer = await startBalancer(700);
  try {
    const failure = await lastValueFrom(
      fromSSE((signal) => fetch(`${balancer.url}/chat/${id}?dialect=rxllm`, { signal }), {
        dialect: 'rxllm',
      }).pipe(toArray()),
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'network' });
    expect(balancer.requests).toHaveLength(1);
  } finally {
    await balancer.close();
  }
});
