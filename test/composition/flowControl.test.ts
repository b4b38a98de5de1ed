import { get, type IncomingMessage } from 'node:http';
import OpenAI from 'openai';
import { Subject, VirtualTimeScheduler, share, shareReplay, switchMap, type Observable } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { deadline } from '../../src/operators/deadline';
import { mergeTracks, type MergeTracksConfig } from '../../src/tracks/mergeTracks';
import { pausable } from '../../src/operators/pausable';
import { retryStream } from '../../src/operators/retryStream';
import { throttleTokens } from '../../src/operators/throttleTokens';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromSSE } from '../../src/sources/fromSSE';
import { createTrackLimiter } from '../../src/tracks/createTrackLimiter';
import {
  consume,
  full,
  pausedBound,
  quiet,
  settled,
  short,
  startBigStreamServer,
  type BigStreamServer,
  type Consumer,
  type Plan,
} from '../support/bigStream';

/**
 * Flow control survives composition: in each pipeline users write, a paused consumer stops the
 * socket of a 50 MB stream from a real local server (the server's written bytes stop within the
 * socket buffers), and resuming delivers every byte (SHA-256 equal). The measure is the server's
 * byte count, never the clock. Before flow gates were bound to the subscriber chain, each of these
 * read the whole 50 MB while paused.
 */

jest.setTimeout(180_000);

let server: BigStreamServer;

beforeEach(async () => {
  server = await startBigStreamServer();
});

afterEach(async () => {
  await server.close();
});

// `FLOW_REPORT=1 npx jest test/composition/flowControl.test.ts` prints what the server wrote while paused.
const report: Array<[string, number]> = [];
afterAll(() => {
  if (process.env.FLOW_REPORT) console.log(report.map(([test, bytes]) => `${bytes}\t${test}`).join('\n'));
});

const sse = (path: string): Observable<RxllmEvent> =>
  fromSSE((signal) => fetch(server.url + path, { signal }), { dialect: 'openai-chat' });

/**
 * Waits for the server to stall, checks it stalled within `streams` socket bounds and for good,
 * resumes, and checks every expected track arrived whole.
 */
async function expectHeldThenWhole(
  consumer: Consumer,
  expected: Record<string, Plan>,
  streams = 1,
): Promise<void> {
  // Settling is measured only once the consumer paused and the big stream was requested: before
  // that, a quiet server could just mean the request has not been made yet.
  await consumer.pausedOnce;
  await server.fullStreamRequested();
  const writtenWhilePaused = await settled(server);
  report.push([expect.getState().currentTestName ?? '', writtenWhilePaused]);
  expect(writtenWhilePaused).toBeLessThan(pausedBound * streams);
  expect(consumer.whilePaused).toBe(0);
  await quiet(300);
  expect(server.written()).toBe(writtenWhilePaused); // the stall is for good

  consumer.paused$.next(false);
  await consumer.done;
  for (const [track, plan] of Object.entries(expected)) {
    expect([track, consumer.tracks.get(track)?.length]).toEqual([track, plan.length]);
    expect([track, consumer.sha256(track)]).toEqual([track, plan.sha256]);
  }
}

/** The chat pattern: a new prompt replaces the stream of the previous one. */
function chat(answer: () => Observable<RxllmEvent>) {
  const prompt$ = new Subject<string>();
  const events$ = prompt$.pipe(switchMap(() => answer()));
  return {
    events$,
    ask: () => {
      prompt$.next('hi');
      prompt$.complete(); // one prompt: the stream completes with its answer
    },
  };
}

