import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface Frame {
  event?: string;
  id?: string;
  data: string;
}

/**
 * Reads SSE frames from `url` until the server ends the response, or until `stopWhen` says so
 * (then the connection is dropped, as a closed tab would).
 */
export async function readFrames(
  url: string,
  init: { method?: string; headers?: Record<string, string>; stopWhen?: (frames: Frame[]) => boolean } = {},
): Promise<{ status: number; frames: Frame[]; dropped: boolean }> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    signal: abort.signal,
  });
  const frames: Frame[] = [];
  if (response.body === null) return { status: response.status, frames, dropped: false };
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: Frame = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const text = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = text;
        else if (field === 'id') frame.id = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length === 0) continue;
      frame.data = data.join('\n');
      frames.push(frame);
      if (init.stopWhen?.(frames)) {
        abort.abort();
        await reader.cancel().catch(() => {});
        return { status: response.status, frames, dropped: true };
      }
    }
  }
  return { status: response.status, frames, dropped: false };
}

/** The answer text in rxllm-dialect frames. */
export function textOf(frames: Frame[]): string {
  return frames
    .filter((frame) => frame.event === 'text')
    .map((frame) => (JSON.parse(frame.data) as { text: string }).text)
    .join('');
}

export interface Instance {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts test/redis/support/instance.ts in its own Node process. */
export function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'instance.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match)
        resolvePromise({
          url: `http://127.0.0.1:${match[1]}`,
          process: child,
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise((done) => child.once('exit', done));
            child.kill('SIGKILL');
            await exited;
          },
        });
    });
    child.once('exit', (code) => reject(new Error(`instance exited (${code}): ${output}`)));
  });
}
