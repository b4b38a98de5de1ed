import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BehaviorSubject, finalize, tap } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { createMemoryStreamLog } from '../../src/log/createMemoryStreamLog';
import { persistStream } from '../../src/log/persistStream';
import { resumeAfter } from '../../src/log/serveStreamLog';
import { streamLogToSSE } from '../../src/log/streamLogToSSE';
import type { StreamLogStore } from '../../src/log/StreamLogStore';
import { sseHeaders } from '../../src/wire/sseHeaders';
import { aggregateUsage } from '../../src/operators/aggregateUsage';
import { mergeTracks, type MergeStrategy } from '../../src/tracks/mergeTracks';
import { pausable } from '../../src/operators/pausable';
import { progress } from '../../src/operators/progress';
import { pipeToNodeResponse } from '../../src/sinks/pipeToNodeResponse';
import { defaultPrompt } from '../answers';
import { mergeConfig, strategies } from '../strategies';
import { startModelServer, type ModelServer, type ModelServerConfig } from '../modelServer';
import { createTracks, type CloudApi } from '../providers';

export interface DemoWebConfig {
  /** The folder holding index.html and client.js. */
  staticDir: string;
  /** Port to listen on (127.0.0.1). Default 0: a free one. */
  port?: number;
  /** Playback speed of the embedded model servers and the strategies' timers. Default 1. */
  speed?: number;
  /** Which cloud API to use when no API key chooses. */
  cloud?: CloudApi;
  /** Environment with OLLAMA_HOST, OPENAI_API_KEY, ANTHROPIC_API_KEY. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where runs are recorded, so that a reloaded page or a second tab reads them: default an
   * in-memory log (this process); `npm run demo:web` passes a Redis one when REDIS_URL is set.
   */
  log?: StreamLogStore;
  /** The recorder's `batchMs`. Default 0 (the next turn): one process, no round trips to save. */
  batchMs?: number;
  /** The embedded model server's `hold` (tests): its streams wait before their last token. */
  hold?: ModelServerConfig['hold'];
}

export interface DemoWebServer {
  url: string;
  /** The embedded model server (what the tracks stream from when no real provider is set). */
  models: ModelServer;
  /** Streams the page is being sent right now. */
  readonly openStreams: number;
  /** SSE frames handed to the page's responses so far (all streams). */
  readonly framesSent: number;
  close(): Promise<void>;
}

/**
 * The web demo's server: the page, and `GET /stream?session=<run id>` which runs `mergeTracks(...)`
 * of a local and a cloud track into a stream log (`persistStream`, detached from the page) and
 * sends the log as rxllm-dialect SSE (`streamLogToSSE` into `pipeToNodeResponse`). A page that
 * reloads, or a second tab, asks for the same run id and reads the run from the log (after its
 * `Last-Event-ID` when the browser reconnects by itself), then follows it live: closing a page
 * never stops the run. `POST /pause` and `POST /resume` drive the run's `pausable` gate;
 * `POST /cancel` cancels the run through the log (`log.cancel`), which aborts both upstream
 * requests and ends every page's stream with `finish` reason `cancelled`.
 */
