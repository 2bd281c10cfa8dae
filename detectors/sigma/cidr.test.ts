import { parseIPv4 } from './cidr';
import { seededInts } from './test-helpers';

/** The split-and-regex parser parseIPv4 replaced: the reference for its results. */
function referenceIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

const show = (b: Uint8Array | undefined): string => (b ? [...b].join('.') : 'none');

describe('parseIPv4', () => {
  it('agrees with the split-and-regex parser on random near-addresses', () => {
    const rnd = seededInts(41);
    const PARTS = ['0', '1', '9', '25', '99', '255', '256', '00', '007', '1000', '', ' 1', 'a', '-1', '٣', '1:'];
    let valid = 0;
    for (let t = 0; t < 20000; t++) {
      // 3 to 5 parts, mostly plausible ones
      const n = rnd(4) === 0 ? 3 + rnd(3) : 4;
      const s = Array.from({ length: n }, () => PARTS[rnd(rnd(2) === 0 ? 7 : PARTS.length)]).join('.');
      const want = referenceIPv4(s);
      if (want) valid++;
      expect([s, show(parseIPv4(s))]).toEqual([s, show(want)]);
    }
    expect(valid).toBeGreaterThan(100);
  });

  it('reads addresses and rejects near misses', () => {
    expect(show(parseIPv4('10.0.0.1'))).toBe('10.0.0.1');
    expect(show(parseIPv4('255.255.255.255'))).toBe('255.255.255.255');
    expect(show(parseIPv4('010.001.0.9'))).toBe('10.1.0.9');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '0001.2.3.4'])
      expect([bad, parseIPv4(bad)]).toEqual([bad, undefined]);
  });
});

/**
 * parseIPv4 (one pass over the code units) against the split-and-regex parser it
 * replaced, on every string of up to 7 characters over an alphabet of digits,
 * dots and near-digits (whitespace, signs, a non-ASCII digit, a newline), plus
 * every 4-part spelling with parts of 0 to 4 digits around 255.
 */
describe('parseIPv4 (exhaustive)', () => {
  it('agrees with the split-and-regex parser on every short string over a tricky alphabet', () => {
    const ALPHA = ['0', '1', '.', '9', ' ', '\n', '+', '٣'];
    let bad = 0;
    let valid = 0;
    const walk = (s: string, depth: number): void => {
      const want = show(referenceIPv4(s));
      if (want !== 'none') valid++;
      if (show(parseIPv4(s)) !== want) {
        bad++;
        expect([s, show(parseIPv4(s))]).toEqual([s, want]);
      }
      if (depth < 7) for (const c of ALPHA) walk(s + c, depth + 1);
    };
    walk('', 0);
    expect(bad).toBe(0);
    expect(valid).toBeGreaterThan(0);
  });

  it('agrees on every 4-part spelling with parts around the 255 bound', () => {
    const PARTS = [
      '',
      '0',
      '00',
      '000',
      '0000',
      '1',
      '01',
      '001',
      '255',
      '256',
      '0255',
      '199',
      '260',
      '999',
      '2550',
      ' 1',
      '1\n',
      '+1',
    ];
    for (const a of PARTS)
      for (const b of PARTS)
        for (const c of PARTS)
          for (const d of PARTS) {
            const s = `${a}.${b}.${c}.${d}`;
            const got = show(parseIPv4(s));
            const want = show(referenceIPv4(s));
            if (got !== want) expect([s, got]).toEqual([s, want]);
          }
  });
});