describe('flow control through composition', () => {
  it('(1) switchMap(p => fromOpenAI(client, p)) then pausable: the OpenAI SDK socket stops', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const { events$, ask } = chat(() =>
      fromOpenAI(client, { model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    );
    const consumer = consume((paused$) => events$.pipe(pausable(paused$)));
    ask(); // during the outer `next`, long after pausable subscribed
    await expectHeldThenWhole(consumer, { '': full });
  });

  it('(1b) fromSSE reading a node:http IncomingMessage then pausable: the socket stops', async () => {
    // Read with read() and its events, not its async iterator: the gates are asked all the same.
    const open = (signal: AbortSignal) =>
      new Promise<IncomingMessage>((resolve, reject) =>
        get(`${server.url}/stream`, { agent: false, signal }, resolve).on('error', reject),
      );
    const events$ = fromSSE(open, { dialect: 'openai-chat' });
    const consumer = consume((paused$) => events$.pipe(pausable(paused$)));
    await expectHeldThenWhole(consumer, { '': full });
  });

  it.each([
    ['share()', share<RxllmEvent>()],
    ['shareReplay()', shareReplay<RxllmEvent>({ bufferSize: 1, refCount: true })],
  ])(
    '(2) %s: a paused consumer holds the shared source, and the others wait for it',
    async (_, multicast) => {
      const shared = sse('/stream').pipe(multicast);
      // A plain consumer connects first; the pausing one joins it.
      const logger = consume(
        () => shared,
        () => false,
      );
      const viewer = consume((paused$) => shared.pipe(pausable(paused$)));
      await expectHeldThenWhole(viewer, { '': full });
      await logger.done;
      expect(logger.sha256()).toBe(full.sha256);
    },
  );

  it('(3) retryStream: the retry, subscribed from a timer while paused, does not read', async () => {
    let attempts = 0;
    const source = fromSSE(
      (signal) => fetch(server.url + (attempts++ === 0 ? '/fail' : '/stream'), { signal }),
      {
        dialect: 'openai-chat',
      },
    );
    const { events$, ask } = chat(() => source.pipe(retryStream({ initialDelayMs: 20, jitter: 0 })));
    const consumer = consume((paused$) => events$.pipe(pausable(paused$)), undefined, true);
    ask();
    await expectHeldThenWhole(consumer, { '': full });
    expect(server.responses.map((response) => response.path)).toEqual(['/fail', '/stream']);
  });

  it('(4) deadline with a fallback: the fallback, subscribed from a timer, stops when paused', async () => {
    const { events$, ask } = chat(() =>
      sse('/hang').pipe(deadline({ firstTokenMs: 100, fallback: sse('/stream') })),
    );
    const consumer = consume((paused$) => events$.pipe(pausable(paused$)));
    ask();
    await expectHeldThenWhole(consumer, { '': full });
  });

  const strategies: Array<{
    title: string;
    local: string;
    cloud: string;
    config: MergeTracksConfig;
    pauseAt?: (event: RxllmEvent) => boolean;
    expected: Record<string, Plan>;
    streams: number;
  }> = [
    {
      title: 'interleave: both tracks stop',
      local: '/stream',
      cloud: '/stream',
      config: { strategy: 'interleave', name: 'local' },
      expected: { local: full, cloud: full },
      streams: 2,
    },
    {
      title: 'race: the winner stops',
      local: '/stream',
      cloud: '/stream',
      config: { strategy: 'race', name: 'local' },
      expected: {},
      streams: 2,
    },
    {
      title: 'hedge: the backup, started late from a timer, stops',
      local: '/hang',
      cloud: '/stream',
      config: { strategy: 'hedge', name: 'local', hedgeAfterMs: 50 },
      expected: { cloud: full },
      streams: 1,
    },
    {
      title: 'fallback: the fallback track, started after the first failed, stops',
      local: '/fail',
      cloud: '/stream',
      config: { strategy: 'fallback', name: 'local' },
      expected: { cloud: full },
      streams: 1,
    },
    {
      title: 'handoff: the track that took over stops',
      local: '/short',
      cloud: '/stream',
      config: { strategy: 'handoff', name: 'local' },
      pauseAt: (event) => event.track === 'cloud',
      expected: { cloud: full },
      streams: 1,
    },
    {
      title: 'compare: the tracks still running stop',
      local: '/stream',
      cloud: '/short',
      config: { strategy: 'compare', name: 'local' },
      expected: { local: full, cloud: short },
      streams: 2,
    },
    {
      title: 'interleave with a limiter: the track the limiter started later stops',
      local: '/short',
      cloud: '/stream',
      config: {
        strategy: 'interleave',
        name: 'local',
        limiter: createTrackLimiter({ gpu: 1 }),
        kinds: { local: 'gpu', cloud: 'gpu' },
      },
      pauseAt: (event) => event.track === 'cloud',
      expected: { local: short, cloud: full },
      streams: 1,
    },
  ];

  it.each(strategies)(
    '(5) mergeTracks $title',
    async ({ local, cloud, config, pauseAt, expected, streams }) => {
      const { events$, ask } = chat(() => sse(local).pipe(mergeTracks({ cloud: sse(cloud) }, config)));
      const consumer = consume((paused$) => events$.pipe(pausable(paused$)), pauseAt);
      ask();
      await expectHeldThenWhole(consumer, expected, streams);
      if (config.strategy === 'race') {
        // One track won and arrived whole; the loser was cancelled.
        const winner = [...consumer.tracks.entries()].find(([, track]) => track.length === full.length);
        expect(winner).toBeDefined();
        expect(consumer.sha256(winner![0])).toBe(full.sha256);
      }
    },
  );

  it('(6) two copies of rxllm: a source from one stops for pausable from the other', async () => {
    // Two module registries: each copy has its own module state and its own copy of RxJS, as two
    // installed copies of the package (one bundled by a dependency) do.
    let copyA: typeof import('../../src/index') | undefined;
    let copyB: typeof import('../../src/index') | undefined;
    jest.isolateModules(() => {
      copyA = jest.requireActual<typeof import('../../src/index')>('../../src/index');
    });
    jest.isolateModules(() => {
      copyB = jest.requireActual<typeof import('../../src/index')>('../../src/index');
    });
    expect(copyA!.pausable).not.toBe(copyB!.pausable);
    const source = copyA!.fromSSE((signal) => fetch(`${server.url}/stream`, { signal }), {
      dialect: 'openai-chat',
    });
    const consumer = consume((paused$) => source.pipe(copyB!.pausable(paused$)) as Observable<RxllmEvent>);
    await expectHeldThenWhole(consumer, { '': full });
  });

  it('(7) throttleTokens with a consumer slower than the network holds the source back', async () => {
    // The pace's clock only moves when the test says: a frame scheduler in a hidden tab, say.
    const scheduler = new VirtualTimeScheduler();
    const consumer = consume(
      () => sse('/stream').pipe(throttleTokens({ intervalMs: 10, scheduler })),
      () => false,
    );
    await consumer.firstText;
    const writtenWhileStuck = await settled(server);
    report.push([expect.getState().currentTestName ?? '', writtenWhileStuck]);
    // Before: the queue inside throttleTokens took the whole 50 MB.
    expect(writtenWhileStuck).toBeLessThan(pausedBound);
    expect(consumer.tracks.get('')?.texts).toBe(1); // the first delta passed, then the pace stopped

    let done = false;
    void consumer.done.then(() => (done = true));
    while (!done) {
      scheduler.flush(); // the consumer takes what is queued
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(consumer.tracks.get('')?.length).toBe(full.length);
    expect(consumer.sha256()).toBe(full.sha256);
  });
});
