import { matcher, seededInts } from './test-helpers';
import { fold } from './fold';
import { regexCasedLiterals, regexNeedles } from './regex-needles';

describe('regex literal extraction', () => {
  it('finds the literals of common shapes', () => {
    expect(regexNeedles('\\\\(cmd|powershell)\\.exe')).toEqual(['\\cmd.exe', '\\powershell.exe']);
    expect(regexNeedles('(?i)\\$\\{`?e`?n`?v')).toEqual(['${']);
    expect(regexNeedles('-(?:W|R)\\s')).toEqual(['-w', '-r']);
    expect(regexNeedles('.*')).toBeNull();
    expect(regexNeedles('a|.*')).toBeNull();
  });

  // the prefilter is only sound if every string a regex matches contains a needle
  it('every matching string contains one of the literals (random patterns)', () => {
    const parts = [
      'a',
      'b',
      'C',
      '.',
      '[ab]',
      '\\d',
      '(?:ab|c)',
      '(?:a|b)',
      'a*',
      'b+',
      'c?',
      '(?:ab)*',
      '^',
      '$',
      'x{2,3}',
      '(?:a|)',
      '\\.',
      'ab',
      'ca',
    ];
    const rnd = seededInts(7);
    let checked = 0;
    for (let k = 0; k < 4000; k++) {
      let pat = '';
      const len = 1 + rnd(6);
      for (let j = 0; j < len; j++) pat += parts[rnd(parts.length)];
      const needles = regexNeedles(pat);
      const re = new RegExp(pat, 'i');
      for (let t = 0; t < 10; t++) {
        const text = Array.from({ length: rnd(12) }, () => 'abcABC1x. '[rnd(10)]).join('');
        if (!re.test(text)) continue;
        checked++;
        if (needles) expect([pat, text, needles.some((n) => fold(text).includes(n))]).toEqual([pat, text, true]);
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('case-sensitive literals as written; none when the pattern turns on case-insensitivity', () => {
    expect(regexCasedLiterals('-(W|R)\\s?(\\s|"|\')([0-9a-fA-F]{2}\\s?){2,20}(\\s|"|\')')).toEqual(['-W', '-R']);
    expect(regexCasedLiterals('(?s)Foo.*Bar')).toEqual(['Foo']);
    expect(regexCasedLiterals('(?i)Foo')).toBeNull();
    expect(regexCasedLiterals('(?si)Foo')).toBeNull();
    expect(regexCasedLiterals('a(?i)Foo')).toBeNull();
  });

  // the value-level pre-check is only sound if every match of the case-sensitive
  // expression contains one of the literals verbatim
  it('every string a case-sensitive pattern matches contains one of its literals as written (random patterns)', () => {
    const parts = [
      'a',
      'B',
      'C',
      'c',
      '.',
      '[aB]',
      '\\d',
      '(?:aB|C)',
      '(?:a|B)',
      'a*',
      'B+',
      'C?',
      'x{2,3}',
      '\\.',
      'Ab',
    ];
    const rnd = seededInts(19);
    let checked = 0;
    let withLiterals = 0;
    for (let k = 0; k < 4000; k++) {
      let pat = rnd(5) === 0 ? '(?s)' : '';
      for (let j = 0, len = 1 + rnd(5); j < len; j++) pat += parts[rnd(parts.length)];
      const lits = regexCasedLiterals(pat);
      const re = new RegExp(pat.replace('(?s)', ''), 's');
      for (let t = 0; t < 10; t++) {
        const text = Array.from({ length: rnd(12) }, () => 'abcABC1x. '[rnd(10)]).join('');
        if (!re.test(text)) continue;
        checked++;
        if (lits) {
          withLiterals++;
          expect([pat, text, lits.some((l) => text.includes(l))]).toEqual([pat, text, true]);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(withLiterals).toBeGreaterThan(500);
  });

  it('a case-sensitive re rule (literal pre-check, then the expression) matches exactly what the expression matches', () => {
    const parts = ['a', 'B', 'C', '.', '[aB]', '\\d', '(?:aB|C)', 'a*', 'B+', 'Ab', '-(W|R)'];
    const rnd = seededInts(29);
    let hits = 0;
    for (let k = 0; k < 150; k++) {
      let pat = '';
      for (let j = 0, len = 1 + rnd(4); j < len; j++) pat += parts[rnd(parts.length)];
      const m = matcher(`
        selection:
          F|re: ${JSON.stringify(pat)}
        condition: selection
      `);
      const re = new RegExp(pat);
      for (let t = 0; t < 30; t++) {
        const text = Array.from({ length: rnd(10) }, () => 'abcABC1-WRw '[rnd(12)]).join('');
        const want = re.test(text);
        if (want) hits++;
        expect([pat, text, m({ F: text })]).toEqual([pat, text, want]);
      }
    }
    expect(hits).toBeGreaterThan(200);
  });
});
