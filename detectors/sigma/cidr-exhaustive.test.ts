/**
 * parseIPv4 (one pass over the code units) against the split-and-regex parser it
 * replaced, on every string of up to 7 characters over an alphabet of digits,
 * dots and near-digits (whitespace, signs, a non-ASCII digit, a newline), plus
 * every 4-part spelling with parts of 0 to 4 digits around 255.
 */
import { parseIPv4 } from './cidr';

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
