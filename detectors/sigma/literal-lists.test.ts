/**
 * A list of one-literal values (`Field|endswith: [a, b, …]`) is tested in one
 * loop over the literals (value-compiler.ts, literalsTester): it must match
 * exactly the events that one of its values alone matches, whatever the
 * modifiers, case folding, wildcards (which fall back to per-value testers) and
 * shapes of the field's value.
 */
import { matcher, mulberryInts } from './test-helpers';

const ALPHABET = ['a', 'B', 'k', 'K', '\u212a', 'é', 'É', '\\', '.', ' ', 'σ', 'Σ', 'ς', 'İ', 'i', '1'];
const MODIFIERS = ['', '|contains', '|startswith', '|endswith', '|cased', '|contains|cased', '|endswith|cased', '|all'];

describe('lists of literal values', () => {
  it('match exactly when one of their values alone matches (random lists, modifiers and events)', () => {
    const rnd = mulberryInts(53);
    const word = (min: number, max: number, wild: boolean): string => {
      let s = '';
      for (let i = 0, n = min + rnd(max - min + 1); i < n; i++)
        s += wild && rnd(8) === 0 ? (rnd(2) === 0 ? '*' : '?') : ALPHABET[rnd(ALPHABET.length)];
      return s;
    };
    let matched = 0;
    let total = 0;
    for (let round = 0; round < 120; round++) {
      const mod = MODIFIERS[rnd(MODIFIERS.length)] as string;
      const wild = rnd(3) === 0;
      const values: unknown[] = Array.from({ length: 2 + rnd(5) }, () => (rnd(6) === 0 ? rnd(20) : word(1, 3, wild)));
      const yaml = (v: unknown): string => JSON.stringify(v);
      const list = matcher(`
        selection:
          F${mod}: [${values.map(yaml).join(', ')}]
        condition: selection
      `);
      const singles = values.map((v) =>
        matcher(`
        selection:
          F${mod}: ${yaml(v)}
        condition: selection
      `),
      );
      for (let t = 0; t < 40; t++) {
        const one = (): unknown => (rnd(8) === 0 ? rnd(20) : word(0, 6, false));
        const event = { F: rnd(5) === 0 ? [one(), one()] : one() };
        const want = mod === '|all' ? singles.every((m) => m(event)) : singles.some((m) => m(event));
        if (want) matched++;
        total++;
        expect([mod, values, event, list(event)]).toEqual([mod, values, event, want]);
      }
    }
    // the events are not all misses
    expect(matched).toBeGreaterThan(total / 20);
  });
});
