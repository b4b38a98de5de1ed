import OpenAI from 'openai';
import { concat, of, throwError, VirtualTimeScheduler } from 'rxjs';
import { isMetaEvent, type ContentEvent, type RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { mergeTracks } from '../../src/tracks/mergeTracks';
import { collect } from '../../src/sinks/collect';
import { messageReducer } from '../../src/sinks/messageReducer';
import { subscribeWithHandlers } from '../../src/sinks/subscribeWithHandlers';
import { fromOllama } from '../../src/sources/fromOllama';
import { fromOpenAI } from '../../src/sources/fromOpenAI';
import { fromTokens } from '../../src/sources/fromTokens';
import { ev } from '../../src/testing/eventBuilders';
import { createReplayServer, type ReplayServer } from '../../src/testing/createReplayServer';
import { fixtureBytes } from '../support/decodeFixture';

/**
 * "Two folds disagree" (issue 9): `collect`, every error's `partial` and `subscribeWithHandlers`
 * folded events with a `MessageAccumulator` that ignored `track` (and whose `reset` cleared every
 * track), while `messageReducer` kept tracks apart. Now both are one fold (src/base/fold.ts).
 */

/** Two tracks whose tokens interleave: English and French, one token each in turn. */
function interleaved(): RxllmEvent[] {
  // In virtual time: English at 0 and 20, French at 10 and 30.
  const scheduler = new VirtualTimeScheduler();
  const events: RxllmEvent[] = [];
  fromTokens(['Hello', ' world'], { delayMs: 20, firstTokenDelayMs: 0, scheduler })
    .pipe(
      mergeTracks(
        { fr: fromTokens(['Bonjour', ' monde'], { delayMs: 20, firstTokenDelayMs: 10, scheduler }) },
        { strategy: 'interleave', name: 'en', scheduler },
      ),
    )
    .subscribe((event) => events.push(event));
  scheduler.flush();
  return events;
}

describe('one fold', () => {
  it('collects an interleaved stream track by track instead of mixing the texts', async () => {
    const events = interleaved();
    // The tokens really did interleave.
    expect(events.filter((event) => event.type === 'text').map((event) => event.track)).toEqual([
      'en',
      'fr',
      'en',
      'fr',
    ]);
    const message = await collect(of(...events));
    expect(message.text).toBe('Hello world');
    expect(message.tracks?.en?.text).toBe('Hello world');
    expect(message.tracks?.fr?.text).toBe('Bonjour monde');
    expect(message.tracks?.fr?.finishReason).toBe('stop');
  });

  it("clears only its own track on a reset, as the store's reducer does", async () => {
    const events: RxllmEvent[] = [
      ev.text('draft', 'local'),
      ev.text('Final ', 'cloud'),
      ev.reset('handoff', 'local'),
      ev.text('answer', 'cloud'),
    ];
    const message = await collect(of(...events));
    const state = events.reduce(messageReducer, messageReducer.initialState);
    expect(message.tracks?.local?.text).toBe('');
    expect(message.tracks?.cloud?.text).toBe('Final answer');
    expect(message.text).toBe('Final answer');
    for (const name of ['local', 'cloud']) {
      expect(message.tracks?.[name]?.text).toBe(state.tracks[name]!.text);
    }
  });

  it("gives a failed multi-track stream's error a partial per track", async () => {
    const failure = new RxllmError('socket hang up', { code: 'network' });
    const error = await collect(
      concat(
        of(ev.text('Hello', 'en'), ev.text('Bonjour', 'fr'), ev.text(' world', 'en')),
        throwError(() => failure),
      ),
    ).then(
      () => undefined,
      (thrown: unknown) => thrown as RxllmError,
    );
    expect(error?.partial?.tracks?.en?.text).toBe('Hello world');
    expect(error?.partial?.tracks?.fr?.text).toBe('Bonjour');
  });

  it("hands subscribeWithHandlers' onComplete the same message as collect, over real servers", async () => {
    const servers: ReplayServer[] = [
      await createReplayServer({ transcript: fixtureBytes('ollama/generate-text-context-metrics.ndjson') }),
      await createReplayServer({ transcript: fixtureBytes('openai-chat/text-include-usage.sse') }),
    ];
    try {
      const openai = new OpenAI({ apiKey: 'test', baseURL: servers[1]!.openaiBaseURL, maxRetries: 0 });
      const pipeline = () =>
        fromOllama({ baseUrl: servers[0]!.url, model: 'granite3.3:2b', prompt: 'Name a hamster.' }).pipe(
          mergeTracks(
            { cloud: fromOpenAI(openai, { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }) },
            { strategy: 'interleave', name: 'local' },
          ),
        );
      const collected = await collect(pipeline());
      const handled = await subscribeWithHandlers(pipeline(), {}).done;
      expect(collected.tracks?.local?.text).toBe('Fluffy Burrower.');
      expect(collected.tracks?.cloud?.text).toMatch(/^I'm unable to provide real-time weather updates\./);
      expect(collected.tracks?.cloud?.usage).toMatchObject({ inputTokens: 14, outputTokens: 30 });
      expect(handled.tracks).toEqual(collected.tracks);
      expect(handled.totalUsage).toEqual(collected.totalUsage);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it('lets an exhaustive switch over content skip metadata with one guard (checked by tsc)', () => {
    // Every content type has a case and none is a metadata type: adding a content event type
    // without a case, or a case for `progress`, fails the type check of this file.
    const kind = (event: ContentEvent): string => {
      switch (event.type) {
        case 'step-start':
        case 'step-finish':
        case 'start':
        case 'finish':
        case 'usage':
          return 'frame';
        case 'text':
        case 'reasoning':
        case 'refusal':
        case 'tool-call-start':
        case 'tool-call-delta':
        case 'tool-call':
        case 'tool-result':
          return 'content';
        case 'reset':
        case 'error':
          return 'control';
        default: {
          const unhandled: never = event;
          return unhandled;
        }
      }
    };
    const events: RxllmEvent[] = [
      ev.stepStart(0, { model: 'gpt-4o' }),
      ev.text('Hi'),
      { type: 'progress', tokens: 1, characters: 2, elapsedMs: 5, tokensPerSecond: 0 },
      { type: 'usage-total', inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      ev.finish(),
    ];
    const kinds = events.map((event) => (isMetaEvent(event) ? 'meta' : kind(event)));
    expect(kinds).toEqual(['frame', 'content', 'meta', 'meta', 'frame']);
  });

  it('keeps a track named __proto__ an own track in both uses of the fold', async () => {
    const events = [ev.text('a', '__proto__'), ev.text('b', 'constructor'), ev.text('c', '__proto__')];
    const message = await collect(of(...events));
    expect(Object.hasOwn(message.tracks!, '__proto__')).toBe(true);
    expect(message.tracks?.['__proto__']?.text).toBe('ac');
    expect(message.tracks?.['constructor']?.text).toBe('b');
    const state = events.reduce(messageReducer, messageReducer.initialState);
    expect(Object.getPrototypeOf(state.tracks)).toBe(Object.prototype);
    expect(Object.keys(state.tracks)).toEqual(['__proto__', 'constructor']);
    expect(state.tracks['__proto__']!.text).toBe('ac');
  });
});
