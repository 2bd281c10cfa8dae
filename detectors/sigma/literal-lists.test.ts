/**
 * A list of one-literal values (`Field|endswith: [a, b, …]`) is tested in one
 * loop over the literals (value-compiler.ts, literalsTester): it must match
 * exactly the events that one of its values alone matches, whatever the
 * modifiers, case folding, wildcards (which fall back to per-value testers) and
 * shapes of the field's value. The modifiers that turn one value into several
 * literal alternatives (windash's dash variants, base64offset's three shifts,
 * utf16/wide encodings) and neq are checked with events that hold the values as
 * written, with dashes swapped, and encoded.
 */
import { matcher, mulberryInts } from './test-helpers';

const ALPHABET = ['a', 'B', 'k', 'K', '\u212a', 'é', 'É', '\\', '.', ' ', 'σ', 'Σ', 'ς', 'İ', 'i', '1'];
const MODIFIERS = ['', '|contains', '|startswith', '|endswith', '|cased', '|contains|cased', '|endswith|cased', '|all'];
const MOD_ALPHABET = [
  '-',
  '\u2013',
  '\u2014',
  '\u2015',
  '/',
  'a',
  'B',
  'k',
  'K',
  '\u212a',
  'é',
  'É',
  '\\',
  '.',
  ' ',
  'σ',
  'Σ',
  'ς',
  'İ',
  'i',
  '1',
];
const ENCODING_MODIFIERS = [
  '|windash',
  '|contains|windash',
  '|windash|cased',
  '|startswith|windash',
  '|base64offset|contains',
  '|utf16le|base64offset|contains',
  '|wide|base64|contains',
  '|base64',
  '|endswith|windash|cased',
  '|neq',
];

type Rnd = (n: number) => number;
const wordOf =
  (rnd: Rnd, alphabet: readonly string[]) =>
  (min: number, max: number, wild: boolean): string => {
    let s = '';
    for (let i = 0, n = min + rnd(max - min + 1); i < n; i++)
      s += wild && rnd(8) === 0 ? (rnd(2) === 0 ? '*' : '?') : alphabet[rnd(alphabet.length)];
    return s;
  };

/**
 * 120 random lists, each against 40 random events: the list matches exactly when its
 * values one by one do (any of them; all of them for `|all` and `|neq`). Returns the
 * share of events that matched, so a caller can check they are not all misses.
 */
function listsAgreeWithSingles(
  rnd: Rnd,
  modifiers: readonly string[],
  valuesFor: (mod: string) => unknown[],
  eventValue: (mod: string, values: unknown[]) => unknown,
): number {
  let matched = 0;
  let total = 0;
  for (let round = 0; round < 120; round++) {
    const mod = modifiers[rnd(modifiers.length)] as string;
    const values = valuesFor(mod);
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
    const every = mod === '|all' || mod === '|neq';
    for (let t = 0; t < 40; t++) {
      const one = (): unknown => eventValue(mod, values);
      const event = { F: rnd(5) === 0 ? [one(), one()] : one() };
      const want = every ? singles.every((m) => m(event)) : singles.some((m) => m(event));
      if (want) matched++;
      total++;
      expect([mod, values, event, list(event)]).toEqual([mod, values, event, want]);
    }
  }
  return matched / total;
}

describe('lists of literal values', () => {
  it('match exactly when one of their values alone matches (random lists, modifiers and events)', () => {
    const rnd = mulberryInts(53);
    const word = wordOf(rnd, ALPHABET);
    const share = listsAgreeWithSingles(
      rnd,
      MODIFIERS,
      () => {
        const wild = rnd(3) === 0;
        return Array.from({ length: 2 + rnd(5) }, () => (rnd(6) === 0 ? rnd(20) : word(1, 3, wild)));
      },
      () => (rnd(8) === 0 ? rnd(20) : word(0, 6, false)),
    );
    // the events are not all misses
    expect(share).toBeGreaterThan(1 / 20);
  });

  it('with windash, encodings and neq, match exactly as their values one by one', () => {
    const rnd = mulberryInts(59);
    const word = wordOf(rnd, MOD_ALPHABET);
    const share = listsAgreeWithSingles(
      rnd,
      ENCODING_MODIFIERS,
      (mod) => {
        const wild = rnd(3) === 0 && !mod.includes('base64');
        return Array.from({ length: 2 + rnd(5) }, () =>
          rnd(6) === 0 && !/windash|base64/.test(mod) ? rnd(20) : word(mod.includes('base64') ? 2 : 1, 3, wild),
        );
      },
      (_mod, values) => {
        if (rnd(8) === 0) return rnd(20);
        if (rnd(2) === 0) return word(0, 6, false);
        // a list value as written, with its dashes swapped, or encoded as the modifiers encode it
        const v = String(values[rnd(values.length)]);
        const enc = [
          v,
          v.replace(/-/g, '\u2013'),
          v.replace(/\//g, '-'),
          Buffer.from(v).toString('base64'),
          Buffer.from(v, 'utf16le').toString('base64'),
          Buffer.from('x' + v).toString('base64'),
        ][rnd(6)] as string;
        return word(0, 2, false) + (rnd(3) === 0 ? enc.toUpperCase() : enc) + word(0, 2, false);
      },
    );
    expect(share).toBeGreaterThan(1 / 20);
  });
});
