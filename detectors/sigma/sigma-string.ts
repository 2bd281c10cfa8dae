/**
 * Sigma string values: wildcards `*` and `?` with the escape rules of the Sigma
 * rules specification ("Escape Character"), and their compilation into fast
 * string tests.
 *
 * Escapes: a backslash escapes `*`, `?` and itself; a backslash before any other
 * character is a plain backslash. So `\*` is a literal star, `\\*` a backslash
 * followed by a wildcard, `\\\*` a backslash and a literal star, and both `\\\`
 * and `\\\\` are two backslashes.
 */
import { fold } from './fold';

export const STAR = 0 as const;
export const ONE = 1 as const;
/** A set of alternative characters at one position (used by `windash`). */
export interface CharClass {
  readonly cls: string;
}
export type Token = string | typeof STAR | typeof ONE | CharClass;

export class SigmaString {
  constructor(readonly tokens: readonly Token[]) {}

  static parse(value: string): SigmaString {
    const out: Token[] = [];
    let lit = '';
    for (let i = 0; i < value.length; i++) {
      const c = value[i] as string;
      if (c === '\\') {
        const n = value[i + 1];
        if (n === '*' || n === '?' || n === '\\') {
          lit += n;
          i++;
        } else {
          lit += '\\';
        }
      } else if (c === '*' || c === '?') {
        if (lit) out.push(lit);
        lit = '';
        out.push(c === '*' ? STAR : ONE);
      } else {
        lit += c;
      }
    }
    if (lit) out.push(lit);
    return new SigmaString(out);
  }

  /** A string with no wildcards, e.g. the output of an encoding modifier. */
  static literal(value: string): SigmaString {
    return new SigmaString(value ? [value] : []);
  }

  hasWildcards(): boolean {
    return this.tokens.some((t) => typeof t !== 'string');
  }

  /** The plain text; only meaningful when there are no wildcards. */
  plain(): string {
    return this.tokens.map((t) => (typeof t === 'string' ? t : t === STAR ? '*' : t === ONE ? '?' : t.cls[0])).join('');
  }

  startsWithStar(): boolean {
    return this.tokens[0] === STAR;
  }

  endsWithStar(): boolean {
    return this.tokens[this.tokens.length - 1] === STAR;
  }

  prependStar(): SigmaString {
    return this.startsWithStar() ? this : new SigmaString([STAR, ...this.tokens]);
  }

  appendStar(): SigmaString {
    return this.endsWithStar() ? this : new SigmaString([...this.tokens, STAR]);
  }

  /** Applies `fn` to every literal part (wildcards stay). */
  mapLiterals(fn: (s: string) => string): SigmaString {
    return new SigmaString(this.tokens.map((t) => (typeof t === 'string' ? fn(t) : t)));
  }

  /** Replaces characters of literal parts by a class (windash). */
  withClasses(chars: string, cls: string): SigmaString {
    const out: Token[] = [];
    for (const t of this.tokens) {
      if (typeof t !== 'string') {
        out.push(t);
        continue;
      }
      let lit = '';
      for (const c of t) {
        if (chars.includes(c)) {
          if (lit) out.push(lit);
          lit = '';
          out.push({ cls });
        } else lit += c;
      }
      if (lit) out.push(lit);
    }
    return new SigmaString(out);
  }

  /** Literal fragments, longest first: candidates for the prefilter index. */
  literalFragments(): string[] {
    return this.tokens.filter((t): t is string => typeof t === 'string').sort((a, b) => b.length - a.length);
  }
}

/** Tests the string value of a field; `lower` is `fold(raw)`, computed once per event. */
export type StringTest = (raw: string, lower: string) => boolean;

type CharPat = number | typeof STAR_C | typeof ONE_C | Set<number>;
const STAR_C = -1;
const ONE_C = -2;

/**
 * Compiles a pattern into a test. Common shapes become `===`, `startsWith`,
 * `endsWith` and `includes`; star-only globs chain `indexOf`; the rest uses a
 * wildcard matcher that is O(n·m) in the worst case (never exponential).
 */
export function compileStringTest(pattern: SigmaString, cased: boolean): StringTest {
  const norm = (s: string): string => (cased ? s : fold(s));
  const toks: Token[] = [];
  for (const t of pattern.tokens) {
    // collapse runs of stars, lower-case literals once
    if (t === STAR && toks[toks.length - 1] === STAR) continue;
    toks.push(typeof t === 'string' ? norm(t) : typeof t === 'object' ? { cls: norm(t.cls) } : t);
  }
  const pick = cased ? (raw: string): string => raw : (_raw: string, lower?: string): string => lower as string;
  const n = toks.length;
  const first = toks[0];
  if (n === 0) return (raw) => raw === '';
  if (n === 1 && first === STAR) return () => true;
  if (toks.every((t) => typeof t === 'string' || t === STAR)) {
    const simple = shapeOf(toks);
    if (simple) {
      const text = simple.text;
      switch (simple.shape) {
        case 'eq':
          return cased ? (raw) => raw === text : (_r, l) => l === text;
        case 'ends':
          return cased ? (raw) => raw.endsWith(text) : (_r, l) => l.endsWith(text);
        case 'starts':
          return cased ? (raw) => raw.startsWith(text) : (_r, l) => l.startsWith(text);
        case 'contains':
          return cased ? (raw) => raw.includes(text) : (_r, l) => l.includes(text);
      }
    }
    return starGlob(toks as (string | typeof STAR)[], pick);
  }
  return charGlob(toks, pick);
}

