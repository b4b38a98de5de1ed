import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  full,
  pausedBound,
  quiet,
  settled,
  startBigStreamServer,
  type BigStreamServer,
} from '../support/bigStream';

/**
 * The dual-package hazard, for real: one process loads the CommonJS build (dist/index.cjs, with
 * CommonJS RxJS) for the source and the ESM build (dist/index.js, with ESM RxJS) for `pausable`,
 * as happens when one dependency requires rxllm and the app imports it. Two copies of every
 * module, two copies of RxJS: the pause must still stop the socket. Needs `npm run build` (which
 * `npm test` runs first).
 */

jest.setTimeout(180_000);

const root = resolve(__dirname, '../..');

const script = (url: string) => `
  import { createRequire } from 'node:module';
  import { createHash } from 'node:crypto';
  import { BehaviorSubject } from 'rxjs';
  const esm = await import(${JSON.stringify(`${root}/dist/index.js`)});
  const cjs = createRequire(import.meta.url)(${JSON.stringify(`${root}/dist/index.cjs`)});
  if (esm.pausable === cjs.pausable) throw new Error('one copy, not two');
  const paused$ = new BehaviorSubject(false);
  process.stdin.on('data', () => paused$.next(false));
  const hash = createHash('sha256');
  let length = 0;
  cjs.fromSSE((signal) => fetch(${JSON.stringify(`${url}/stream`)}, { signal }), { dialect: 'openai-chat' })
    .pipe(esm.pausable(paused$, { maxBuffered: Infinity })) // no overflow: a copy that ignored the pause reads all 50 MB
    .subscribe({
      next(event) {
        if (event.type !== 'text') return;
        hash.update(event.text);
        length += event.text.length;
        if (length === event.text.length) {
          paused$.next(true);
          console.log('paused');
        }
      },
      error(error) {
        console.log(JSON.stringify({ error: String(error) }));
        process.exit(1);
      },
      complete() {
        console.log(JSON.stringify({ length, sha256: hash.digest('hex') }));
        process.exit(0);
      },
    });
`;

let server: BigStreamServer;
let child: ChildProcessWithoutNullStreams | undefined;

beforeEach(async () => {
  server = await startBigStreamServer();
});

afterEach(async () => {
  child?.kill();
  await server.close();
});

it('(6) a source from the CommonJS build stops for pausable from the ESM build', async () => {
  expect(existsSync(`${root}/dist/index.cjs`) && existsSync(`${root}/dist/index.js`)).toBe(true); // npm run build
  child = spawn('node', ['--input-type=module', '-e', script(server.url)], { cwd: root });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(String(chunk)));

  const first = await lines.next();
  expect([first.value, stderr.join('')]).toEqual(['paused', '']);
  await server.fullStreamRequested();
  const writtenWhilePaused = await settled(server);
  expect(writtenWhilePaused).toBeLessThan(pausedBound);
  await quiet(300);
  expect(server.written()).toBe(writtenWhilePaused);

  child.stdin.write('resume\n');
  const last = await lines.next();
  expect(JSON.parse(String(last.value))).toEqual({ length: full.length, sha256: full.sha256 });
});
