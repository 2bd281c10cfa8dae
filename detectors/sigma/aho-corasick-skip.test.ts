/**
 * The root skip (set-Horspool) of AhoCorasick.scan on the paths the small random
 * tests do not reach: an automaton too large for the transition table (scan
 * follows edges and failure links), and needles longer than the 255-unit skip
 * window. Reference: fold(text).includes(needle) for every needle.
 */
import { AhoCorasick } from './aho-corasick';
import { fold } from './fold';
import { mulberryInts } from './test-helpers';

function check(ac: AhoCorasick, needles: readonly string[], text: string, epoch: number): void {
  const f = fold(text);
  const want: number[] = [];
  needles.forEach((n, id) => {
    if (f.includes(n)) want.push(id);
  });
  const got = new Set<number>();
  ac.scanText(text, (id) => got.add(id), epoch);
  expect([text.slice(0, 80), [...got].sort((a, b) => a - b)]).toEqual([text.slice(0, 80), want]);
}

describe('Aho-Corasick root skip', () => {
  it('reports every needle with an automaton too large for the transition table', () => {
    const rnd = mulberryInts(101);
    // many ASCII classes and a few non-ASCII ones (Kelvin sign, sigma forms, é)
    const NEEDLE = [...'abcdefghijklmnopqrstuvwxyz0123456789-_/.:=', 'é', 'σ', 'ß'];
    const TEXT = [...NEEDLE, 'A', 'Z', 'É', 'Σ', 'ς', '\u212a', 'K', '😀', '!', '~', ' '];
    const needles: string[] = [];
    const ac = new AhoCorasick(false);
    for (let k = 0; k < 50000; k++) {
      const n = fold(Array.from({ length: 4 + rnd(6) }, () => NEEDLE[rnd(NEEDLE.length)]).join(''));
      needles.push(n);
      ac.add(n, k);
    }
    ac.build();
    expect(ac.skips).toBe(true);
    // the table would need more than DFA_MAX_BYTES: scan takes the edge-following path
    expect((ac as unknown as { delta: unknown }).delta).toBeUndefined();
    const pad = (): string => Array.from({ length: rnd(20) }, () => TEXT[rnd(TEXT.length)]).join('');
    for (let t = 0; t < 150; t++) {
      const a = needles[rnd(needles.length)] as string;
      const b = needles[rnd(needles.length)] as string;
      // overlapping needles: b starting inside a
      const text = pad() + a.toUpperCase() + pad() + a.slice(0, 2) + b + pad();
      check(ac, needles, text, t + 1);
    }
  });

  it('reports every needle when the shortest is longer than the 255-unit skip window', () => {
    const rnd = mulberryInts(103);
    const A = ['a', 'b', 'B', 'é', 'É', '\u212a', 'k', '.'];
    for (let round = 0; round < 20; round++) {
      const ac = new AhoCorasick(false);
      const needles: string[] = [];
      for (let k = 0; k < 2 + rnd(6); k++) {
        const n = fold(Array.from({ length: 256 + rnd(60) }, () => A[rnd(3)]).join(''));
        needles.push(n);
        ac.add(n, k);
      }
      ac.build();
      expect(ac.skips).toBe(true);
      for (let t = 0; t < 30; t++) {
        const n = needles[rnd(needles.length)] as string;
        // the needle itself, or with one unit changed (a near miss the skip must not hide or invent)
        const i = rnd(n.length);
        const inner = rnd(2) === 0 ? n.toUpperCase() : n.slice(0, i) + A[rnd(A.length)] + n.slice(i + 1);
        const pad = (): string => Array.from({ length: rnd(300) }, () => A[rnd(A.length)]).join('');
        check(ac, needles, pad() + inner + pad(), round * 30 + t + 1);
      }
    }
  });
});
