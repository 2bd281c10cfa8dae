import { seededInts } from './test-helpers';
import { fold } from './fold';
import { regexNeedles } from './regex-needles';

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
});
