import { concat, map, of, throwError } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { toSSE } from '../../src/operators/toSSE';
import { fromSSE } from '../../src/sources/fromSSE';
import { toResponse } from '../../src/sinks/toResponse';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { ev } from '../../src/testing/eventBuilders';
import { gatedSource, turns } from './gatedSource';

describe('toResponse', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams the frames as the body with the SSE headers', async () => {
    const response = toResponse(of('event: text\ndata: {"type":"text","text":"Hi"}\n\n', 'data: [DONE]\n\n'));
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    expect(await response.text()).toBe('event: text\ndata: {"type":"text","text":"Hi"}\n\ndata: [DONE]\n\n');
  });

  it('merges the headers and status given, which win over the defaults', async () => {
    const response = toResponse(of('data: x\n\n'), {
      status: 201,
      statusText: 'Created',
      headers: { 'Cache-Control': 'no-store', 'x-request-id': 'req_1' },
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  });

  it("adds the AI SDK's header for frames in the ai-sdk-ui dialect", () => {
    const response = toResponse(of('data: {}\n\n'), { dialect: 'ai-sdk-ui' });
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
  });

  it("names the dialect once: reads its headers from toSSE's output, the dialect option overriding", async () => {
    const events$ = of(ev.text('Hi'));
    const aiSdk = toResponse(events$.pipe(toSSE({ dialect: 'ai-sdk-ui' })));
    expect(aiSdk.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(aiSdk.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await aiSdk.text()).toContain('"type":"text-delta"');
    // Another dialect's output does not get the AI SDK's header.
    const openAI = toResponse(events$.pipe(toSSE({ dialect: 'openai-chat' })));
    expect(openAI.headers.get('x-vercel-ai-ui-message-stream')).toBeNull();
    // The option still wins, as an override.
    const overridden = toResponse(events$.pipe(toSSE({ dialect: 'ai-sdk-ui' })), { dialect: 'rxllm' });
    expect(overridden.headers.get('x-vercel-ai-ui-message-stream')).toBeNull();
    // An operator after toSSE makes a new Observable, which says nothing: the option is needed then.
    const piped = toResponse(
      events$.pipe(
        toSSE({ dialect: 'ai-sdk-ui' }),
        map((frame) => frame),
      ),
    );
    expect(piped.headers.get('x-vercel-ai-ui-message-stream')).toBeNull();
  });

  it('reads the dialect from the output of another installed copy of toSSE (a Symbol.for key)', () => {
    const frames$ = of('data: {}\n\n');
    Object.defineProperty(frames$, Symbol.for('rxllm.frames.sseOutput'), {
      value: { dialect: 'ai-sdk-ui', headers: { 'x-vercel-ai-ui-message-stream': 'v1', bad: 42 } },
    });
    const response = toResponse(frames$);
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('bad')).toBeNull(); // only string headers are taken
  });

  it('encodes multibyte text correctly however it is read', async () => {
    const response = toResponse(of('data: 你好\n\n', 'data: 👋🏽\n\n'));
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.length).toBe(30);
    expect(new TextDecoder().decode(bytes)).toBe('data: 你好\n\ndata: 👋🏽\n\n');
  });

  it('does not subscribe until the body is read', async () => {
    const { source, stats } = gatedSource(['data: a\n\n']);
    const response = toResponse(source);
    await turns();
    expect(stats.subscribed).toBe(0);
    expect(await response.text()).toBe('data: a\n\n');
    expect(stats.subscribed).toBe(1);
  });

  it('ends the body normally after the error frame when the frames fail, and reports the error', async () => {
    const failure = new RxllmError('Overloaded', { code: 'overloaded' });
    const errors: unknown[] = [];
    const response = toResponse(
      concat(
        of('data: a\n\n', 'event: error\ndata: {"fatal":true}\n\n'),
        throwError(() => failure),
      ),
      { onError: (error) => errors.push(error) },
    );
    expect(await response.text()).toBe('data: a\n\nevent: error\ndata: {"fatal":true}\n\n');
    expect(errors).toEqual([failure]);
  });

  it('unsubscribes when the body is cancelled', async () => {
    const { source, stats } = gatedSource(Array.from({ length: 100 }, (_, i) => `data: ${i}\n\n`));
    const reader = toResponse(source, { highWaterMark: 2 }).body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: 0\n\n');
    await reader.cancel();
    expect(stats.unsubscribed).toBe(1);
    expect(stats.completed).toBe(false);
    const produced = stats.produced;
    await turns(20);
    expect(stats.produced).toBe(produced);
  });

  it('proxies an upstream stream end to end, and cancelling the body aborts the upstream request', async () => {
    let transcript = '';
    for (let i = 0; i < 30; i += 1) transcript += `event: text\ndata: {"type":"text","text":"w${i} "}\n\n`;
    transcript += 'event: done\ndata: [DONE]\n\n';
    server = await createReplayServer({
      routes: {
        '/fast': { transcript },
        '/slow': { transcript, timing: { tokensPerSecond: 100 } },
      },
    });
    const url = server.url;
    const upstream = (path: string) =>
      fromSSE((signal) => fetch(`${url}${path}`, { signal }), { dialect: 'rxllm' }).pipe(
        toSSE({ dialect: 'openai-chat', id: 'chatcmpl-1', model: 'm' }),
      );

    const whole = await toResponse(upstream('/fast')).text();
    const chunks = whole.split('\n\n').filter((frame) => frame !== '');
    expect(chunks.at(-1)).toBe('data: [DONE]');
    const texts = chunks
      .slice(0, -1)
      .map((frame) => JSON.parse(frame.slice('data: '.length)))
      .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
      .join('');
    expect(texts).toBe(Array.from({ length: 30 }, (_, i) => `w${i} `).join(''));

    const reader = toResponse(upstream('/slow')).body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"content":"w0 "');
    await reader.cancel();
    const slow = await (await server.waitForRequest(1)).closed;
    expect(slow.clientClosed).toBe(true);
    expect(slow.completed).toBe(false);
  });

  it('errors the body with a clear message when given events instead of frames', async () => {
    const response = toResponse(of({ type: 'text', text: 'Hi' }) as never);
    await expect(response.text()).rejects.toThrow(
      'rxllm: toResponse takes SSE frames (strings), got [object Object]; pipe events through toSSE() first',
    );
  });

  it('throws at once for a source that is not an Observable', () => {
    expect(() => toResponse('data: x\n\n' as never)).toThrow(
      'rxllm: toResponse expects an Observable of SSE frames, got data: x',
    );
  });
});
