import { Observable, of } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import type { Message } from '../../src/base/message';
import { deadline } from '../../src/operators/deadline';
import { mergeTracks } from '../../src/tracks/mergeTracks';
import { retryStream } from '../../src/operators/retryStream';
import { toSSE } from '../../src/operators/toSSE';
import { ev } from '../../src/testing/eventBuilders';
import { marbles } from '../../src/testing/marbles';

/**
 * The retry model shared by retryStream, deadline's fallback and mergeTracks' fallback: retry or
 * fall back freely before output; after output only when `afterOutput` asks for it.
 */
const overloaded = new RxllmError('Overloaded', { code: 'overloaded' });

describe("mergeTracks fallback's afterOutput", () => {
  it("'fail' (default): a track that failed after output ends the stream; the next never starts", () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const local = cold<RxllmEvent>('-a#', { a: ev.text('Hel') }, overloaded);
      const cloud = cold('-x|', { x: ev.text('Hi') });
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'fallback', name: 'local' }))).toBe(
        '-A#',
        { A: ev.text('Hel', 'local') },
        overloaded,
      );
      expectSubscriptions(cloud.subscriptions).toBe([]);
    });
  });

  it('falls back before output in every mode', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold<RxllmEvent>('-s#', { s: ev.start({ id: 'l' }) }, overloaded);
      const cloud = cold('-x|', { x: ev.text('Hi') });
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'fallback', name: 'local' }))).toBe(
        '-S-X|',
        { S: ev.start({ id: 'l', track: 'local' }), X: ev.text('Hi', 'cloud') },
      );
    });
  });

  it("rejects 'continue' with a track that cannot continue, and afterOutput outside fallback", () => {
    expect(() =>
      mergeTracks({ cloud: of(ev.text('x')) }, { strategy: 'fallback', afterOutput: 'continue' }),
    ).toThrow(/afterOutput 'continue' needs track 'cloud' to be a function/);
    expect(() =>
      mergeTracks({ cloud: of(ev.text('x')) }, { strategy: 'race', afterOutput: 'reset' }),
    ).toThrow(/afterOutput applies to the fallback strategy/);
    expect(() =>
      mergeTracks({ cloud: of(ev.text('x')) }, { strategy: 'fallback', afterOutput: 'again' as never }),
    ).toThrow(/afterOutput must be/);
    // The upstream (an Observable) cannot continue a track that ran before it.
    expect(() =>
      mergeTracks(
        { cloud: () => of(ev.text('x')) },
        { strategy: 'fallback', afterOutput: 'continue', priorities: { cloud: 1 } },
      ),
    ).toThrow(/needs the upstream track 'primary' to run first/);
  });

  it('onTrackError hears a race loser that failed, and a throw from it ends the stream', () => {
    const heard: Array<[string, unknown]> = [];
    marbles(({ cold, expectObservable }) => {
      const local = cold('---a|', { a: ev.text('Hi') });
      const cloud = cold<RxllmEvent>('-#', {}, overloaded);
      expectObservable(
        local.pipe(
          mergeTracks(
            { cloud },
            { strategy: 'race', name: 'local', onTrackError: (error, track) => heard.push([track, error]) },
          ),
        ),
      ).toBe('---A|', { A: ev.text('Hi', 'local') });
    });
    expect(heard).toEqual([['cloud', overloaded]]);
    const logDown = new Error('logger down');
    marbles(({ cold, expectObservable }) => {
      const local = cold('---a|', { a: ev.text('Hi') });
      const cloud = cold<RxllmEvent>('-#', {}, overloaded);
      expectObservable(
        local.pipe(
          mergeTracks(
            { cloud },
            {
              strategy: 'race',
              name: 'local',
              onTrackError: () => {
                throw logDown;
              },
            },
          ),
        ),
      ).toBe('-#', {}, logDown);
    });
  });
});

