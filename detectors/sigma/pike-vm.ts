/**
 * A linear-time regular expression matcher (Thompson NFA simulated Pike-style,
 * match only, no captures), for the patterns V8's own linear engine refuses —
 * it rejects large counted repetitions such as `(?:[0-9a-f]{2}\s?){2,20}` — but
 * whose nesting could make the backtracking engine explode. Time is
 * O(text length × program size); the program size is capped.
 *
 * Input is the JavaScript-syntax pattern produced by safe-regex.ts (case
 * folding already expanded, groups non-capturing, escapes normalised).
 */

type CharPred = (c: number) => boolean;

type Ast =
  | { t: 'char'; p: CharPred }
  | { t: 'assert'; k: '^' | '$' | 'b' | 'B' }
  | { t: 'cat'; items: Ast[] }
  | { t: 'alt'; alts: Ast[] }
  | { t: 'rep'; e: Ast; min: number; max: number };

export const PIKE_MAX_PROGRAM = 50_000;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWord = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPACE = new Set([9, 10, 11, 12, 13, 32, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);
const isSpace = (c: number): boolean => SPACE.has(c) || (c >= 0x2000 && c <= 0x200a);
const isLineTerminator = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

const CLASS_ESCAPES: Record<string, CharPred> = {
  d: isDigit,
  D: (c) => !isDigit(c),
  w: isWord,
  W: (c) => !isWord(c),
  s: isSpace,
  S: (c) => !isSpace(c),
};
const CHAR_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 };

class ParseError extends Error {}

function parse(src: string, dotAll: boolean): Ast {
  let i = 0;
  const escapeChar = (): number | CharPred => {
    const n = src[i + 1];
    if (n === undefined) throw new ParseError('dangling backslash');
    i += 2;
    if (CLASS_ESCAPES[n]) return CLASS_ESCAPES[n] as CharPred;
    if (CHAR_ESCAPES[n] !== undefined) return CHAR_ESCAPES[n] as number;
    if (n === 'x' || n === 'u') {
      const len = n === 'x' ? 2 : 4;
      const hex = src.slice(i, i + len);
      i += len;
      return parseInt(hex, 16);
    }
    return n.charCodeAt(0);
  };
  const parseClass = (): CharPred => {
    i++; // [
    let negate = false;
    if (src[i] === '^') {
      negate = true;
      i++;
    }
    const ranges: number[] = [];
    const preds: CharPred[] = [];
    let first = true;
    while (i < src.length && (src[i] !== ']' || first)) {
      first = false;
      let lo: number | CharPred;
      if (src[i] === '\\') lo = escapeChar();
      else lo = (src[i++] as string).charCodeAt(0);
      if (typeof lo === 'function') {
        preds.push(lo);
        continue;
      }
      if (src[i] === '-' && src[i + 1] !== undefined && src[i + 1] !== ']') {
        i++;
        const hi = src[i] === '\\' ? escapeChar() : (src[i++] as string).charCodeAt(0);
        if (typeof hi === 'function') throw new ParseError('class escape as range end');
        ranges.push(lo, hi);
      } else ranges.push(lo, lo);
    }
    if (src[i] !== ']') throw new ParseError('unterminated class');
    i++;
    const test: CharPred = (c) => {
      for (let k = 0; k < ranges.length; k += 2)
        if (c >= (ranges[k] as number) && c <= (ranges[k + 1] as number)) return true;
      for (const p of preds) if (p(c)) return true;
      return false;
    };
    return negate ? (c) => !test(c) : test;
  };
  const parseAlt = (): Ast => {
    const alts: Ast[] = [parseCat()];
    while (src[i] === '|') {
      i++;
      alts.push(parseCat());
    }
    return alts.length === 1 ? (alts[0] as Ast) : { t: 'alt', alts };
  };
  const parseCat = (): Ast => {
    const items: Ast[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      let atom: Ast;
      const c = src[i] as string;
      if (c === '(') {
        if (src.startsWith('(?:', i)) i += 3;
        else i++;
        atom = parseAlt();
        if (src[i] !== ')') throw new ParseError('unbalanced parenthesis');
        i++;
      } else if (c === '[') atom = { t: 'char', p: parseClass() };
      else if (c === '.') {
        i++;
        atom = { t: 'char', p: dotAll ? () => true : (x) => !isLineTerminator(x) };
      } else if (c === '^' || c === '$') {
        i++;
        atom = { t: 'assert', k: c };
      } else if (c === '\\' && (src[i + 1] === 'b' || src[i + 1] === 'B')) {
        atom = { t: 'assert', k: src[i + 1] as 'b' | 'B' };
        i += 2;
      } else if (c === '\\') {
        const e = escapeChar();
        atom = { t: 'char', p: typeof e === 'function' ? e : (x) => x === e };
      } else {
        i++;
        const code = c.charCodeAt(0);
        atom = { t: 'char', p: (x) => x === code };
      }
      // quantifier
      const q = src[i];
      let min = 1;
      let max = 1;
      if (q === '*' || q === '+' || q === '?') {
        min = q === '+' ? 1 : 0;
        max = q === '?' ? 1 : Infinity;
        i++;
      } else if (q === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (m) {
          min = Number(m[1]);
          max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
          i += m[0].length;
        }
      }
      if (min !== 1 || max !== 1) {
        if (src[i] === '?') i++; // laziness does not change whether a match exists
        atom = { t: 'rep', e: atom, min, max };
      }
      items.push(atom);
    }
    return items.length === 1 ? (items[0] as Ast) : { t: 'cat', items };
  };
  const ast = parseAlt();
  if (i !== src.length) throw new ParseError('unexpected character');
  return ast;
}

