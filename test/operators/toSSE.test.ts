import { of, throwError, concat } from 'rxjs';
import type { RxllmEvent } from '../../src/base/events';
import { RxllmError } from '../../src/base/errors';
import { toSSE, type ToSSEConfig } from '../../src/operators/toSSE';
import { ev, formatDiagram, marbles, type MarbleScenario } from '../../src/testing';
import { scenarios } from '../../marbles/toSSE';
import { readDocDiagram } from '../support/docDiagram';

function run(scenario: MarbleScenario<ToSSEConfig>): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, unsubscribe, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(source$.pipe(toSSE(scenario.config)), unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

/** Runs events (and an optional failure) through toSSE synchronously and returns the frames. */
function frames(events: RxllmEvent[], config: ToSSEConfig, failure?: unknown): string[] {
  const out: string[] = [];
  const source =
    failure === undefined
      ? of(...events)
      : concat(
          of(...events),
          throwError(() => failure),
        );
  source.pipe(toSSE(config)).subscribe({ next: (frame) => out.push(frame) });
  return out;
}

describe('toSSE', () => {
  it('shows the main scenario in its JSDoc and behaves as drawn', () => {
    expect(readDocDiagram('src/operators/toSSE.ts')).toBe(formatDiagram(scenarios.main!.diagram));
    run(scenarios.main!);
  });

  describe.each(Object.entries(scenarios).filter(([name]) => name !== 'main'))(
    'scenario %s',
    (_name, scenario) => {
      it(scenario.description, () => run(scenario));
    },
  );

  it('writes only the terminal frame for an empty stream', () => {
    expect(frames([], { dialect: 'openai-chat' })).toEqual(['data: [DONE]\n\n']);
  });

  it('keeps the track and seq of interleaved tracks in the rxllm dialect', () => {
    expect(
      frames(
        [
          { ...ev.text('a', 'local'), seq: 0 },
          { ...ev.text('b', 'cloud'), seq: 0 },
          { ...ev.text('c', 'local'), seq: 1 },
        ],
        {},
      ),
    ).toEqual([
      'event: text\ndata: {"type":"text","text":"a","track":"local","seq":0}\n\n',
      'event: text\ndata: {"type":"text","text":"b","track":"cloud","seq":0}\n\n',
      'event: text\ndata: {"type":"text","text":"c","track":"local","seq":1}\n\n',
      'event: done\ndata: [DONE]\n\n',
    ]);
  });

  it('writes emoji, CJK and line breaks inside a token as JSON on one data line', () => {
    expect(frames([ev.text('你好 👋🏽\nnext')], { dialect: 'ai-sdk-ui', id: 'm' })).toEqual([
      'data: {"type":"start","messageId":"m"}\n\n',
      'data: {"type":"text-start","id":"text-0"}\n\n',
      'data: {"type":"text-delta","id":"text-0","delta":"你好 👋🏽\\nnext"}\n\n',
      'data: {"type":"text-end","id":"text-0"}\n\n',
      'data: {"type":"finish"}\n\n',
      'data: [DONE]\n\n',
    ]);
  });

  it('splits data with line breaks into one data line per line', () => {
    // A dialect of one's own, passed as an object: its encoder may write line breaks.
    const note = {
      name: 'note',
      framing: 'sse' as const,
      createEncoder: (write: (frame: { event?: string; data: string }) => void) => ({
        event: () => write({ event: 'note', data: 'one\ntwo\r\nthree\rfour' }),
        error: () => undefined,
        end: () => undefined,
      }),
    };
    expect(frames([ev.text('x')], { dialect: note })).toEqual([
      'event: note\ndata: one\ndata: two\ndata: three\ndata: four\n\n',
    ]);
  });

  it('asks an ids function for each frame with its position and the frame', () => {
    const seen: Array<[number, string | undefined]> = [];
    const out = frames([ev.text('a')], {
      ids: (index, frame) => {
        seen.push([index, frame.event]);
        return `e${index * 10}`;
      },
    });
    expect(out).toEqual([
      'event: text\nid: e0\ndata: {"type":"text","text":"a"}\n\n',
      'event: done\nid: e10\ndata: [DONE]\n\n',
    ]);
    expect(seen).toEqual([
      [0, 'text'],
      [1, 'done'],
    ]);
  });

  it('fails with the error an ids function throws', () => {
    let failure: unknown;
    of(ev.text('a'))
      .pipe(
        toSSE({
          ids: () => {
            throw new Error('no ids today');
          },
        }),
      )
      .subscribe({ error: (error: unknown) => (failure = error) });
    expect((failure as Error).message).toBe('no ids today');
  });

  it('wraps a foreign upstream error into the dialect error frame', () => {
    expect(frames([], { dialect: 'anthropic' }, new Error('socket hang up'))).toEqual([
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"socket hang up"}}\n\n',
    ]);
  });

  it('completes after writing error frames', () => {
    let completed = false;
    throwError(() => new RxllmError('slow down', { code: 'rate-limit' }))
      .pipe(toSSE({ dialect: 'openai-chat' }))
      .subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
  });

  it('uses the configured model and id when no start event names them', () => {
    expect(frames([ev.text('Hi')], { dialect: 'ai-sdk-ui', id: 'chat-7' })[0]).toBe(
      'data: {"type":"start","messageId":"chat-7"}\n\n',
    );
  });

  it('throws at once, naming toSSE and the value, for bad options', () => {
    expect(() => toSSE({ dialect: 'klingon' as never })).toThrow(
      'rxllm: toSSE: dialect must be one of rxllm, openai-chat, openai-responses, anthropic, ai-sdk-ui, ag-ui, got "klingon"',
    );
    expect(() => toSSE({ dialect: 'ollama' })).toThrow(/toSSE: dialect must be one of .*got "ollama"/);
    expect(() => toSSE({ heartbeatMs: -1 })).toThrow(
      'rxllm: toSSE: heartbeatMs must be a finite number >= 0, got -1',
    );
    expect(() => toSSE({ heartbeatMs: Number.NaN })).toThrow(
      /heartbeatMs must be a finite number >= 0, got NaN/,
    );
    expect(() => toSSE({ errors: 'swallow' as never })).toThrow(
      `rxllm: toSSE: errors must be 'frame' or 'propagate', got "swallow"`,
    );
    expect(() => toSSE({ ids: 'yes' as never })).toThrow(
      'rxllm: toSSE: ids must be a boolean or a function, got string',
    );
    expect(() => toSSE({ named: 'no' as never })).toThrow(
      'rxllm: toSSE: named must be a boolean, got string',
    );
  });
});
