import { NEVER, Observable, of } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { DownstreamFlow, ManualGate, markFlow } from '../../src/flow/flow';
import { mergeTracks, type MergeStrategy } from '../../src/tracks/mergeTracks';
import { createTrackLimiter } from '../../src/tracks/createTrackLimiter';
import { ev } from '../../src/testing/eventBuilders';
import { formatDiagram, marbles } from '../../src/testing/marbles';
import { scenarios, type MergeTracksScenario } from '../../marbles/mergeTracks';
import { readDocDiagram } from '../support/docDiagram';

type Cold = ReturnType<RunHelpers['cold']> & Observable<RxllmEvent>;

function runScenario(scenario: MergeTracksScenario) {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const values = scenario.values as Record<string, RxllmEvent>;
    const source = cold(scenario.diagram.source!, values) as Cold;
    const others: Record<string, Cold> = {};
    for (const [line, diagram] of Object.entries(scenario.diagram)) {
      if (line !== 'source' && line !== 'expected') others[line] = cold(diagram, values) as Cold;
    }
    expectObservable(source.pipe(mergeTracks(others, scenario.config))).toBe(
      scenario.diagram.expected!,
      values,
      scenario.error,
    );
    for (const [line, subscriptions] of Object.entries(scenario.trackSubscriptions ?? {})) {
      const track = line === 'source' ? source : others[line]!;
      expectSubscriptions(track.subscriptions).toBe(subscriptions === '' ? [] : subscriptions);
    }
  });
}

