import { Subject, VirtualTimeScheduler, from } from 'rxjs';
import type { RxllmEvent, TextEvent } from '../../src/base/events';
import { bufferTokens, type BufferTokensConfig } from '../../src/operators/bufferTokens';
import { endsWord, hasOpenTail, isWhitespace } from '../../src/base/graphemes';
import { ev, marbles } from '../../src/testing';
import { scenarios, type BufferTokensScenario } from '../../marbles/bufferTokens';
import { decodeFixture } from '../support/decodeFixture';
import { specifyScenarios } from '../support/scenarioSpecs';

function run(scenario: BufferTokensScenario): void {
  marbles(({ cold, expectObservable, expectSubscriptions }) => {
    const { source, expected } = scenario.diagram;
    const source$ = cold<RxllmEvent>(source!, scenario.values as Record<string, RxllmEvent>, scenario.error);
    expectObservable(source$.pipe(bufferTokens(scenario.config)), scenario.unsubscribe).toBe(
      expected!,
      scenario.values,
      scenario.error,
    );
    if (scenario.subscriptions) expectSubscriptions(source$.subscriptions).toBe(scenario.subscriptions);
  });
}

/** Everything the operator emits for `events`, synchronously. */
function emitted(events: RxllmEvent[], config: BufferTokensConfig): RxllmEvent[] {
  const out: RxllmEvent[] = [];
  from(events)
    .pipe(bufferTokens(config))
    .subscribe((event) => out.push(event));
  return out;
}

