/**
 * The case-sensitive `re` pre-check (regexCasedLiterals: a value must hold one of
 * the expression's literals verbatim) on literals written as escapes, non-ASCII
 * letters with case forms and named groups, and with the i, m and s modifiers:
 * a rule matches exactly what the expression (the safe-regex VM) matches.
 */
import { compileSafeRegex } from './safe-regex';
import { matcher, mulberryInts } from './test-helpers';

describe('case-sensitive re pre-check, escaped and non-ASCII literals', () => {
  it('matches exactly what the expression matches', () => {
    // [Sigma pattern, the same for RegExp]
    const parts: [string, string][] = [
      ['\\x41', '\\x41'],
      ['\\u00e9', '\\u00e9'],
      ['\\u00C9', '\\u00C9'],
      ['É', 'É'],
      ['Σ', 'Σ'],
      ['ς', 'ς'],
      ['\\.', '\\.'],
      ['\\/', '\\/'],
      ['\\t', '\\t'],
      ['(?P<n>Ab)', '(?<n>Ab)'],
      ['(?:a|É)', '(?:a|É)'],
      ['K', 'K'],
      ['\u212a', '\u212a'],
      ['b+', 'b+'],
      ['[aA]', '[aA]'],
    ];
    const TEXT = ['a', 'A', 'b', 'B', 'é', 'É', 'σ', 'Σ', 'ς', '.', '/', '\t', 'k', 'K', '\u212a', '\n', 'x'];
    const MODS: [string, string][] = [
      ['', ''],
      ['|i', 'i'],
      ['|m', 'm'],
      ['|s', 's'],
      ['|i|s', 'is'],
    ];
    const rnd = mulberryInts(61);
    let hits = 0;
    for (let k = 0; k < 120; k++) {
      let sigma = '';
      let js = '';
      for (let j = 0, len = 1 + rnd(3); j < len; j++) {
        const [s, r] = parts[rnd(parts.length)] as [string, string];
        sigma += s;
        js += r;
      }
      const [mod, flags] = MODS[rnd(MODS.length)] as [string, string];
      const m = matcher(`
        selection:
          F|re${mod}: ${JSON.stringify(sigma)}
        condition: selection
      `);
      const compiled = compileSafeRegex(sigma, {
        i: flags.includes('i'),
        m: flags.includes('m'),
        s: flags.includes('s'),
      });
      if (!compiled.ok) throw new Error(sigma);
      const re = compiled.regex;
      // case-sensitive, the expression itself agrees with RegExp (its own case-insensitive rules differ for non-ASCII)
      const jsRe = new RegExp(js, flags);
      const comparable = !flags.includes('i');
      for (let t = 0; t < 40; t++) {
        const text = Array.from({ length: rnd(8) }, () => TEXT[rnd(TEXT.length)]).join('');
        // half the texts hold a match (the pattern's literal spelling, in some case)
        const inner = rnd(2) === 0 ? '' : sigma.replace(/\(\?P<n>|\(\?:|\)|\\/g, '').split('|')[0]!;
        const value = text + (rnd(2) === 0 ? inner : inner.toUpperCase()) + text;
        const want = re.test(value);
        if (comparable) expect([js, flags, value, jsRe.test(value)]).toEqual([js, flags, value, want]);
        if (want) hits++;
        expect([sigma, mod, value, m({ F: value })]).toEqual([sigma, mod, value, want]);
      }
    }
    expect(hits).toBeGreaterThan(200);
  });
});
