/**
 * Case folding for case-insensitive matching. `toLowerCase` alone is not enough:
 * it changes the length of some strings (`İ` → `i̇`), which breaks `?`, and it
 * is context-sensitive for Greek sigma (`ΟΔΟΣ` → `οδος` with a final `ς`, a
 * lone `Σ` → `σ`), so a rule value and an event value could fold differently.
 * One function, used for rule values, needles and event values alike.
 */
export function fold(s: string): string {
  const l = s.toLowerCase();
  if (l.length === s.length && l.indexOf('ς') < 0) return l;
  let out = '';
  for (const ch of s) {
    let x = ch.toLowerCase();
    if (x.length !== ch.length) x = ch;
    out += x === 'ς' ? 'σ' : x;
  }
  return out;
}
