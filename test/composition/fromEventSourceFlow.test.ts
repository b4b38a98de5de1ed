import { pausable } from '../../src/operators/pausable';
import { fromEventSource } from '../../src/sources/fromEventSource';
import {
  consume,
  full,
  pausedBound,
  quiet,
  settled,
  startBigStreamServer,
  type BigStreamServer,
} from '../support/bigStream';

/**
 * fromEventSource is an rxllm source (the same engine as fromSSE), so a paused consumer stops its
 * socket: the local server's written bytes of a 50 MB stream stop within the socket buffers, and
 * resuming delivers every byte (SHA-256 equal). Measured by the server's byte count, as in
 * flowControl.test.ts.
 */

jest.setTimeout(180_000);

let server: BigStreamServer;
beforeEach(async () => {
  server = await startBigStreamServer();
});
afterEach(async () => {
  await server.close();
});

it('pausable stops the socket of fromEventSource, and resume delivers everything once', async () => {
  const consumer = consume((paused$) =>
    fromEventSource(`${server.url}/stream`, { dialect: 'openai-chat' }).pipe(pausable(paused$)),
  );
  await consumer.pausedOnce;
  await server.fullStreamRequested();
  const writtenWhilePaused = await settled(server);
  expect(writtenWhilePaused).toBeLessThan(pausedBound);
  expect(consumer.whilePaused).toBe(0);
  await quiet(300);
  expect(server.written()).toBe(writtenWhilePaused);

  consumer.paused$.next(false);
  await consumer.done;
  expect(consumer.tracks.get('')?.length).toBe(full.length);
  expect(consumer.sha256('')).toBe(full.sha256);
  // One request: the stream finished with its terminal message, nothing reconnected.
  expect(server.responses.map((response) => response.path)).toEqual(['/stream']);
});
