/**
 * Literals a regular expression requires: a set of strings at least one of
 * which occurs (lower-cased) in every string the expression matches. They let
 * the prefilter index skip `re` rules for events that cannot match, instead of
 * running the expression on every event (the RE2 "prefilter" idea, simplified).
 *
 * Conservative by construction: any construct not understood yields no
 * literal, and a pattern without a usable literal returns null (always evaluate).
 */
import { fold } from './fold';

type Item =
  | { t: 'lit'; c: string; min: number; max: number }
  | { t: 'any'; min: number }
  | { t: 'zero' }
  | { t: 'group'; alts: Item[][]; min: number };

class Unsupported extends Error {}

function parse(src: string): Item[][] {
  let i = 0;
  const parseAlt = (depth: number): Item[][] => {
    if (depth > 64) throw new Unsupported();
    const alts: Item[][] = [[]];
    while (i < src.length) {
      const c = src[i] as string;
      if (c === ')') break;
      if (c === '|') {
        i++;
        alts.push([]);
        continue;
      }
      const atom = parseAtom(depth);
      const q = parseQuant();
      const seq = alts[alts.length - 1] as Item[];
      if (atom.t === 'lit') seq.push({ ...atom, min: q.min, max: q.max });
      else if (atom.t === 'any') seq.push({ t: 'any', min: q.min });
      else if (atom.t === 'group') seq.push({ ...atom, min: q.min });
      else seq.push(atom);
    }
    return alts;
  };
  const parseQuant = (): { min: number; max: number } => {
    const c = src[i];
    let r = { min: 1, max: 1 };
    if (c === '*') r = { min: 0, max: Infinity };
    else if (c === '+') r = { min: 1, max: Infinity };
    else if (c === '?') r = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) return r;
      const lo = Number(m[1]);
      r = { min: lo, max: m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]) };
      i += m[0].length;
      if (src[i] === '?') i++;
      return r;
    } else return r;
    i++;
    if (src[i] === '?') i++;
    return r;
  };
  const parseAtom = (depth: number): Item => {
    const c = src[i] as string;
    if (c === '(') {
      i++;
      if (src[i] === '?') {
        const m = /^\?(:|P?<[A-Za-z_][A-Za-z0-9_]*>)/.exec(src.slice(i));
        if (!m) throw new Unsupported();
        i += m[0].length;
      }
      const alts = parseAlt(depth + 1);
      if (src[i] !== ')') throw new Unsupported();
      i++;
      return { t: 'group', alts, min: 1 };
    }
    if (c === '[') {
      // skip a class: it matches one character, not a literal
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new Unsupported();
      i = j + 1;
      return { t: 'any', min: 1 };
    }
    if (c === '.') {
      i++;
      return { t: 'any', min: 1 };
    }
    if (c === '^' || c === '$') {
      i++;
      return { t: 'zero' };
    }
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Unsupported();
      i += 2;
      if (n === 'b' || n === 'B') return { t: 'zero' };
      if ('dDwWsSvfr'.includes(n)) return { t: 'any', min: 1 };
      if (n === 'n') return { t: 'lit', c: '\n', min: 1, max: 1 };
      if (n === 't') return { t: 'lit', c: '\t', min: 1, max: 1 };
      if (n === 'x' || n === 'u') {
        const len = n === 'x' ? 2 : 4;
        const hex = src.slice(i, i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new Unsupported();
        i += len;
        return { t: 'lit', c: String.fromCharCode(parseInt(hex, 16)), min: 1, max: 1 };
      }
      if (/[A-Za-z0-9]/.test(n)) throw new Unsupported();
      return { t: 'lit', c: n, min: 1, max: 1 };
    }
    if (c === '*' || c === '+' || c === '?') throw new Unsupported();
    i++;
    return { t: 'lit', c, min: 1, max: 1 };
  };
  const alts = parseAlt(0);
  if (i !== src.length) throw new Unsupported();
  return alts;
}

function score(set: string[]): number {
  let min = Infinity;
  for (const s of set) min = Math.min(min, s.length);
  return Math.min(min, 12) * 4 - Math.log2(set.length + 1);
}

function best(cands: string[][]): string[] | null {
  let b: string[] | null = null;
  for (const c of cands) if (c.length > 0 && (b === null || score(c) > score(b))) b = c;
  return b;
}

/** The strings a group can match when each of its branches is a plain literal, else null. */
function literalAlternatives(it: Item): string[] | null {
  if (it.t !== 'group' || it.min !== 1) return null;
  const out: string[] = [];
  for (const seq of it.alts) {
    let str = '';
    for (const x of seq) {
      if (x.t !== 'lit' || x.min !== 1 || x.max !== 1) return null;
      str += x.c;
    }
    out.push(str);
  }
  return out;
}

const MAX_RUN_VARIANTS = 16;

function seqNeedles(seq: Item[]): string[] | null {
  const cands: string[][] = [];
  // the literal text read so far, as the set of its spellings (a literal
  // alternation such as (cmd|powershell) multiplies them)
  let run: string[] = [''];
  const flush = (): void => {
    if (run.every((r) => r.length > 0)) cands.push([...new Set(run)]);
    run = [''];
  };
  const append = (c: string): void => {
    run = run.map((r) => r + c);
  };
  for (const it of seq) {
    switch (it.t) {
      case 'zero':
        break;
      case 'lit':
        if (it.min === 0) flush();
        else if (it.max === 1 && it.min === 1) append(it.c);
        else {
          // c{2,} : the run before ends with c, and c starts the next run
          append(it.c.repeat(Math.min(it.min, 8)));
          flush();
          run = [it.c];
        }
        break;
      case 'any':
        flush();
        break;
      case 'group': {
        const alts = literalAlternatives(it);
        if (alts && !alts.includes('') && alts.length * run.length <= MAX_RUN_VARIANTS) {
          run = run.flatMap((r) => alts.map((a) => r + a));
          break;
        }
        flush();
        if (it.min >= 1) {
          const g = altNeedles(it.alts);
          if (g) cands.push(g);
        }
        break;
      }
    }
  }
  flush();
  return best(cands);
}

function altNeedles(alts: Item[][]): string[] | null {
  const out: string[] = [];
  for (const seq of alts) {
    const n = seqNeedles(seq);
    if (!n) return null;
    out.push(...n);
  }
  return [...new Set(out)];
}

/** Lower-cased literals one of which every match contains, or null. `pattern` is Sigma's (PCRE) source. */
export function regexNeedles(pattern: string): string[] | null {
  const n = literals(pattern.replace(/^\(\?[ims]+\)/, ''));
  return n ? n.map(fold) : null;
}

/**
 * For a case-sensitive expression: literals, as written, one of which every
 * match contains (a match of a case-sensitive expression has its literals'
 * exact characters). Null when the pattern turns case-insensitive matching on
 * (a leading `(?i)`; an inline flag elsewhere is not understood: null too) or
 * has no usable literal. The caller must not use them with the `i` flag.
 */
export function regexCasedLiterals(pattern: string): string[] | null {
  const flags = /^\(\?([ims]+)\)/.exec(pattern);
  if (flags && (flags[1] as string).includes('i')) return null;
  return literals(flags ? pattern.slice(flags[0].length) : pattern);
}

function literals(src: string): string[] | null {
  try {
    const n = altNeedles(parse(src));
    return n && n.every((s) => s.length > 0) ? n : null;
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}
