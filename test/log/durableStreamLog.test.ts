import * as durableStreams from '@durable-streams/client';
import { DurableStreamTestServer } from '@durable-streams/server';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { createDurableStreamLog } from '../../src/log/createDurableStreamLog';
import { fromStreamLog, fromStreamLogEntries } from '../../src/log/fromStreamLog';
import { recordStream } from '../../src/log/recordStream';
import type { StreamLogStore } from '../../src/log/StreamLogStore';
import { ev } from '../../src/testing';
import { readmeExamples, runReadmeExample } from '../readme/readmeExamples';
import { handFedSource } from '../support/handFedSource';

// The third store: rxllm's log on a Durable Streams server (the protocol's reference server, in
// memory, on a loopback port) through @durable-streams/client.

let server: DurableStreamTestServer;
let baseUrl: string;
let log: StreamLogStore;

beforeAll(async () => {
  server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', longPollTimeout: 1_000 });
  await server.start();
  baseUrl = `${server.url}/rxllm`;
  log = createDurableStreamLog(durableStreams, { baseUrl });
});

afterAll(async () => {
  await server?.stop();
});

async function ended(store: StreamLogStore, id: string): Promise<void> {
  while ((await store.state(id)) !== 'ended') await new Promise((resolve) => setTimeout(resolve, 5));
}

const events: RxllmEvent[] = [ev.start(), ev.text('Hel'), ev.text('lo'), ev.text('!'), ev.finish('stop')];

it('records a stream that a live reader follows and a late reader replays from any position', async () => {
  const tokens = new Subject<RxllmEvent>();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  tokens.pipe(recordStream(log, 'chat-1', { batchMs: 5, onOpen: () => opened() })).subscribe();
  await open;
  const live = lastValueFrom(fromStreamLog(log, 'chat-1', { waitMs: 500 }).pipe(toArray()));
  for (const event of events) {
    tokens.next(event);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  tokens.complete();
  expect(await live).toEqual(events);
  await ended(log, 'chat-1');

  // Another store instance (another process) reads it from every position: no gap, no duplicate.
  const other = createDurableStreamLog(durableStreams, { baseUrl });
  for (const from of [0, 2, 4, 5]) {
    const read = await lastValueFrom(fromStreamLogEntries(other, 'chat-1', { from }).pipe(toArray()));
    expect(read.map((entry) => entry.seq)).toEqual(events.slice(from).map((_, i) => from + i));
    expect(read.map((entry) => entry.event)).toEqual(events.slice(from));
  }
});

it('is a plain Durable Stream: the protocol client reads the events, then the end marker, then EOF', async () => {
  const response = await durableStreams.stream({ url: `${baseUrl}/chat-1/log`, live: false });
  const items = await response.json();
  expect(items.slice(0, -1)).toEqual(events);
  expect(items.at(-1)).toEqual({ type: 'rxllm-log-end', end: { kind: 'complete' } });
  expect(response.streamClosed).toBe(true);
});

it('a cancel through another store instance stops the producer; readers see finish cancelled', async () => {
  const { tokens, source, unsubscribed } = handFedSource();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const produced = lastValueFrom(
    source.pipe(recordStream(log, 'chat-2', { batchMs: 5, onOpen: () => opened() }), toArray()),
  );
  await open;
  tokens.next(ev.start());
  tokens.next(ev.text('partial'));
  const other = createDurableStreamLog(durableStreams, { baseUrl });
  expect(await other.cancel('chat-2')).toBe(true);
  const out = await produced;
  expect(unsubscribed()).toBe(true);
  expect(out.at(-1)).toEqual({ type: 'finish', reason: 'cancelled', rawReason: null });
  await ended(log, 'chat-2');
  const read = await lastValueFrom(fromStreamLog(other, 'chat-2').pipe(toArray()));
  expect(read.at(-1)).toEqual({ type: 'finish', reason: 'cancelled', rawReason: null });
  expect(await other.cancel('chat-2')).toBe(false);
});

it('refuses a second producer on an id and knows unknown ids', async () => {
  await expect(log.open('chat-1', 1_000)).rejects.toMatchObject({ code: 'invalid-argument' });
  expect(await log.state('never-opened')).toBe('unknown');
  expect(await log.cancel('never-opened')).toBe(false);
});

it('README example durable-streams-store: the log on the server named by DURABLE_STREAMS_URL', async () => {
  process.env.DURABLE_STREAMS_URL = `${server.url}/readme`;
  const example = readmeExamples().find((candidate) => candidate.name === 'durable-streams-store')!;
  const { log: exampleLog } = (await runReadmeExample(example, {}, require)) as { log: StreamLogStore };
  await lastValueFrom(from(events).pipe(recordStream(exampleLog, 'readme-1', { batchMs: 0 })), {
    defaultValue: undefined,
  });
  await ended(exampleLog, 'readme-1');
  const response = await durableStreams.stream({ url: `${server.url}/readme/readme-1/log`, live: false });
  expect((await response.json()).slice(0, -1)).toEqual(events);
});