describe("deadline's afterOutput", () => {
  it("'fail' (default) fails a stall after output with the timeout instead of falling back", () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const fallback = cold('-x|', { x: ev.text('!') });
      const source = cold('-a------|', { a: ev.text('Hel') });
      expectObservable(source.pipe(deadline({ betweenTokensMs: 3, fallback }))).toBe(
        '-a--#',
        { a: ev.text('Hel') },
        new RxllmError('deadline: no token for 3 ms after the last one (betweenTokensMs)', {
          code: 'timeout',
        }),
      );
      expectSubscriptions(fallback.subscriptions).toBe([]);
    });
  });

  it("'continue' hands the partial to the fallback and takes nothing back", () => {
    let partial: Message | undefined;
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a------|', { a: ev.text('Hel') });
      expectObservable(
        source.pipe(
          deadline({
            betweenTokensMs: 3,
            afterOutput: 'continue',
            fallback: (_error, shown) => {
              partial = shown;
              return cold('-x---|', { x: ev.text('lo') });
            },
          }),
        ),
        // The fallback is a new request, so a new step (n) of the same answer.
      ).toBe('-a---(nx)|', { a: ev.text('Hel'), n: { type: 'step-start', step: 1 }, x: ev.text('lo') });
    });
    expect(partial?.text).toBe('Hel');
  });

  it("rejects 'continue' without a fallback function", () => {
    expect(() => deadline({ firstTokenMs: 1, afterOutput: 'continue', fallback: of(ev.text('x')) })).toThrow(
      /needs a fallback function/,
    );
  });
});

describe("retryStream's afterOutput", () => {
  it('rejects continueWith without continue, and continue without continueWith', () => {
    expect(() => retryStream({ afterOutput: 'continue' })).toThrow(/continueWith must be a function/);
    expect(() => retryStream({ continueWith: () => of(ev.text('x')) })).toThrow(/continueWith is used only/);
    expect(() => retryStream({ afterOutput: 'later' as never })).toThrow(/afterOutput must be/);
  });

  it("'continue' keeps continuing: a continuation that fails before output is asked again with all that was shown", () => {
    const asked: string[] = [];
    marbles(({ cold, expectObservable }) => {
      const source = cold<RxllmEvent>('-a#', { a: ev.text('Hel') }, overloaded);
      const continuations = [
        cold<RxllmEvent>('-s#', { s: ev.start({ id: 'c1' }) }, overloaded),
        cold('-b---|', { b: ev.text('lo') }),
      ];
      expectObservable(
        source.pipe(
          retryStream({
            initialDelayMs: 1,
            jitter: 0,
            afterOutput: 'continue',
            continueWith: (shown) => {
              asked.push(shown.text);
              return continuations.shift()!;
            },
          }),
        ),
        // Each continuation is a new request, so a new step (n, m).
      ).toBe('-a--(ns)(mb)|', {
        a: ev.text('Hel'),
        n: { type: 'step-start', step: 1 },
        s: ev.start({ id: 'c1' }),
        m: { type: 'step-start', step: 2 },
        b: ev.text('lo'),
      });
    });
    expect(asked).toEqual(['Hel', 'Hel']);
  });
});

describe('toSSE and a reset after output', () => {
  it("with errors: 'propagate' passes the encoder's error on instead of writing it, and stops the upstream", () => {
    let unsubscribed = false;
    const source = new Observable<RxllmEvent>((subscriber) => {
      subscriber.next(ev.text('Hi'));
      subscriber.next(ev.reset('retry'));
      subscriber.next(ev.text('SECOND'));
      return () => (unsubscribed = true);
    });
    const frames: string[] = [];
    let failure: unknown;
    source.pipe(toSSE({ dialect: 'anthropic', errors: 'propagate' })).subscribe({
      next: (frame) => frames.push(frame),
      error: (error: unknown) => (failure = error),
    });
    expect(failure).toMatchObject({ providerCode: 'stream_restarted', dialect: 'anthropic' });
    expect(frames.join('')).not.toContain('SECOND');
    expect(frames.join('')).not.toContain('event: error');
    expect(unsubscribed).toBe(true);
  });
});
