import { seededInts } from './test-helpers';
import { compilePike, PIKE_MAX_PROGRAM } from './pike-vm';

describe('Pike VM', () => {
  it('agrees with JavaScript RegExp on random patterns of the Sigma subset', () => {
    const parts = [
      'a',
      'b',
      '.',
      '[ab]',
      '[^a]',
      '\\d',
      '\\s',
      '(?:a|b)',
      'a*',
      'b+',
      'a?',
      '(?:ab)*',
      '^',
      '$',
      '\\b',
      '\\B',
      'x{2,3}',
      '(?:a|)',
    ];
    const rnd = seededInts(42);
    let compared = 0;
    for (let k = 0; k < 5000; k++) {
      let pat = '';
      const len = 1 + rnd(6);
      for (let j = 0; j < len; j++) pat += parts[rnd(parts.length)];
      const text = Array.from({ length: rnd(10) }, () => 'abx1 \n'[rnd(6)]).join('');
      for (const flags of [
        { m: false, s: false },
        { m: true, s: true },
      ]) {
        const m = compilePike(pat, flags);
        if (typeof m === 'string') throw new Error(`${pat}: ${m}`);
        const re = new RegExp(pat, (flags.m ? 'm' : '') + (flags.s ? 's' : ''));
        expect([pat, text, m.test(text)]).toEqual([pat, text, re.test(text)]);
        compared++;
      }
    }
    expect(compared).toBe(10000);
  });

  it('runs nested counted repetitions in linear time', () => {
    const m = compilePike('(?:a{1,30}){1,30}b', { m: false, s: false });
    if (typeof m === 'string') throw new Error(m);
    // exponential for a backtracking engine; a few hundred thousand steps here
    expect(m.test('a'.repeat(5000))).toBe(false);
    expect(m.test('a'.repeat(50) + 'b')).toBe(true);
  });

  it('rejects a program over the size limit', () => {
    const r = compilePike(`(?:a{1,1000}){1,1000}`, { m: false, s: false });
    expect(typeof r).toBe('string');
    expect(PIKE_MAX_PROGRAM).toBeGreaterThan(1000);
  });
});
