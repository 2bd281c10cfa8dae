import { seededInts } from './test-helpers';
import { AhoCorasick } from './aho-corasick';
import { fold } from './fold';

// characters whose case folding is unusual: Kelvin sign, Greek sigma forms, dotted I, an emoji
const ALPHABET = ['a', 'b', 'k', 'K', '\u212a', 'σ', 'Σ', 'ς', 'İ', 'i', '\\', '.', ' ', '😀', 'é', 'É'];

function found(ac: AhoCorasick, text: string): Set<number> {
  const out = new Set<number>();
  ac.scanText(text, (id) => out.add(id));
  return out;
}

describe('Aho-Corasick', () => {
  it('reports exactly the needles contained in the folded text (random needles and texts)', () => {
    const rnd = seededInts(11);
    for (let round = 0; round < 60; round++) {
      const ac = new AhoCorasick();
      const needles: string[] = [];
      const count = 1 + rnd(30); // few needles use includes(), more the automaton
      for (let k = 0; k < count; k++) {
        const n = fold(Array.from({ length: 1 + rnd(4) }, () => ALPHABET[rnd(ALPHABET.length)]).join(''));
        needles.push(n);
        ac.add(n, k);
      }
      ac.build();
      for (let t = 0; t < 40; t++) {
        const text = Array.from({ length: rnd(24) }, () => ALPHABET[rnd(ALPHABET.length)]).join('');
        const want = new Set(needles.flatMap((n, id) => (fold(text).includes(n) ? [id] : [])));
        expect([text, [...found(ac, text)].sort((a, b) => a - b)]).toEqual([text, [...want].sort((a, b) => a - b)]);
      }
    }
  });

  it('finds the same needles with or without includes() for a few needles, and in folded text (scanLowered)', () => {
    const rnd = seededInts(23);
    for (let round = 0; round < 40; round++) {
      const withIncludes = new AhoCorasick();
      const automaton = new AhoCorasick(false);
      const needles: string[] = [];
      for (let k = 0, count = 1 + rnd(4); k < count; k++) {
        const n = fold(Array.from({ length: 1 + rnd(4) }, () => ALPHABET[rnd(ALPHABET.length)]).join(''));
        needles.push(n);
        withIncludes.add(n, k);
        automaton.add(n, k);
      }
      withIncludes.build();
      automaton.build();
      expect(withIncludes.searchesFolded).toBe(true);
      expect(automaton.searchesFolded).toBe(false);
      for (let t = 0; t < 30; t++) {
        const text = Array.from({ length: rnd(24) }, () => ALPHABET[rnd(ALPHABET.length)]).join('');
        const want = [...new Set(needles.flatMap((n, id) => (fold(text).includes(n) ? [id] : [])))].sort(
          (a, b) => a - b,
        );
        const lowered = new Set<number>();
        withIncludes.scanLowered(fold(text), (id) => lowered.add(id));
        expect([text, [...found(automaton, text)].sort((a, b) => a - b)]).toEqual([text, want]);
        expect([text, [...lowered].sort((a, b) => a - b)]).toEqual([text, want]);
      }
    }
  });

  it('handles ASCII (table), non-ASCII and astral needles alike', () => {
    const ac = new AhoCorasick();
    ac.add('c:\\windows\\', 0);
    ac.add('😀x', 1);
    ac.add(fold('σoς'), 2);
    // enough other needles to use the automaton rather than includes()
    for (let k = 0; k < 10; k++) ac.add(`filler${k}`, 100 + k);
    ac.build();
    expect([...found(ac, 'C:\\WINDOWS\\system32')]).toEqual([0]);
    expect([...found(ac, 'a😀X')]).toEqual([1]);
    expect([...found(ac, 'ΣOΣ')]).toEqual([2]);
    expect([...found(ac, 'nothing here')]).toEqual([]);
  });

  it('skips through text at the root and still reports every needle (long needles, random texts)', () => {
    const rnd = seededInts(37);
    // texts also hold surrogate pairs and characters in no needle, which the skip jumps over
    const TEXT = [...ALPHABET.filter((c) => c !== '😀'), '😀', '𐐀', 'x', 'y', '-'];
    const NEEDLE = ALPHABET.filter((c) => c !== '😀');
    let skipping = 0;
    for (let round = 0; round < 80; round++) {
      const ac = new AhoCorasick(false);
      const needles: string[] = [];
      const count = 1 + rnd(12);
      for (let k = 0; k < count; k++) {
        const n = fold(Array.from({ length: 4 + rnd(5) }, () => NEEDLE[rnd(NEEDLE.length)]).join(''));
        needles.push(n);
        ac.add(n, k);
      }
      ac.build();
      if (ac.skips) skipping++;
      for (let t = 0; t < 60; t++) {
        // some texts are built around a needle so that hits are not rare
        const pad = (): string => Array.from({ length: rnd(12) }, () => TEXT[rnd(TEXT.length)]).join('');
        const inner = rnd(2) === 0 ? (needles[rnd(needles.length)] as string).toUpperCase() : '';
        const text = pad() + inner + pad();
        const want = new Set(needles.flatMap((n, id) => (fold(text).includes(n) ? [id] : [])));
        for (const epoch of [0, round * 60 + t + 1]) {
          const got = new Set<number>();
          ac.scanText(text, (id) => got.add(id), epoch);
          expect([text, [...got].sort((a, b) => a - b)]).toEqual([text, [...want].sort((a, b) => a - b)]);
        }
      }
    }
    // needles of 4+ characters without surrogates: every automaton skips
    expect(skipping).toBe(80);
  });

  it('does not skip with a short needle or one holding a surrogate', () => {
    const short = new AhoCorasick(false);
    short.add('abcdef', 0);
    short.add('abc', 1);
    short.build();
    expect(short.skips).toBe(false);
    const astral = new AhoCorasick(false);
    astral.add('abcdef', 0);
    astral.add('ab😀cd', 1);
    astral.build();
    expect(astral.skips).toBe(false);
    expect([...found(astral, 'xxAB😀CDxx')]).toEqual([1]);
  });
});