/** How compileStringTest places a one-literal pattern: ===, startsWith, endsWith or includes. */
export type LiteralShape = 'eq' | 'starts' | 'ends' | 'contains';

/** Star-collapsed, normalized tokens of one of the four one-literal shapes, or undefined. */
function shapeOf(toks: readonly Token[]): { shape: LiteralShape; text: string } | undefined {
  const n = toks.length;
  const first = toks[0];
  const last = toks[n - 1];
  if (n === 1 && typeof first === 'string') return { shape: 'eq', text: first };
  if (n === 2 && first === STAR && typeof last === 'string') return { shape: 'ends', text: last };
  if (n === 2 && last === STAR && typeof first === 'string') return { shape: 'starts', text: first };
  const mid = toks[1];
  if (n === 3 && first === STAR && last === STAR && typeof mid === 'string') return { shape: 'contains', text: mid };
  return undefined;
}

/**
 * When compileStringTest(pattern, cased) is one of ===, startsWith, endsWith or
 * includes with one literal: that shape and the literal, as the test compares it
 * (folded unless `cased`) with the value (folded unless `cased`). Lets a list of
 * such values be tested in one loop (value-compiler.ts).
 */
export function literalShape(pattern: SigmaString, cased: boolean): { shape: LiteralShape; text: string } | undefined {
  const toks: Token[] = [];
  for (const t of pattern.tokens) {
    if (t === STAR && toks[toks.length - 1] === STAR) continue;
    if (typeof t !== 'string' && t !== STAR) return undefined;
    toks.push(typeof t === 'string' ? (cased ? t : fold(t)) : t);
  }
  return shapeOf(toks);
}

/** `lit*lit*lit` — leftmost-greedy placement of the middle parts is exact for star-only globs. */
function starGlob(toks: (string | typeof STAR)[], pick: (raw: string, lower: string) => string): StringTest {
  const anchoredStart = toks[0] !== STAR;
  const anchoredEnd = toks[toks.length - 1] !== STAR;
  const parts = toks.filter((t): t is string => t !== STAR);
  const head = anchoredStart ? parts.shift() : undefined;
  const tail = anchoredEnd ? parts.pop() : undefined;
  return (raw, lower) => {
    const s = pick(raw, lower);
    let from = 0;
    let end = s.length;
    if (head !== undefined) {
      if (!s.startsWith(head)) return false;
      from = head.length;
    }
    if (tail !== undefined) {
      if (s.length - tail.length < from || !s.endsWith(tail)) return false;
      end = s.length - tail.length;
    }
    for (const p of parts) {
      const at = s.indexOf(p, from);
      if (at < 0 || at + p.length > end) return false;
      from = at + p.length;
    }
    return true;
  };
}

function charGlob(toks: Token[], pick: (raw: string, lower: string) => string): StringTest {
  const pat: CharPat[] = [];
  for (const t of toks) {
    if (t === STAR) pat.push(STAR_C);
    else if (t === ONE) pat.push(ONE_C);
    else if (typeof t === 'string') for (let i = 0; i < t.length; i++) pat.push(t.charCodeAt(i));
    else pat.push(new Set([...t.cls].map((c) => c.charCodeAt(0))));
  }
  const m = pat.length;
  return (raw, lower) => {
    const s = pick(raw, lower);
    const len = s.length;
    let i = 0;
    let p = 0;
    let starP = -1;
    let starI = 0;
    while (i < len) {
      const pc = pat[p];
      if (p < m && pc !== STAR_C) {
        const c = s.charCodeAt(i);
        if (pc === ONE_C) {
          // `?` is one character: a surrogate pair (an astral character) counts once
          i += c >= 0xd800 && c <= 0xdbff && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
          p++;
          continue;
        }
        if (typeof pc === 'number' ? pc === c : (pc as Set<number>).has(c)) {
          i++;
          p++;
          continue;
        }
      } else if (p < m) {
        starP = p++;
        starI = i;
        continue;
      }
      if (starP < 0) return false;
      p = starP + 1;
      i = ++starI;
    }
    while (p < m && pat[p] === STAR_C) p++;
    return p === m;
  };
}
