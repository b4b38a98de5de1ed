import * as graphemes from '../src/base/graphemes';

/** The helpers as loaded in a runtime without Intl.Segmenter (older Firefox, some edge runtimes). */
function withoutSegmenter(): typeof graphemes {
  const { Segmenter } = Intl;
  let loaded: typeof graphemes | undefined;
  try {
    delete (Intl as { Segmenter?: unknown }).Segmenter;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof graphemes>('../src/base/graphemes');
    });
    // The segmenter is looked up lazily: exercise it while it is missing.
    loaded!.isGraphemeBoundary('a\u0301', 1);
    loaded!.lastGraphemeStart('👍🏽');
  } finally {
    (Intl as { Segmenter?: unknown }).Segmenter = Segmenter;
  }
  return loaded!;
}

const samples: Array<[string, number[]]> = [
  // text, and every index that is a cluster boundary inside it
  ['ab', [1]],
  ['a\r\nb', [1, 3]],
  ['e\u0301x', [2]],
  ['😀!', [2]],
  ['👨\u200D👩\u200D👧 hi', [8, 9, 10]],
  ['👍🏽👍', [4]],
  ['🇯🇵🇺🇸', [4]],
  ['你好', [1]],
  ['a\u0301你\u3099x', [2, 4]],
  // England: a black flag followed by tag characters, 14 code units in one cluster.
  ['\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}x', [14]],
  // A virama joins the consonants around it (स्त is one cluster); see the fallback below.
  ['नमस्ते', [1, 2]],
];

describe('graphemes', () => {
  describe.each([
    ['with Intl.Segmenter', () => graphemes],
    ['without Intl.Segmenter', withoutSegmenter],
  ])('%s', (_name, load) => {
    const helpers = load();
    const segmented = helpers === graphemes;

    // The approximation does not know conjuncts: it cuts after the virama, between two consonants.
    it.each(
      samples.map(([text, boundaries]): [string, number[]] =>
        text === 'नमस्ते' && !segmented ? [text, [1, 2, 4]] : [text, boundaries],
      ),
    )('finds the cluster boundaries of %p', (text, boundaries) => {
      const found = [];
      for (let i = 1; i < text.length; i++) if (helpers.isGraphemeBoundary(text, i)) found.push(i);
      expect(found).toEqual(boundaries);
    });

    it('finds where the last cluster begins', () => {
      expect(helpers.lastGraphemeStart('hi 👨\u200D👩\u200D👧')).toBe(3);
      expect(helpers.lastGraphemeStart('ok 🇯🇵')).toBe(3);
      expect(helpers.lastGraphemeStart('e\u0301')).toBe(0);
      expect(helpers.lastGraphemeStart('abc')).toBe(2);
      expect(helpers.lastGraphemeStart('')).toBe(0);
    });

    it('looks for the last cluster at most a window back: a hostile one is cut, not held whole', () => {
      // One letter with 10,000 combining marks: one "cluster", which a delta-by-delta walk back
      // through all of it would segment once per character, on every delta.
      const zalgo = 'a' + '\u0301'.repeat(10_000);
      const start = helpers.lastGraphemeStart(zalgo);
      expect(start).toBeGreaterThan(0);
      expect(zalgo.length - start).toBeLessThanOrEqual(65); // the last character and a window before it
      expect(helpers.lastGraphemeStart('ok ' + zalgo.slice(0, 40))).toBe(3); // a real one, found whole
      // A cut inside the text too: a boundary found after a hostile run is moved back a window at most.
      const cut = helpers.safeCut(zalgo + ' x', zalgo.length - 1, false);
      expect(cut).toBeGreaterThan(0);
      expect(zalgo.length - 1 - cut).toBeLessThanOrEqual(64);
    });

    it('counts clusters as a reader counts characters', () => {
      expect(helpers.countGraphemes('a\r\nb')).toBe(3);
      expect(helpers.countGraphemes('👨\u200D👩\u200D👧🇯🇵e\u0301')).toBe(3);
    });
  });

  it('holds back a trailing cluster the next delta may extend, and nothing else', () => {
    expect(graphemes.safeCut('Hi 👨\u200D', 6, false)).toBe(3);
    expect(graphemes.safeCut('ok 🇯', 5, false)).toBe(3);
    expect(graphemes.safeCut('ok 👍', 5, false)).toBe(3);
    expect(graphemes.safeCut('x\uD83D', 2, false)).toBe(1);
    expect(graphemes.safeCut('line\r', 5, false)).toBe(4);
    expect(graphemes.safeCut('Hello', 5, false)).toBe(5);
    expect(graphemes.safeCut('你好', 2, false)).toBe(2);
    expect(graphemes.safeCut('ok 👍', 5, true)).toBe(5);
    // A cut inside the text moves back to the cluster's start.
    expect(graphemes.safeCut('👨\u200D👩 x', 3, false)).toBe(0);
  });
});