describe('mergeTracks', () => {
  it('documents the main scenario in its JSDoc and runs it', () => {
    expect(readDocDiagram('src/tracks/mergeTracks.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    runScenario(scenarios.main!);
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    if (name === 'main') continue;
    it(scenario.description, () => runScenario(scenario));
  }

  it('compares tracks at the end: timings, tokens, rates and word similarity', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a-b-|', { a: ev.text('the cat'), b: ev.text(' sat') });
      const cloud = cold('--x-----(yz|)', {
        x: ev.text('the cat sat down'),
        y: ev.usage(10, 4),
        z: ev.finish('stop'),
      });
      const comparison: RxllmEvent = {
        type: 'comparison',
        tracks: [
          // local: first content at 1, ended at 5: 2 deltas over 4 ms.
          {
            track: 'local',
            totalMs: 5,
            timeToFirstTokenMs: 1,
            tokens: 2,
            tokensPerSecond: 500,
            text: 'the cat sat',
          },
          // cloud: first content at 2, ended at 8: usage says 4 output tokens over 6 ms.
          {
            track: 'cloud',
            totalMs: 8,
            timeToFirstTokenMs: 2,
            tokens: 4,
            tokensPerSecond: 4000 / 6,
            text: 'the cat sat down',
            usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 },
            finishReason: 'stop',
          },
        ],
        // {the, cat, sat} · {the, cat, sat, down} = 3; |a| = √3, |b| = 2.
        similarity: { 'local|cloud': 3 / (Math.sqrt(3) * 2) },
        similarityMeasure: 'word-cosine',
      };
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'compare', name: 'local' }))).toBe(
        '-AXB----(yzc|)',
        {
          A: ev.text('the cat', 'local'),
          B: ev.text(' sat', 'local'),
          X: ev.text('the cat sat down', 'cloud'),
          y: ev.usage(10, 4, 'cloud'),
          z: ev.finish('stop', 'cloud'),
          c: comparison,
        },
      );
    });
  });

  it('reports a failed track in the comparison and still completes', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a|', { a: ev.text('x') });
      const cloud = cold<RxllmEvent>('--#', {}, new RxllmError('Overloaded', { code: 'overloaded' }));
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'compare', name: 'local' }))).toBe(
        '-A(ec|)',
        {
          A: ev.text('x', 'local'),
          e: { type: 'error', error: new RxllmError('Overloaded', { code: 'overloaded' }), track: 'cloud' },
          c: {
            type: 'comparison',
            tracks: [
              {
                track: 'local',
                totalMs: 2,
                timeToFirstTokenMs: 1,
                tokens: 1,
                tokensPerSecond: 1000,
                text: 'x',
              },
              {
                track: 'cloud',
                totalMs: 2,
                tokens: 0,
                tokensPerSecond: 0,
                text: '',
                error: 'overloaded: Overloaded',
              },
            ],
            similarity: { 'local|cloud': 0 },
            similarityMeasure: 'word-cosine',
          },
        },
      );
    });
  });

  it("passes what was shown to a fallback given as a function, which continues without a reset (afterOutput 'continue')", () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a-#', { a: ev.text('Hel') });
      const shownTexts: string[] = [];
      const continuation = (shown: { text: string }) => {
        shownTexts.push(shown.text);
        return cold('-x|', { x: ev.text('lo') });
      };
      expectObservable(
        local.pipe(
          mergeTracks(
            { cloud: continuation },
            { strategy: 'fallback', name: 'local', afterOutput: 'continue' },
          ),
        ),
      ).toBe('-A--X|', { A: ev.text('Hel', 'local'), X: ev.text('lo', 'cloud') });
      return shownTexts;
    });
  });

  it('fails with the last track error, carrying its partial, when every fallback fails', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a#', { a: ev.text('Hel') });
      const cloud = cold('-x-#', { x: ev.text('Hi') }, new RxllmError('down', { code: 'overloaded' }));
      expectObservable(
        local.pipe(mergeTracks({ cloud }, { strategy: 'fallback', name: 'local', afterOutput: 'reset' })),
      ).toBe(
        '-ArX-#',
        {
          A: ev.text('Hel', 'local'),
          r: { type: 'reset', reason: 'fallback', track: 'local' },
          X: ev.text('Hi', 'cloud'),
        },
        new RxllmError('down', { code: 'overloaded' }),
      );
    });
  });

  it('reports the usage a race loser had already spent', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const local = cold('-u---a|', { u: ev.usage(12, 0), a: ev.text('late') });
      const cloud = cold('--x-----|', { x: ev.text('Hi') });
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'race', name: 'local' }))).toBe(
        '--(ukX)-|',
        {
          u: ev.usage(12, 0, 'local'),
          k: { type: 'finish', reason: 'cancelled', track: 'local' },
          X: ev.text('Hi', 'cloud'),
        },
      );
      expectSubscriptions(local.subscriptions).toBe('^-!');
    });
  });

  it('fails a race with the last error when every track fails', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold<RxllmEvent>('-#', {}, new RxllmError('first', { code: 'network' }));
      const cloud = cold<RxllmEvent>('---#', {}, new RxllmError('second', { code: 'overloaded' }));
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'race' }))).toBe(
        '---#',
        {},
        new RxllmError('second', { code: 'overloaded' }),
      );
    });
  });

  it('unsubscribes every track of a never-ending merge on early unsubscribe', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const local = cold('-a-----', { a: ev.text('x') });
      const cloud = cold('--x----', { x: ev.text('y') });
      expectObservable(
        local.pipe(mergeTracks({ cloud }, { strategy: 'interleave', name: 'local' })),
        '^---!',
      ).toBe('-AX-', { A: ev.text('x', 'local'), X: ev.text('y', 'cloud') });
      expectSubscriptions(local.subscriptions).toBe('^---!');
      expectSubscriptions(cloud.subscriptions).toBe('^---!');
    });
  });

  it('keeps emoji and CJK text whole and tagged in interleaved tracks', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a----|', { a: ev.text('👩‍💻 你好') });
      const cloud = cold('--x---|', { x: ev.text('こんにちは 🌍') });
      expectObservable(local.pipe(mergeTracks({ cloud }, { strategy: 'interleave', name: 'local' }))).toBe(
        '-AX---|',
        {
          A: ev.text('👩‍💻 你好', 'local'),
          X: ev.text('こんにちは 🌍', 'cloud'),
        },
      );
    });
  });

  it('orders fallback by priority', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const local = cold('-a|', { a: ev.text('local') });
      const cloud = cold('-x|', { x: ev.text('cloud') });
      expectObservable(
        local.pipe(mergeTracks({ cloud }, { strategy: 'fallback', name: 'local', priorities: { cloud: 1 } })),
      ).toBe('-X|', { X: ev.text('cloud', 'cloud') });
      expectSubscriptions(local.subscriptions).toBe([]);
    });
  });

  it("keeps the consumer's flow gates on the path of tracks started later", () => {
    const gate = new ManualGate();
    gate.close();
    const seen: unknown[] = [];
    const recording = new Observable<RxllmEvent>((subscriber) => {
      seen.push(new DownstreamFlow(subscriber).closedGate());
    });
    marbles(({ cold, flush }) => {
      const local = cold<RxllmEvent>('------');
      local
        .pipe(mergeTracks({ cloud: recording }, { strategy: 'hedge', hedgeAfterMs: 2 }))
        .subscribe(markFlow({}, { gate }));
      flush();
    });
    expect(seen).toEqual([gate]);
  });

  it('limits tracks of one kind across pipelines and frees the slot when a track ends', () => {
    const gpu = createTrackLimiter({ local: 1 });
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('-a-|', { a: ev.text('one') });
      const second = cold('-b|', { b: ev.text('two') });
      const config = {
        strategy: 'interleave' as const,
        name: 'local',
        limiter: gpu,
        kinds: { local: 'local' },
      };
      expectObservable(first.pipe(mergeTracks({}, config))).toBe('-A-|', { A: ev.text('one', 'local') });
      expectObservable(second.pipe(mergeTracks({}, config))).toBe('----B|', { B: ev.text('two', 'local') });
      expectSubscriptions(second.subscriptions).toBe('---^-!');
    });
    expect(gpu.stats('local')).toEqual({ running: 0, waiting: 0 });
  });

  it('fails, rather than hangs, when a user similarity function throws', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a|', { a: ev.text('x') });
      const cloud = cold('--x|', { x: ev.text('y') });
      const similarity = {
        measure: 'broken',
        compute: () => {
          throw new Error('similarity broke');
        },
      };
      expectObservable(
        local.pipe(mergeTracks({ cloud }, { strategy: 'compare', name: 'local', similarity })),
      ).toBe('-AX#', { A: ev.text('x', 'local'), X: ev.text('y', 'cloud') }, new Error('similarity broke'));
    });
  });

  it('completes with nothing for empty tracks, and compares them as agreeing', () => {
    marbles(({ cold, expectObservable }) => {
      // interleave and handoff wait for the cloud; fallback ends with the primary; in a race the
      // empty primary completes first, so it wins and the cloud is cancelled.
      const expected: Record<string, [string, Record<string, RxllmEvent>]> = {
        interleave: ['--|', {}],
        handoff: ['--|', {}],
        fallback: ['|', {}],
        race: ['(k|)', { k: { type: 'finish', reason: 'cancelled', track: 'cloud' } }],
      };
      for (const [strategy, [diagram, values]] of Object.entries(expected)) {
        const tracks = { cloud: cold<RxllmEvent>('--|') };
        expectObservable(
          cold<RxllmEvent>('|').pipe(mergeTracks(tracks, { strategy: strategy as MergeStrategy })),
        ).toBe(diagram, values);
      }
      expectObservable(
        cold<RxllmEvent>('|').pipe(mergeTracks({ cloud: cold<RxllmEvent>('-|') }, { strategy: 'compare' })),
      ).toBe('-(c|)', {
        c: {
          type: 'comparison',
          tracks: [
            { track: 'primary', totalMs: 0, tokens: 0, tokensPerSecond: 0, text: '' },
            { track: 'cloud', totalMs: 1, tokens: 0, tokensPerSecond: 0, text: '' },
          ],
          similarity: { 'primary|cloud': 1 },
          similarityMeasure: 'word-cosine',
        },
      });
    });
  });

  it('takes usage that arrives after the finish into the comparison', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a-f-u|', { a: ev.text('hi'), f: ev.finish('stop'), u: ev.usage(5, 7) });
      const result = local.pipe(mergeTracks({}, { strategy: 'compare', name: 'local' }));
      expectObservable(result).toBe('-a-f-u(c|)', {
        a: ev.text('hi', 'local'),
        f: ev.finish('stop', 'local'),
        u: ev.usage(5, 7, 'local'),
        c: {
          type: 'comparison',
          tracks: [
            {
              track: 'local',
              totalMs: 6,
              timeToFirstTokenMs: 1,
              // 7 output tokens from the late usage, over the 5 ms from first token to the end.
              tokens: 7,
              tokensPerSecond: 1400,
              text: 'hi',
              usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 },
              finishReason: 'stop',
            },
          ],
          similarity: {},
          similarityMeasure: 'word-cosine',
        },
      });
    });
  });

  it('rejects bad configuration when the operator is built', () => {
    expect(() => mergeTracks({}, { strategy: 'nope' as never })).toThrow(
      /mergeTracks: unknown strategy 'nope'/,
    );
    expect(() => mergeTracks({}, { strategy: 'hedge' })).toThrow(/hedge needs hedgeAfterMs/);
    expect(() => mergeTracks({ primary: of() }, { strategy: 'race' })).toThrow(/named 'primary' twice/);
    expect(() => mergeTracks({ cloud: 42 as never }, { strategy: 'race' })).toThrow(/track 'cloud' must be/);
    expect(() => mergeTracks({}, { strategy: 'fallback', firstTokenMs: -1 })).toThrow(/firstTokenMs/);
  });

  it('turns a throwing track factory into that track failing, and falls back', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold<RxllmEvent>('#', {}, new RxllmError('no', { code: 'network' }));
      const broken = () => {
        throw new Error('factory broke');
      };
      const cloud = cold('-x|', { x: ev.text('ok') });
      expectObservable(
        local.pipe(mergeTracks({ broken, cloud }, { strategy: 'fallback', name: 'local' })),
      ).toBe('-X|', {
        X: ev.text('ok', 'cloud'),
      });
    });
  });

  it('never completes a handoff while the cloud may still take over', () => {
    marbles(({ cold, expectObservable }) => {
      const local = cold('-a|', { a: ev.text('draft') });
      expectObservable(
        local.pipe(mergeTracks({ cloud: NEVER }, { strategy: 'handoff', name: 'local' })),
      ).toBe('-A', {
        A: ev.text('draft', 'local'),
      });
    });
  });
});
