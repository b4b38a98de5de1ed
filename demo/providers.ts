import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { Observable } from 'rxjs';
import type { RxllmEvent } from '../src/base/events';
import { fromAnthropic } from '../src/sources/fromAnthropic';
import { fromOllama } from '../src/sources/fromOllama';
import { fromOpenAI } from '../src/sources/fromOpenAI';
import { faults, models, startModelServer, type Api, type ModelServer } from './modelServer';

export type CloudApi = 'openai' | 'anthropic';

export interface TracksConfig {
  prompt: string;
  /** Playback speed of the embedded servers. Default 1. */
  speed?: number;
  /** Which cloud API to use; default: OpenAI unless only ANTHROPIC_API_KEY is set. */
  cloud?: CloudApi;
  /** Make the embedded server of this track answer with the provider's real error (a demo of failure). */
  fail?: 'local' | 'cloud';
  /**
   * An embedded server to use (the web demo shares one across requests); without it one is
   * started when a track needs it, and `close()` stops it.
   */
  server?: ModelServer;
  /** Where OLLAMA_HOST, OPENAI_API_KEY and ANTHROPIC_API_KEY are read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface Track {
  /** A cold source: every subscription makes one request. */
  source: Observable<RxllmEvent>;
  /** The model asked. */
  model: string;
  /** Where it runs: `embedded Ollama replay`, `Ollama at http://...`, `OpenAI API`, ... */
  where: string;
}

export interface Tracks {
  local: Track;
  cloud: Track;
  /** The embedded server, when one of the tracks uses it. */
  server?: ModelServer;
  close(): Promise<void>;
}

/**
 * The local and the cloud track of the demo: real providers where the environment names them
 * (`OLLAMA_HOST`, `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`), else an embedded server on 127.0.0.1
 * that replays realistic streams through the very same sources and SDK clients.
 */
export async function createTracks(config: TracksConfig): Promise<Tracks> {
  const env = config.env ?? process.env;
  const messages = [{ role: 'user' as const, content: config.prompt }];
  const ollamaHost = env.OLLAMA_HOST?.trim() || undefined;
  const cloudApi: CloudApi =
    config.cloud ?? (!env.OPENAI_API_KEY && env.ANTHROPIC_API_KEY ? 'anthropic' : 'openai');
  const cloudKey = cloudApi === 'openai' ? env.OPENAI_API_KEY : env.ANTHROPIC_API_KEY;
  const needsServer = ollamaHost === undefined || !cloudKey;

  let server: ModelServer | undefined = config.server;
  const ownServer = needsServer && server === undefined;
  if (ownServer) {
    const injected: Partial<Record<Api, (typeof faults)[Api]>> = {};
    if (config.fail === 'local') injected.ollama = faults.ollama;
    if (config.fail === 'cloud') injected[cloudApi] = faults[cloudApi];
    server = await startModelServer({ speed: config.speed ?? 1, faults: injected });
    // The first fetch in a process loads its HTTP client (a few hundred ms): pay that here, so
    // that the time to first token measures the replayed model, not Node starting up.
    await fetch(`${server.url}/warm-up`).then((response) => response.arrayBuffer());
  }

  const localModel = ollamaHost ? (env.OLLAMA_MODEL ?? 'llama3.2') : models.ollama;
  const local: Track = {
    model: localModel,
    where: ollamaHost ? `Ollama at ${withScheme(ollamaHost)}` : 'embedded Ollama replay',
    source: fromOllama({
      model: localModel,
      messages,
      baseUrl: ollamaHost ? withScheme(ollamaHost) : server!.url,
    }),
  };

  let cloud: Track;
  if (cloudApi === 'openai') {
    const client = cloudKey
      ? new OpenAI({ apiKey: cloudKey })
      : new OpenAI({ apiKey: 'sk-demo', baseURL: `${server!.url}/v1`, maxRetries: 0 });
    const model = cloudKey ? (env.OPENAI_MODEL ?? 'gpt-4o-mini') : models.openai;
    cloud = {
      model,
      where: cloudKey ? 'OpenAI API' : 'embedded OpenAI replay',
      source: fromOpenAI(client, { model, messages }),
    };
  } else {
    const client = cloudKey
      ? new Anthropic({ apiKey: cloudKey })
      : new Anthropic({ apiKey: 'sk-ant-demo', baseURL: server!.url, maxRetries: 0 });
    const model = cloudKey ? (env.ANTHROPIC_MODEL ?? 'claude-haiku-4-5') : models.anthropic;
    cloud = {
      model,
      where: cloudKey ? 'Anthropic API' : 'embedded Anthropic replay',
      source: fromAnthropic(client, { model, max_tokens: 1024, messages }),
    };
  }

  const tracks: Tracks = { local, cloud, close: async () => (ownServer ? server?.close() : undefined) };
  if (server) tracks.server = server;
  return tracks;
}

/** Ollama's own CLI accepts `OLLAMA_HOST=127.0.0.1:11434`; fetch needs the scheme. */
function withScheme(host: string): string {
  return /^https?:\/\//.test(host) ? host : `http://${host}`;
}
