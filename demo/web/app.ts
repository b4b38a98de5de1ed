import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BehaviorSubject, tap } from 'rxjs';
import { aggregateUsage } from '../../src/operators/aggregateUsage';
import { mergeTracks, type MergeStrategy } from '../../src/tracks/mergeTracks';
import { pausable } from '../../src/operators/pausable';
import { progress } from '../../src/operators/progress';
import { toSSE } from '../../src/operators/toSSE';
import { pipeToNodeResponse } from '../../src/sinks/pipeToNodeResponse';
import { defaultPrompt } from '../answers';
import { mergeConfig, strategies } from '../strategies';
import { startModelServer, type ModelServer } from '../modelServer';
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

interface Session {
  paused: BehaviorSubject<boolean>;
  cancel: AbortController;
}

/**
 * The web demo's server: the page, and `GET /stream` which streams `mergeTracks(...)` of a local
 * and a cloud track as rxllm-dialect SSE (`toSSE` into `pipeToNodeResponse`), paused and resumed
 * by `POST /pause` and `POST /resume` (a per-session `BehaviorSubject<boolean>` driving
 * `pausable`), cancelled by `POST /cancel` or by the page closing its EventSource (either way the
 * subscription ends and the upstream requests are aborted).
 */
export async function startDemoWebServer(config: DemoWebConfig): Promise<DemoWebServer> {
  const speed = config.speed ?? 1;
  const env = config.env ?? process.env;
  const models = await startModelServer({ speed });
  const sessions = new Map<string, Session>();
  let openStreams = 0;
  let framesSent = 0;

  const stream = async (url: URL, res: ServerResponse) => {
    const session = url.searchParams.get('session') ?? '';
    const strategy = (url.searchParams.get('strategy') ?? 'compare') as MergeStrategy;
    const prompt = url.searchParams.get('prompt')?.trim() || defaultPrompt;
    if (!/^[\w-]{1,64}$/.test(session) || sessions.has(session))
      return sendText(res, 400, 'session must be a new id of letters, digits, _ or -');
    if (!strategies.includes(strategy))
      return sendText(res, 400, `strategy must be one of ${strategies.join(', ')}`);
    const tracks = await createTracks({
      prompt,
      speed,
      server: models,
      env,
      ...(config.cloud && { cloud: config.cloud }),
    });
    const state: Session = { paused: new BehaviorSubject(false), cancel: new AbortController() };
    sessions.set(session, state);
    openStreams++;
    const frames$ = tracks.local.source.pipe(
      mergeTracks({ cloud: tracks.cloud.source }, mergeConfig(strategy, speed)),
      aggregateUsage({ prompt }),
      progress({ intervalMs: 250 }),
      pausable(state.paused),
      toSSE({ dialect: 'rxllm' }),
      tap(() => framesSent++),
    );
    try {
      await pipeToNodeResponse(frames$, res, { signal: state.cancel.signal, heartbeatMs: 15_000 });
    } finally {
      openStreams--;
      sessions.delete(session);
      state.paused.complete();
    }
  };

  const control = (url: URL, res: ServerResponse) => {
    const state = sessions.get(url.searchParams.get('session') ?? '');
    if (!state) return sendText(res, 404, 'no such session (it may have ended)');
    if (url.pathname === '/pause') state.paused.next(true);
    else if (url.pathname === '/resume') state.paused.next(false);
    else state.cancel.abort();
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
    if (req.method === 'GET' && url.pathname === '/stream') return stream(url, res);
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
      for (const state of sessions.values()) state.cancel.abort();
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
