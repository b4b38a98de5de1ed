import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createReplayServer } from '../../src/testing/createReplayServer';
import { cloudAnswer, localAnswer, squash } from './expectedAnswers';
import { root, runDemo } from './runDemo';

/** The table row of `track`, split into its columns. */
function row(stdout: string, track: string): string[] {
  const line = stdout.split('\n').find((text) => text.startsWith(`${track}  `));
  if (!line) throw new Error(`no table row for ${track} in:\n${stdout}`);
  return line.trim().split(/ {2,}/);
}

const stackFrame = /^\s+at .+[(:]\d+/m;

describe('npm run demo', () => {
  jest.setTimeout(90_000);

  it('streams both tracks with compare and ends with the comparison table', async () => {
    const { code, stdout, stderr } = await runDemo(['--speed', '4']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('mergeTracks strategy compare');
    // Not a terminal: labelled lines as the text arrives, interleaved between the tracks.
    expect(stdout).toMatch(/^\[local\] The sky looks blue because of Rayleigh/m);
    expect(stdout).toMatch(/^\[cloud\] The sky is blue because of \*\*Rayleigh scattering\*\*\./m);
    expect(stdout).toMatch(/^\[local\] finish: stop$/m);
    expect(stdout).toMatch(/^\[cloud\] finish: stop$/m);
    // Both final answers, whole (the demo word-wraps them).
    expect(squash(stdout)).toContain(squash(localAnswer));
    expect(squash(stdout)).toContain(squash(cloudAnswer));
    expect(stdout).toMatch(/^track\s+model\s+TTFT\s+tok\/s\s+total\s+tokens\s+cost\s+finish$/m);
    const local = row(stdout, 'local');
    const cloud = row(stdout, 'cloud');
    expect(local[1]).toBe('llama3.2');
    expect(cloud[1]).toBe('gpt-4o-mini-2024-07-18');
    for (const columns of [local, cloud]) {
      expect(columns[2]).toMatch(/^\d+ ms$/); // time to first token
      expect(Number(columns[3])).toBeGreaterThan(0); // tokens per second
      expect(columns[4]).toMatch(/^\d+ ms$/); // total time
    }
    // Tokens as the servers report them (Ollama's eval_count, OpenAI's completion_tokens).
    expect(local[5]).toBe('98');
    expect(cloud[5]).toBe('185');
    // Ollama is free; gpt-4o-mini is $0.15 / $0.60 per million: 17 × 0.15 + 185 × 0.60 = 113.55 µ$.
    expect(local[6]).toBe('$0.000000');
    expect(cloud[6]).toBe('$0.000114');
    expect(local[7]).toBe('stop');
    expect(cloud[7]).toBe('stop');
    expect(stdout).toMatch(/^similarity local ~ cloud: 0\.\d\d \(word-cosine\)$/m);
  });

  it('hands the local draft off to the cloud answer with handoff, and still prints the table', async () => {
    const { code, stdout } = await runDemo(['--strategy', 'handoff', '--speed', '4']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\[local\] \(reset: handoff; the text above is void\)$/m);
    expect(stdout).toMatch(/^── local · .* · draft, voided by a handoff$/m);
    expect(squash(stdout)).toContain(squash(cloudAnswer));
    expect(row(stdout, 'local')[7]).toBe('cancelled');
    expect(row(stdout, 'cloud')[7]).toBe('stop');
    expect(row(stdout, 'cloud')[5]).toBe('185');
  });

  it('lets the first token win with race and reports the loser as cancelled', async () => {
    const { code, stdout } = await runDemo(['--strategy', 'race', '--speed', '4']);
    expect(code).toBe(0);
    expect(squash(stdout)).toContain(squash(localAnswer));
    expect(stdout).not.toContain('[cloud] The sky');
    const cloud = row(stdout, 'cloud');
    expect(cloud[7]).toBe('cancelled');
    expect(cloud[2]).toBe('-'); // it never showed a token
    expect(row(stdout, 'local')[7]).toBe('stop');
    expect(stdout).toContain('similarity local ~ cloud: n/a (cloud wrote nothing)');
  });

  it('prints the usage with --help and streams nothing', async () => {
    const { code, stdout } = await runDemo(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run demo -- \[options\]/);
    for (const word of ['compare', 'handoff', 'race', 'hedge', 'fallback', 'interleave'])
      expect(stdout).toMatch(new RegExp(`^\\s+${word}\\s`, 'm'));
    for (const flag of [
      '--strategy',
      '--prompt',
      '--speed',
      '--cloud',
      '--fail',
      'OLLAMA_HOST',
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
    ])
      expect(stdout).toContain(flag);
    expect(stdout).not.toContain('[local]');
  });

  it('rejects an unknown strategy with one line and the usage, exit code 2', async () => {
    const { code, stdout, stderr } = await runDemo(['--strategy', 'fastest']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      "demo: --strategy must be one of compare, handoff, race, hedge, fallback, interleave, got 'fastest'",
    );
    expect(stderr).toContain('Usage: npm run demo');
  });

  describe('with OLLAMA_HOST pointing at a server that answers HTTP 500', () => {
    let server: Server;
    let host: string;
    const received: Array<{ path: string; body: { model?: string; messages?: unknown } }> = [];

    beforeAll(async () => {
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        request.on('end', () => {
          received.push({ path: request.url ?? '', body: JSON.parse(body) as { model?: string } });
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'llama runner process has terminated: signal: killed' }));
        });
      });
      await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
      // Ollama's own notation: host:port, no scheme.
      host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

    it('shows the local failure as one line, no stack trace, and the cloud answer in full', async () => {
      const { code, stdout, stderr } = await runDemo(['--speed', '4', '--prompt', 'Why is the sky blue?'], {
        OLLAMA_HOST: host,
      });
      expect(code).toBe(0);
      expect(received).toEqual([
        {
          path: '/api/chat',
          body: expect.objectContaining({
            model: 'llama3.2',
            messages: [{ role: 'user', content: 'Why is the sky blue?' }],
            stream: true,
          }),
        },
      ]);
      expect(stdout).toContain(`llama3.2 (Ollama at http://${host})`);
      expect(stdout).toMatch(
        /^local: HTTP 500: llama runner process has terminated: signal: killed \(http\)$/m,
      );
      expect(stdout + stderr).not.toMatch(stackFrame);
      expect(squash(stdout)).toContain(squash(cloudAnswer));
      expect(row(stdout, 'local')[7]).toBe('error');
      expect(row(stdout, 'cloud')[7]).toBe('stop');
    });
  });

  it('exits 1 when every provider fails, still with one line per failure and the table', async () => {
    // A port that was just free: nothing listens, the connection is refused.
    const probe = createServer();
    await new Promise<void>((listening) => probe.listen(0, '127.0.0.1', listening));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((closed) => probe.close(() => closed()));
    const { code, stdout, stderr } = await runDemo(['--fail', 'cloud', '--speed', '4'], {
      OLLAMA_HOST: `127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      new RegExp(
        `^local: fetch failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) \\(network\\)$`,
        'm',
      ),
    );
    expect(stdout).toMatch(/^cloud: HTTP 401: Incorrect API key provided: sk-demo\. .* \(auth\)$/m);
    expect(stdout + stderr).not.toMatch(stackFrame);
    expect(row(stdout, 'local')[7]).toBe('error');
    expect(row(stdout, 'cloud')[7]).toBe('error');
  });

  it('shows an Anthropic auth failure (--fail cloud) as one line and keeps the local answer', async () => {
    const { code, stdout, stderr } = await runDemo([
      '--cloud',
      'anthropic',
      '--fail',
      'cloud',
      '--speed',
      '4',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('claude-haiku-4-5-20251001 (embedded Anthropic replay)');
    expect(stdout).toMatch(/^cloud: HTTP 401: invalid x-api-key \(auth\)$/m);
    expect(stdout.match(/HTTP 401/g)).toHaveLength(1);
    expect(stdout + stderr).not.toMatch(stackFrame);
    expect(squash(stdout)).toContain(squash(localAnswer));
    expect(row(stdout, 'cloud')[7]).toBe('error');
  });

  it('falls back to the cloud when the local model is missing (fallback, --fail local)', async () => {
    const { code, stdout, stderr } = await runDemo([
      '--strategy',
      'fallback',
      '--fail',
      'local',
      '--speed',
      '4',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^local: HTTP 404: model "llama3\.2" not found, try pulling it first \(http\)$/m);
    expect(stdout + stderr).not.toMatch(stackFrame);
    expect(squash(stdout)).toContain(squash(cloudAnswer));
    expect(row(stdout, 'cloud')[7]).toBe('stop');
    expect(row(stdout, 'cloud')[6]).toBe('$0.000114');
  });

  describe('with a real provider named by the environment', () => {
    const fixture = (path: string) => readFileSync(resolve(root, 'test/fixtures', path));

    it('streams the cloud track from OPENAI_API_KEY through the openai client (recorded gpt-4o stream)', async () => {
      const replay = await createReplayServer({
        transcript: fixture('openai-chat/text-include-usage.sse'),
        timing: { tokensPerSecond: 200 },
      });
      try {
        // The openai SDK reads OPENAI_BASE_URL: the demo's `new OpenAI()` talks to the replay server.
        const { code, stdout } = await runDemo(['--speed', '4'], {
          OPENAI_API_KEY: 'sk-test-key',
          OPENAI_BASE_URL: replay.openaiBaseURL,
        });
        expect(code).toBe(0);
        expect(replay.requests).toHaveLength(1);
        const request = replay.requests[0]!;
        expect(request.path).toBe('/v1/chat/completions');
        expect(request.headers.authorization).toBe('Bearer sk-test-key');
        expect(request.json).toEqual(
          expect.objectContaining({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Why is the sky blue?' }],
            stream: true,
            stream_options: { include_usage: true },
          }),
        );
        expect(stdout).toContain('gpt-4o-mini (OpenAI API)');
        expect(squash(stdout)).toContain(
          "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, " +
            'I recommend checking a reliable weather website or a weather app.',
        );
        expect(squash(stdout)).toContain(squash(localAnswer));
        const cloud = row(stdout, 'cloud');
        // The model the stream reports; 30 completion tokens; gpt-4o at $2.50 / $10 per million:
        // 14 × 2.5 + 30 × 10 = 335 µ$.
        expect(cloud[1]).toBe('gpt-4o-2024-08-06');
        expect(cloud[5]).toBe('30');
        expect(cloud[6]).toBe('$0.000335');
        expect(cloud[7]).toBe('stop');
      } finally {
        await replay.close();
      }
    });

    it('streams the cloud track from ANTHROPIC_API_KEY through @anthropic-ai/sdk (recorded Claude stream)', async () => {
      const replay = await createReplayServer({
        transcript: fixture('anthropic/text-basic-no-trailing-newline.sse'),
        timing: { tokensPerSecond: 200 },
      });
      try {
        const { code, stdout } = await runDemo(['--speed', '4', '--strategy', 'interleave'], {
          ANTHROPIC_API_KEY: 'sk-ant-test-key',
          ANTHROPIC_BASE_URL: replay.anthropicBaseURL,
        });
        expect(code).toBe(0);
        expect(replay.requests).toHaveLength(1);
        const request = replay.requests[0]!;
        expect(request.path).toBe('/v1/messages');
        // This SDK version sends the key as a bearer token.
        expect(request.headers.authorization).toBe('Bearer sk-ant-test-key');
        expect(request.json).toEqual(
          expect.objectContaining({ model: 'claude-haiku-4-5', max_tokens: 1024, stream: true }),
        );
        expect(stdout).toContain('claude-haiku-4-5 (Anthropic API)');
        expect(stdout).toMatch(/^\[cloud\] Hello there!$/m);
        const cloud = row(stdout, 'cloud');
        // claude-3-opus at $15 / $75 per million: 11 × 15 + 6 × 75 = 615 µ$.
        expect(cloud[1]).toBe('claude-3-opus-20240229');
        expect(cloud[5]).toBe('6');
        expect(cloud[6]).toBe('$0.000615');
        expect(cloud[7]).toBe('stop');
      } finally {
        await replay.close();
      }
    });
  });
});