export async function startDemoWebServer(config: DemoWebConfig): Promise<DemoWebServer> {
  const speed = config.speed ?? 1;
  const env = config.env ?? process.env;
  const models = await startModelServer({ speed, ...(config.hold && { hold: config.hold }) });
  const log = config.log ?? createMemoryStreamLog();
  const batchMs = config.batchMs ?? 0;
  /** The pause gates of the runs this process is producing. */
  const runs = new Map<string, BehaviorSubject<boolean>>();
  const producers = new Set<{ unsubscribe(): void }>();
  let openStreams = 0;
  let framesSent = 0;

  /** Starts the run `session` unless it exists (in this process or, with Redis, any other). */
  const produce = async (session: string, url: URL, res: ServerResponse): Promise<boolean> => {
    if ((await log.state(session)) !== 'unknown') return true;
    const strategy = (url.searchParams.get('strategy') ?? 'compare') as MergeStrategy;
    const prompt = url.searchParams.get('prompt')?.trim() || defaultPrompt;
    if (!strategies.includes(strategy)) {
      sendText(res, 400, `strategy must be one of ${strategies.join(', ')}`);
      return false;
    }
    const tracks = await createTracks({
      prompt,
      speed,
      server: models,
      env,
      ...(config.cloud && { cloud: config.cloud }),
    });
    const paused = new BehaviorSubject(false);
    const events$ = tracks.local.source.pipe(
      mergeTracks({ cloud: tracks.cloud.source }, mergeConfig(strategy, speed)),
      aggregateUsage({ prompt }),
      progress({ intervalMs: 250 }),
      pausable(paused),
      finalize(() => {
        runs.delete(session);
        paused.complete();
      }),
    );
    try {
      const producer = await persistStream(events$, log, session, { batchMs });
      runs.set(session, paused);
      producers.add(producer);
      producer.add(() => producers.delete(producer));
    } catch (error) {
      // Two pages started the same run at once: the other one's producer runs it.
      if (!(RxllmError.isInstance(error) && error.code === 'invalid-argument')) throw error;
    }
    return true;
  };

  const stream = async (req: IncomingMessage, url: URL, res: ServerResponse) => {
    const session = url.searchParams.get('session') ?? '';
    if (!/^[\w-]{1,64}$/.test(session))
      return sendText(res, 400, 'session must be an id of letters, digits, _ or -');
    if (!(await produce(session, url, res))) return;
    openStreams++;
    const frames$ = streamLogToSSE(log, session, { dialect: 'rxllm', after: resumeAfter(req) }).pipe(
      tap(() => framesSent++),
    );
    try {
      await pipeToNodeResponse(frames$, res, {
        dialect: 'rxllm',
        headers: sseHeaders('rxllm'),
        heartbeatMs: 15_000,
      });
    } finally {
      openStreams--;
    }
  };

  const control = async (url: URL, res: ServerResponse) => {
    const session = url.searchParams.get('session') ?? '';
    if (url.pathname === '/cancel') {
      // Any page may stop the run, wherever it is produced.
      if (!(await log.cancel(session))) return sendText(res, 404, 'no such run (it may have ended)');
      return void res.writeHead(204).end();
    }
    const paused = runs.get(session);
    if (!paused) return sendText(res, 404, 'no such run (it may have ended)');
    paused.next(url.pathname === '/pause');
    res.writeHead(204).end();
  };

  const files: Record<string, string> = {
    '/': 'index.html',
    '/index.html': 'index.html',
    '/client.js': 'client.js',
  };
  const types: Record<string, string> = { html: 'text/html', js: 'text/javascript' };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    if (req.method === 'GET' && url.pathname === '/stream') return stream(req, url, res);
    if (req.method === 'GET' && url.pathname === '/info') {
      // What the page shows before a run: the tracks (model and where it runs) and the choices.
      const { local, cloud } = await createTracks({
        prompt: defaultPrompt,
        server: models,
        env,
        ...(config.cloud && { cloud: config.cloud }),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          defaultPrompt,
          strategies,
          tracks: { local: `${local.model} (${local.where})`, cloud: `${cloud.model} (${cloud.where})` },
        }),
      );
    }
    if (req.method === 'POST' && ['/pause', '/resume', '/cancel'].includes(url.pathname))
      return control(url, res);
    const file = files[url.pathname];
    if (req.method === 'GET' && file) {
      const body = await readFile(join(config.staticDir, file));
      res.writeHead(200, {
        'content-type': `${types[file.split('.').pop()!]}; charset=utf-8`,
        'cache-control': 'no-store',
      });
      return void res.end(body);
    }
    sendText(res, 404, 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    models,
    get openStreams() {
      return openStreams;
    },
    get framesSent() {
      return framesSent;
    },
    async close() {
      for (const producer of [...producers]) producer.unsubscribe();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await models.close();
    },
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
