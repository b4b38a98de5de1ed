import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalize, from, Observable, Subject } from 'rxjs';
import { RxllmError } from '../../src/base/errors';
import { fromSSE } from '../../src/sources/fromSSE';
import { fromSSE as fromSSECore } from '../../src/core/fromSSE';
import { rxllmDialect } from '../../src/dialects/rxllm';
import { run, joinedText } from './helpers';

// A recorded stream with multi-byte text (its obfuscation field carries non-ASCII bytes too).
const fixture = readFileSync(join(__dirname, '../fixtures/openai-chat/text-obfuscation-usage.sse'));

/** `bytes` cut every `size` bytes: cuts land inside lines, `\n\n` pairs and UTF-8 sequences. */
function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('fromSSE inputs: an Observable or an array of chunks', () => {
  let expected: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    // What the same bytes decode to from a fetch Response, the input every other test uses.
    expected = await run(fromSSE(new Response(fixture), { dialect: 'openai-chat' }));
    expect(expected.completed).toBe(true);
    expect(joinedText(expected.events)).not.toBe('');
  });

  it.each([1, 7, 64])(
    'reads an array of Uint8Array chunks of %i bytes as it reads the Response',
    async (size) => {
      expect(await run(fromSSE(chunks(fixture, size), { dialect: 'openai-chat' }))).toEqual(expected);
    },
  );

  it('reads an array of strings', async () => {
    const text = fixture.toString('utf8');
    const pieces = [text.slice(0, 101), text.slice(101, 102), text.slice(102)];
    expect(await run(fromSSE(pieces, { dialect: 'openai-chat' }))).toEqual(expected);
  });

  it('reads an RxJS Observable of chunks, synchronous or not, and through rxllm/core', async () => {
    expect(await run(fromSSE(from(chunks(fixture, 5)), { dialect: 'openai-chat' }))).toEqual(expected);
    const later = new Subject<Uint8Array>();
    const outcome = run(fromSSE(later, { dialect: 'openai-chat' }));
    for (const chunk of chunks(fixture, 33)) {
      await Promise.resolve();
      later.next(chunk);
    }
    later.complete();
    expect(await outcome).toEqual(expected);
    const sse =
      'data: {"type":"text","text":"Hi"}\n\ndata: {"type":"finish","reason":"stop"}\n\ndata: [DONE]\n\n';
    const core = await run(fromSSECore(from([sse]), { dialect: rxllmDialect }));
    expect(core.completed).toBe(true);
    expect(joinedText(core.events)).toBe('Hi');
  });

  it('subscribes an Observable (or calls a function returning one) per subscription, lazily', async () => {
    let subscriptions = 0;
    const input = new Observable<Uint8Array>((subscriber) => {
      subscriptions++;
      for (const chunk of chunks(fixture, 100)) subscriber.next(chunk);
      subscriber.complete();
    });
    const events$ = fromSSE(input, { dialect: 'openai-chat' });
    expect(subscriptions).toBe(0);
    expect(await run(events$)).toEqual(expected);
    expect(await run(events$)).toEqual(expected);
    expect(subscriptions).toBe(2);
    expect(await run(fromSSE(() => input, { dialect: 'openai-chat' }))).toEqual(expected);
    expect(subscriptions).toBe(3);
  });

  it("fails with the Observable's error after the chunks before it, the message so far as partial", async () => {
    const cut = fixture.subarray(0, Math.floor(fixture.length / 2));
    const input = new Observable<Uint8Array>((subscriber) => {
      subscriber.next(cut);
      subscriber.error(new RxllmError('socket closed', { code: 'network' }));
    });
    const outcome = await run(fromSSE(input, { dialect: 'openai-chat' }));
    expect(outcome.completed).toBe(false);
    expect(outcome.error?.code).toBe('network');
    expect(outcome.error?.message).toBe('socket closed');
    expect(outcome.events.length).toBeGreaterThan(0);
    expect(outcome.error?.partial?.text).toBe(joinedText(outcome.events));
  });

  it('unsubscribes the input on unsubscribe, and once the terminal message arrived', async () => {
    let closed = 0;
    const input = new Subject<string>();
    const subscription = fromSSE(input.pipe(finalize(() => closed++)), { dialect: 'rxllm' }).subscribe();
    input.next('data: {"type":"text","text":"a"}\n\n');
    await Promise.resolve();
    expect(closed).toBe(0);
    subscription.unsubscribe();
    expect(closed).toBe(1);
    expect(input.observed).toBe(false);

    // After [DONE] the rest is not read: the input is let go although it never completes.
    const endless = new Subject<string>();
    const done = run(fromSSE(endless, { dialect: 'rxllm' }));
    endless.next('data: {"type":"text","text":"a"}\n\ndata: [DONE]\n\n');
    expect((await done).completed).toBe(true);
    expect(endless.observed).toBe(false);
  });

  it('rejects what is neither (a string, a number) at once, naming what it accepts', () => {
    expect(() => fromSSE('data: x\n\n' as never, { dialect: 'rxllm' })).toThrow(
      /expects a Response, ReadableStream, async iterable, Observable, array of chunks or \(signal\) => Response/,
    );
  });
});
