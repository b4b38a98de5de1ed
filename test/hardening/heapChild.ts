// Run by heapLimit.test.ts as `node --expose-gc --import tsx test/hardening/heapChild.ts <bytes>`:
// a real HTTP server on 127.0.0.1 streams `data:` lines that never get their blank line, and
// fromSSE reads them (see `mode`). Prints one JSON line: the error, the heap growth at
// its peak (sampled at every chunk the source reads) and after GC, and the bytes the server wrote.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RxllmError } from '../../src/base/errors';
import { fromSSE } from '../../src/sources/fromSSE';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const total = Number(process.argv[2] ?? 200 * 1024 * 1024);
// `event`: `data:` lines that never get their blank line. `message`: complete small text events,
// read with limits.maxMessageSize at 16 MiB, that never end.
const mode = process.argv[3] ?? 'event';
const delta = JSON.stringify({
  choices: [{ index: 0, delta: { content: 'y'.repeat(1000) }, finish_reason: null }],
});
const line =
  mode === 'message'
    ? Buffer.from(`data: ${delta}\n\n`.repeat(64))
    : Buffer.from(`data: ${'x'.repeat(64 * 1024 - 7)}\n`);
let bytesSent = 0;

const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const write = (): void => {
    while (bytesSent < total) {
      bytesSent += line.length;
      if (!response.write(line)) {
        response.once('drain', write);
        return;
      }
    }
    response.end();
  };
  response.on('close', () => response.removeAllListeners('drain'));
  write();
});

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sample = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      controller.enqueue(chunk);
    },
  });
  const finish = (result: Record<string, unknown>): void => {
    setImmediate(() => {
      gc();
      const after = process.memoryUsage().heapUsed;
      process.stdout.write(
        `${JSON.stringify({ ...result, peakGrowth: peak - base, retainedGrowth: after - base, bytesSent })}\n`,
      );
      server.closeAllConnections();
      server.close();
    });
  };
  fromSSE(
    async (signal) => {
      const response = await fetch(url, { signal });
      return response.body!.pipeThrough(sample);
    },
    { dialect: 'openai-chat', ...(mode === 'message' && { limits: { maxMessageSize: 16 * 1024 * 1024 } }) },
  ).subscribe({
    error: (error: unknown) =>
      finish(
        RxllmError.isInstance(error)
          ? { code: error.code, limit: error.limit, message: error.message }
          : { thrown: String(error) },
      ),
    complete: () => finish({ completed: true }),
  });
});
