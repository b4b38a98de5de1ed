import { runChild } from './runChild';

// Issue 12, "bounded memory": 200 MB of `data:` lines without a blank line grew the heap by
// 1.7 GB. End to end, over a real HTTP server in a child process (for `--expose-gc` and a heap
// of its own): the default maxEventSize (8 MiB) stops the stream with a typed error naming the
// limit, the heap never grows by more than a small multiple of the limit, and the source stops
// reading (the server writes a fraction of the 200 MB).

interface Report {
  code?: string;
  limit?: string;
  peakGrowth: number;
  retainedGrowth: number;
  bytesSent: number;
}

const runChildOf = (bytes: number, mode = 'event'): Promise<Report> =>
  runChild<Report>('heapChild.ts', [String(bytes), mode]);

const MiB = 1024 * 1024;

it('200 MB of data lines without a blank line: limit-exceeded (maxEventSize), heap bounded, reading stopped', async () => {
  const report = await runChildOf(200 * MiB);
  expect(report.code).toBe('limit-exceeded');
  expect(report.limit).toBe('maxEventSize');
  // The parser may hold 8 Mi characters plus the chunk being read, and garbage not yet collected.
  expect(report.peakGrowth).toBeLessThan(64 * MiB);
  expect(report.retainedGrowth).toBeLessThan(8 * MiB);
  expect(report.bytesSent).toBeLessThan(64 * MiB);
}, 120_000);

it('200 MB of small text events: limit-exceeded (maxMessageSize at 16 MiB), heap bounded by the limit, not the input', async () => {
  const report = await runChildOf(200 * MiB, 'message');
  expect(report.code).toBe('limit-exceeded');
  expect(report.limit).toBe('maxMessageSize');
  // The accumulator holds up to 16 Mi characters of text for `partial`, plus garbage not yet collected.
  expect(report.peakGrowth).toBeLessThan(80 * MiB);
  expect(report.retainedGrowth).toBeLessThan(8 * MiB);
  expect(report.bytesSent).toBeLessThan(64 * MiB);
}, 120_000);
