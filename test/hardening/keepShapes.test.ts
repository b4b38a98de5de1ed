import { runChild } from './runChild';

// Issue 13, "short streams after GC": V8 keeps the hidden classes a stream's objects were built
// with only while some object has them, so the engine keeps one specimen of each (src/wire/
// keepShapes.ts). What is checked here is that bargain's two sides, in a child process of its own
// (for `--expose-gc` and a heap no other test touched), counting live objects in heap snapshots
// taken after a full GC: the specimens are there once a stream has run, and only they are (one
// per framing and dialect however many streams ran, none before the first); a parsed chunk is kept
// only while small and recent. The time it saves is the bench's (bench/shortAfterGC.ts).

interface Counts {
  OpenAIChatDecoder: number;
  SSEStreamDecoder: number;
  Parser: number;
  BytesReading: number;
  MessageAccumulator: number;
  SafeSubscriber: number;
}

interface Report {
  imported: Counts;
  afterOneStream: Counts;
  afterSixStreams: Counts;
  afterAnotherDialect: Counts;
  afterManyDialects: Counts;
  reconnectInputKept: boolean;
  smallKeptBlank: boolean;
  largeKept: boolean;
  ninthKept: boolean;
  smallKeptAfterEight: boolean;
}

let report: Report;
beforeAll(async () => {
  report = await runChild<Report>('keepShapesChild.ts');
}, 120_000);

/** Every counted class at `n` live objects. */
const each = (n: number): Counts => ({
  OpenAIChatDecoder: n,
  SSEStreamDecoder: n,
  Parser: n,
  BytesReading: n,
  MessageAccumulator: n,
  SafeSubscriber: n,
});

it('keeps nothing at import: the specimens are made by the first subscription', () => {
  expect(report.imported).toEqual(each(0));
});

it('keeps one of each part of a stream once one has run, and no more after six', () => {
  expect(report.afterOneStream).toEqual(each(1));
  expect(report.afterSixStreams).toEqual(each(1));
});

it('keeps a decoder per dialect, sharing the subscriber and accumulator', () => {
  expect(report.afterAnotherDialect).toEqual({ ...each(1), SSEStreamDecoder: 2, Parser: 2 });
});

it("keeps nothing of a reconnecting subscription (whose decoder factory is the subscription's own closure)", () => {
  expect(report.reconnectInputKept).toBe(false);
});

it('keeps a specimen only while its dialect object lives: dialect objects made per request pin nothing', () => {
  // 100 copies of openai-chat's dialect object and one whose decoder throws (which threw nothing
  // here), all dropped: only the two dialects the streams used keep theirs.
  expect(report.afterManyDialects.SSEStreamDecoder).toBe(2);
  expect(report.afterManyDialects.OpenAIChatDecoder).toBe(1);
});

it('keeps a blanked copy of a small parsed chunk (its keys, not its text), none of a large one, eight a second, until eight newer came', () => {
  expect(report.smallKeptBlank).toBe(true);
  expect(report.largeKept).toBe(false);
  expect(report.ninthKept).toBe(false);
  expect(report.smallKeptAfterEight).toBe(false);
});