const CHAR = 0;
const SPLIT = 1;
const JMP = 2;
const ASSERT = 3;
const MATCH = 4;

interface Program {
  op: number[];
  a: number[];
  b: number[];
  preds: CharPred[];
  asserts: string[];
}

function compile(ast: Ast): Program {
  const p: Program = { op: [], a: [], b: [], preds: [], asserts: [] };
  const emit = (op: number, a = 0, b = 0): number => {
    if (p.op.length >= PIKE_MAX_PROGRAM) throw new ParseError('pattern too large');
    p.op.push(op);
    p.a.push(a);
    p.b.push(b);
    return p.op.length - 1;
  };
  const gen = (n: Ast): void => {
    switch (n.t) {
      case 'char':
        p.preds.push(n.p);
        emit(CHAR, p.preds.length - 1);
        return;
      case 'assert':
        p.asserts.push(n.k);
        emit(ASSERT, p.asserts.length - 1);
        return;
      case 'cat':
        for (const x of n.items) gen(x);
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.alts.forEach((alt, k) => {
          if (k < n.alts.length - 1) {
            const split = emit(SPLIT);
            p.a[split] = split + 1;
            gen(alt);
            jumps.push(emit(JMP));
            p.b[split] = p.op.length;
          } else gen(alt);
        });
        for (const j of jumps) p.a[j] = p.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) gen(n.e);
        if (n.max === Infinity) {
          const split = emit(SPLIT);
          p.a[split] = split + 1;
          gen(n.e);
          emit(JMP, split);
          p.b[split] = p.op.length;
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const split = emit(SPLIT);
            p.a[split] = split + 1;
            splits.push(split);
            gen(n.e);
          }
          for (const s of splits) p.b[s] = p.op.length;
        }
        return;
      }
    }
  };
  gen(ast);
  emit(MATCH);
  return p;
}

export interface Matcher {
  test(s: string): boolean;
}

/** Compiles `src` (JavaScript syntax, flags m/s) or returns an error message. */
export function compilePike(src: string, flags: { m: boolean; s: boolean }): Matcher | string {
  let prog: Program;
  try {
    prog = compile(parse(src, flags.s));
  } catch (e) {
    if (e instanceof ParseError) return e.message;
    throw e;
  }
  const { op, a, b, preds, asserts } = prog;
  const size = op.length;
  const mark = new Uint32Array(size);
  let gen = 0;
  const multiline = flags.m;
  let clist = new Int32Array(size);
  let nlist = new Int32Array(size);
  return {
    test(s: string): boolean {
      const n = s.length;
      let ccount = 0;
      let ncount = 0;
      let matched = false;
      const stack: number[] = [];
      const holds = (k: string, i: number): boolean => {
        switch (k) {
          case '^':
            return i === 0 || (multiline && isLineTerminator(s.charCodeAt(i - 1)));
          case '$':
            return i === n || (multiline && isLineTerminator(s.charCodeAt(i)));
          default: {
            const w = (i > 0 && isWord(s.charCodeAt(i - 1))) !== (i < n && isWord(s.charCodeAt(i)));
            return k === 'b' ? w : !w;
          }
        }
      };
      // follows epsilon moves from pc at position i; CHAR states go to list
      const add = (list: Int32Array, count: number, pc0: number, i: number): number => {
        stack.push(pc0);
        while (stack.length > 0) {
          const pc = stack.pop() as number;
          if (mark[pc] === gen) continue;
          mark[pc] = gen;
          switch (op[pc]) {
            case CHAR:
              list[count++] = pc;
              break;
            case JMP:
              stack.push(a[pc] as number);
              break;
            case SPLIT:
              stack.push(b[pc] as number, a[pc] as number);
              break;
            case ASSERT:
              if (holds(asserts[a[pc] as number] as string, i)) stack.push(pc + 1);
              break;
            case MATCH:
              matched = true;
              break;
          }
        }
        return count;
      };
      if (gen > 0xfffffff0) {
        mark.fill(0);
        gen = 0;
      }
      gen++;
      ccount = add(clist, 0, 0, 0);
      for (let i = 0; i < n && !matched; i++) {
        const c = s.charCodeAt(i);
        gen++;
        ncount = 0;
        for (let k = 0; k < ccount; k++) {
          const pc = clist[k] as number;
          if ((preds[a[pc] as number] as CharPred)(c)) ncount = add(nlist, ncount, pc + 1, i + 1);
        }
        ncount = add(nlist, ncount, 0, i + 1); // unanchored search: a match may start here
        const t = clist;
        clist = nlist;
        nlist = t;
        ccount = ncount;
      }
      return matched;
    },
  };
}
