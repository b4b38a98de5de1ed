import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { linkedApp } from './linkedApp';

/**
 * The Node stream reader (src/sources/engine/readNodeStream.ts) is dist/nodeReader, imported by
 * the engine as `#nodeReader`: package.json's `imports` give Node the reader and a browser bundle
 * the stub; so are `#keepShapes`, `#decodeWhole` and `#nodeNetworkFailure`, and the rxllm dialect's event checker
 * (`#validateWireEvent`: a browser gets its light form). Checked on the built package (run `npm run
 * build` first), as a consumer resolves it.
 */
describe('Node-only modules: #nodeReader, #keepShapes, #decodeWhole, #nodeNetworkFailure, #validateWireEvent', () => {
  let app: string;

  beforeAll(() => {
    app = linkedApp('rxllm-node-reader-', 'dist/nodeReader.js', { rxjs: true });
  });

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const bundle = async (
    platform: 'browser' | 'node',
    contents = "export { fromSSE } from 'rxllm/core';",
    conditions?: string[],
  ): Promise<string> => {
    const result = await build({
      stdin: { contents, resolveDir: app, loader: 'js' },
      bundle: true,
      platform,
      format: 'esm',
      write: false,
      external: ['rxjs'],
      logLevel: 'silent',
      ...(conditions && { conditions }),
    });
    return result.outputFiles[0]!.text;
  };

  // The Node-only modules, each switched by its own `#name`: the stream reader; the keeper of
  // hidden classes across a GC (src/wire/keepShapes.ts), whose specimens would cost a browser app
  // bytes for nothing it would notice; the shared decoding of whole UTF-8 chunks
  // (src/wire/decodeWhole.ts), where a browser's streams each keep their own TextDecoder; the
  // network failures only Node's and Deno's fetch and sockets give (src/base/isNodeNetworkFailure.ts).
  it.each([
    ['#nodeReader', 'nodeReader'],
    ['#keepShapes', 'keepShapes'],
    ['#decodeWhole', 'decodeWhole'],
    ['#nodeNetworkFailure', 'nodeNetworkFailure'],
  ])('%s: a browser bundle gets the stub, a Node bundle the module', async (_, file) => {
    const browser = await bundle('browser');
    expect(browser).toContain(`// dist/${file}Stub.js`);
    expect(browser).not.toContain(`// dist/${file}.js`);
    const node = await bundle('node');
    expect(node).toContain(`// dist/${file}.js`);
    expect(node).not.toContain(`// dist/${file}Stub.js`);
  });

  // The rxllm dialect's checker: Node's checks every field as rxllmEventSchema does; a browser's
  // only the fields a message is built from (src/wire/rxllm/validateWireEventLight.ts); a server
  // runtime that is not Node (workerd, Deno, Bun, edge) the full one. Each bundle, run, reads: a
  // finish with a reason the schema does not know (Node's checker refuses it), a text event
  // without text, a fatal error that carries a `partial` of its own (the reader's message wins),
  // and a reasoning event whose `signature` claims a negative length before more text than
  // `maxMessageSize` allows (the limit holds).
  it.each([
    ['a browser', 'browser', undefined, 'Stub', 'finish malformed overloaded:Hi limit-exceeded'],
    ['Node', 'node', undefined, '', 'malformed malformed overloaded:Hi malformed'],
    [
      'workerd',
      'browser',
      ['workerd', 'worker', 'browser'],
      '',
      'malformed malformed overloaded:Hi malformed',
    ],
  ] as const)(
    '#validateWireEvent: %s gets its checker',
    async (runtime, platform, conditions, file, outcome) => {
      const source = `
      import { lastValueFrom, toArray } from 'rxjs';
      import { fromSSE } from 'rxllm/core';
      import { rxllmDecodeDialect } from 'rxllm/dialects/rxllm/decode';
      const read = (lines) =>
        lastValueFrom(fromSSE([lines.map((line) => 'data: ' + line + '\\n\\n').join('') + 'data: [DONE]\\n\\n'], { dialect: rxllmDecodeDialect, limits: { maxMessageSize: 100 } }).pipe(toArray()))
          .then((events) => events.map((event) => event.type).join(), (error) => error.code + (error.code === 'overloaded' ? ':' + error.partial.text : ''));
      const text = '{"type":"text","text":"abcdefghij"}';
      Promise.all([
        ['{"type":"finish","reason":"done"}'],
        ['{"type":"text"}'],
        ['{"type":"text","text":"Hi"}', '{"type":"error","error":{"code":"overloaded","message":"busy","partial":"not a message"},"fatal":true}'],
        ['{"type":"reasoning","text":"","signature":{"length":-1e300}}', ...Array(30).fill(text)],
      ].map(read)).then((results) => console.log(results.join(' ')));`;
      const code = await bundle(platform, source, conditions ? [...conditions] : undefined);
      expect(code).toContain(`// dist/validateWireEvent${file}.js`);
      expect(code).not.toContain(`// dist/validateWireEvent${file === '' ? 'Stub' : ''}.js`);
      const path = join(app, `checker-${runtime.replace(/\W/g, '')}.mjs`);
      writeFileSync(path, code);
      expect(execFileSync(process.execPath, [path], { cwd: app, encoding: 'utf8' }).trim()).toBe(outcome);
    },
  );

  it("a browser bundle holds none of the stream reader's code", async () => {
    expect(await bundle('browser')).not.toContain('Premature close');
    expect(await bundle('node')).toContain('Premature close');
  });

  it("a browser bundle holds none of Node's network failures; Node, through either build, classifies them", async () => {
    expect(await bundle('browser')).not.toContain('EHOSTUNREACH');
    expect(await bundle('node')).toContain('EHOSTUNREACH');
    const file = join(app, 'network-failure.cjs');
    writeFileSync(
      file,
      `const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      const undici = new TypeError('fetch failed');
      import('rxllm').then(({ RxllmError }) => {
        const codes = [RxllmError.from(reset).code, RxllmError.from(undici).code];
        console.log([...codes, ...[reset, undici].map((error) => require('rxllm').RxllmError.from(error).code)].join(' '));
      });`,
    );
    expect(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim()).toBe(
      'network network network network',
    );
  });

  // What a page's fetch throws is still a network failure in a browser bundle; undici's words are
  // not (a page never sees them), nor is a TypeError from a bug.
  it("a browser bundle classifies the browsers' fetch failures, and no others, as network", async () => {
    const code = await bundle(
      'browser',
      `import { RxllmError } from 'rxllm/core';
      const failures = ['Failed to fetch', 'Load failed', 'NetworkError when attempting to fetch resource.', 'fetch failed', 'x is not a function'];
      console.log(failures.map((message) => RxllmError.from(new TypeError(message)).code).join(' '));`,
    );
    const file = join(app, 'network-failure-browser.mjs');
    writeFileSync(file, code);
    expect(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim()).toBe(
      'network network network provider provider',
    );
  });

  // Read by the reader, an IncomingMessage is never iterated; the stub would leave it to the
  // engine's async-iterable path, which this response refuses. Both module systems, through the
  // package's exports.
  const consumer = (load: string) => `
    const { createServer, get } = require('node:http');
    ${load}
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n');
    });
    server.listen(0, '127.0.0.1', async () => {
      const { fromSSE } = await rxllm;
      const url = 'http://127.0.0.1:' + server.address().port + '/';
      const text = [];
      fromSSE((signal) => new Promise((resolve) => get(url, { signal }, (r) => { r[Symbol.asyncIterator] = () => { throw new Error('iterated'); }; resolve(r); })), { dialect: 'openai-chat' })
        .subscribe({
          next: (event) => { if (event.type === 'text') text.push(event.text); },
          error: (error) => { console.log('error ' + error.message); server.close(); },
          complete: () => { console.log(text.join('')); server.close(); },
        });
    });`;

  // Both from a CommonJS file: require() resolves the package's CommonJS build, import() its ESM
  // build (the `import` condition), each with its own #nodeReader.
  it.each([
    ['CommonJS build, require()', "const rxllm = Promise.resolve(require('rxllm'));"],
    ['ESM build, import()', "const rxllm = import('rxllm');"],
  ])('Node loads the reader (%s)', (_, load) => {
    const file = join(app, `consumer-${load.includes('require') ? 'require' : 'import'}.cjs`);
    writeFileSync(file, consumer(load));
    expect(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim()).toBe('Hi');
  });
});
