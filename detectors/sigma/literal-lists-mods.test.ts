/**
 * literal-lists.test.ts for the modifiers that turn one value into several
 * literal alternatives (windash's dash variants, base64offset's three shifts,
 * utf16/wide encodings) and for neq: a list tested in one loop over its literals
 * (value-compiler.ts, literalsTester) must match exactly the events its values
 * match one by one (any of them; all of them for neq). Events hold the values
 * as written, with dashes swapped, and encoded.
 */
import { matcher, mulberryInts } from './test-helpers';

const ALPHABET = [
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
const MODIFIERS = [
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

describe('lists of literal values with windash, encodings and neq', () => {
  it('match exactly when one of their values alone matches (random lists, modifiers and events)', () => {
    const rnd = mulberryInts(59);
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
      const wild = rnd(3) === 0 && !mod.includes('base64');
      const values: unknown[] = Array.from({ length: 2 + rnd(5) }, () =>
        rnd(6) === 0 && !/windash|base64/.test(mod) ? rnd(20) : word(mod.includes('base64') ? 2 : 1, 3, wild),
      );
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
        const one = (): unknown => {
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
        };
        const event = { F: rnd(5) === 0 ? [one(), one()] : one() };
        const want = mod === '|neq' ? singles.every((m) => m(event)) : singles.some((m) => m(event));
        if (want) matched++;
        total++;
        expect([mod, values, event, list(event)]).toEqual([mod, values, event, want]);
      }
    }
    // the events are not all misses
    expect(matched).toBeGreaterThan(total / 20);
  });
});