describe('bufferTokens', () => {
  specifyScenarios('src/operators/bufferTokens.ts', scenarios, run);

  it.each([
    [{ count: 0 }, 'rxllm: bufferTokens: count must be a positive integer, got 0'],
    [{ count: 1.5 }, 'rxllm: bufferTokens: count must be a positive integer, got 1.5'],
    [{ timeMs: -1 }, 'rxllm: bufferTokens: timeMs must be a finite number >= 0, got -1'],
    [{ timeMs: Infinity }, 'rxllm: bufferTokens: timeMs must be a finite number >= 0, got Infinity'],
    [
      { boundary: 'paragraph' },
      `rxllm: bufferTokens: boundary must be 'word', 'sentence', 'line' or a RegExp, got "paragraph"`,
    ],
    [{}, 'rxllm: bufferTokens: config needs at least one of count, timeMs or boundary, got none'],
    [
      { count: 2, scheduler: {} },
      'rxllm: bufferTokens: scheduler must be an RxJS scheduler, got [object Object]',
    ],
    [undefined, 'rxllm: bufferTokens: config must be an object, got undefined'],
  ])('throws when built with %p', (config, message) => {
    expect(() => bufferTokens(config as BufferTokensConfig)).toThrow(message);
  });

  it('flushes what was buffered and errors when a custom RegExp throws', () => {
    class Exploding extends RegExp {
      override exec(): RegExpExecArray | null {
        throw new Error('boom');
      }
    }
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<RxllmEvent>('-a-b-|', { a: ev.finish(), b: ev.text('Hi') });
      expectObservable(source.pipe(bufferTokens({ boundary: new Exploding(',', 'g') }))).toBe(
        '-a-(x#)',
        { a: ev.finish(), x: ev.text('Hi') },
        new Error('boom'),
      );
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('does not change the RegExp it is given, and works with a non-global one', () => {
    const boundary = /\./;
    const out = emitted([ev.text('a.b'), ev.text('.c')], { boundary });
    expect(out).toEqual([ev.text('a.'), ev.text('b.'), ev.text('c')]);
    expect(boundary.global).toBe(false);
    expect(boundary.lastIndex).toBe(0);
  });

  it('emits the delta object itself when it goes out whole and alone', () => {
    const delta = ev.text('Hello ');
    const [out] = emitted([delta], { boundary: 'word' });
    expect(out).toBe(delta);
  });

  it('times its buffers through the scheduler it is given', () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<RxllmEvent>();
    const out: Array<[number, RxllmEvent]> = [];
    source
      .pipe(bufferTokens({ timeMs: 100, scheduler }))
      .subscribe((event) => out.push([scheduler.now(), event]));
    source.next(ev.text('Hel'));
    source.next(ev.text('lo'));
    expect(out).toEqual([]);
    scheduler.flush();
    expect(out).toEqual([[100, ev.text('Hello')]]);
  });

  it('keeps every choice of a real n=3 stream apart and cuts each only after whitespace', () => {
    const { events, message } = decodeFixture('openai-chat', 'openai-chat/multiple-choices-n3.sse', 'random');
    const out = emitted(events, { boundary: 'word' });
    const texts = out.filter((event): event is TextEvent => event.type === 'text');
    const byChoice = [0, 1, 2].map((choice) => texts.filter((event) => (event.choice ?? 0) === choice));
    expect(byChoice.map((list) => list.map((event) => event.text).join(''))).toEqual(
      message.choices!.map((choice) => choice.text),
    );
    for (const list of byChoice) {
      // Fewer emissions than deltas, and every emission but a choice's last ends a word.
      for (const event of list.slice(0, -1)) expect(event.text).toMatch(/\s$/);
    }
    expect(texts.length).toBeLessThan(events.filter((event) => event.type === 'text').length);
    expect(out.filter((event) => event.type !== 'text')).toEqual(
      events.filter((event) => event.type !== 'text'),
    );
  });

  it('never emits a lone surrogate or a split emoji from a real stream cut at every byte', () => {
    const { events, message } = decodeFixture(
      'openai-chat',
      'edge/deepseek-reasoning-content.sse',
      'byte-by-byte',
    );
    const out = emitted(events, { count: 1 });
    for (const event of out) {
      if (event.type === 'text' || event.type === 'reasoning') {
        expect(event.text).not.toMatch(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
        );
      }
    }
    const joined = (type: 'text' | 'reasoning') =>
      out
        .filter((event) => event.type === type)
        .map((event) => (event as TextEvent).text)
        .join('');
    expect(joined('text')).toBe(message.text);
    expect(joined('reasoning')).toBe(message.reasoning);
  });

  // 'word' is a RegExp class here and `endsWord` (base/graphemes, which throttleTokens reads)
  // elsewhere: the two must not drift apart. Every code unit of the BMP but the surrogates and
  // the 3,192 that a cut holds back (marks, joiners, CR, emoji, Brahmic letters), of which only
  // CR, U+302A-302F, U+3030, U+303D, U+3099 and U+309A end a word.
  it("cuts 'word' after exactly the code units that endsWord names", () => {
    const source = new Subject<RxllmEvent>();
    let emissions = 0;
    source.pipe(bufferTokens({ boundary: 'word' })).subscribe(() => emissions++);
    const wrong: string[] = [];
    for (let code = 0; code < 0x10000; code++) {
      const char = String.fromCharCode(code);
      if ((code >= 0xd800 && code <= 0xdfff) || hasOpenTail(`a${char}`) || /\p{M}/u.test(char)) continue;
      const before = emissions;
      source.next(ev.text(`a${char}`));
      if (emissions > before !== endsWord(code)) wrong.push(code.toString(16));
    }
    expect(wrong).toEqual([]);
  });

  // The built-in boundaries are RegExps scanned over each delta (a stop carried to the next one).
  // Held here to the rules written out a character at a time (graphemes' endsWord and
  // isWhitespace, which throttleTokens reads), over the whole text, on random text cut into random
  // deltas: each delta must emit up to the last boundary the rules find in what has arrived,
  // whichever delta the characters of that boundary came in.
  describe.each(['word', 'sentence', 'line'] as const)('the %s boundary, on random deltas', (boundary) => {
    /** Every position the rules let the text be cut at, read a character at a time. */
    const ends = (text: string): number[] => {
      const out: number[] = [];
      let afterStop = false;
      let afterCjkStop = false;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (boundary === 'word') {
          if (endsWord(code)) out.push(i + 1);
        } else if (boundary === 'line') {
          if (code === 10) out.push(i + 1);
        } else if (code === 10) {
          out.push(i + 1);
          afterStop = afterCjkStop = false;
        } else if (code === 0x3002 || code === 0xff01 || code === 0xff1f) {
          out.push(i + 1);
          afterStop = false;
          afterCjkStop = true;
        } else if (`"'”’)]»」』`.includes(text[i]!)) {
          if (afterCjkStop) out.push(i + 1);
        } else if (isWhitespace(code)) {
          if (afterStop) out.push(i + 1);
          afterStop = afterCjkStop = false;
        } else {
          afterStop = code === 0x2e || code === 0x21 || code === 0x3f || code === 0x2026;
          afterCjkStop = false;
        }
      }
      return out;
    };
    const alphabet = [
      'a',
      'b',
      ' ',
      '.',
      '!',
      '?',
      '…',
      '"',
      '”',
      ')',
      '」',
      '。',
      '！',
      '？',
      '\n',
      '\t',
      '\x85',
      '\u3000',
      '\u00a0',
      '\u2028',
      '字',
      'の',
      '1',
    ];
    let seed = 7;
    const random = (below: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % below;
    };

    // With `count` too: a delta that fills the count is emitted whole, and what it holds (a stop)
    // must still count for the next delta, as the rules read the text whole.
    it.each([undefined, 1, 2, 3])(
      'cuts where the rules written out per character cut (count %p)',
      (count) => {
        for (let round = 0; round < 400; round++) {
          const pieces: string[] = [];
          for (let n = 1 + random(8); n > 0; n--) {
            let piece = '';
            for (let k = 1 + random(6); k > 0; k--) piece += alphabet[random(alphabet.length)];
            pieces.push(piece);
          }
          const text = pieces.join('');
          const cuts = ends(text);
          const expected: string[] = [];
          let emittedTo = 0;
          let arrived = 0;
          let buffered = 0;
          for (const piece of pieces) {
            arrived += piece.length;
            buffered++;
            const cut =
              count !== undefined && buffered >= count
                ? arrived
                : Math.max(0, ...cuts.filter((end) => end <= arrived));
            if (cut > emittedTo) {
              expected.push(text.slice(emittedTo, cut));
              buffered = 0;
            }
            emittedTo = Math.max(emittedTo, cut);
          }
          if (emittedTo < text.length) expected.push(text.slice(emittedTo));
          const got = emitted(
            pieces.map((piece) => ev.text(piece)),
            { boundary, count },
          ).map((event) => (event as TextEvent).text);
          expect({ pieces, got }).toEqual({ pieces, got: expected });
        }
      },
    );
  });
});
