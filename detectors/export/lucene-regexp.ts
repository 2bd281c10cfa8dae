/**
 * Sigma `re` (a JavaScript-flavoured regular expression, searched anywhere in
 * the value) → a Lucene regular expression (matched against the whole value,
 * the `regexp` query with `flags: NONE`, so `# @ & ~ < >` are plain characters).
 *
 * Exact translations only. The pattern is parsed into a tree, then rendered:
 * `\d \w \s` become explicit classes, `.` excludes line terminators unless `s`
 * is set, unanchored ends become `.*`. Anchors have no Lucene form, so a pattern
 * with `^` or `$` is rendered once per case — the anchor holds (it matches the
 * empty string and the match touches that end of the value) or it does not (the
 * branch holding it is dropped) — and the renderings are OR-ed; this is exact as
 * long as each anchor sits where nothing of the match can precede (`^`) or
 * follow (`$`) it, which is checked. A word boundary `\b` at the start or end of
 * the pattern next to a word character becomes `(^|\W)` or `(\W|$)`. Anything
 * else (other `\b`, lookaround, backreferences, named groups, line anchors)
 * fails with the reason.
 */
import { Unsupported } from './query-tree';

const WORD = 'A-Za-z0-9_';
const DIGIT = '0-9';
// JavaScript's \s, as literal characters
const SPACE = ' \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const LUCENE_SPECIAL = new Set([...'.?+*|{}[]()"\\#@&<>~^$-']);
const CLASS_SPECIAL = new Set([...']\\^-[']);

export interface RegexFlags {
  i: boolean;
  m: boolean;
  s: boolean;
}

type Node =
  | { t: 'alt'; c: Node[][] }
  | { t: 'lit'; ch: string }
  | { t: 'cls'; body: string; wordOnly: boolean }
  | { t: 'any' }
  | { t: 'quant'; c: Node; q: string; min: number }
  | { t: 'caret' }
  | { t: 'dollar' }
  | { t: 'boundary' };

const escChar = (c: string): string => (LUCENE_SPECIAL.has(c) ? `\\${c}` : c);
const escClassChar = (c: string): string => (CLASS_SPECIAL.has(c) ? `\\${c}` : c);
const isWordChar = (c: string): boolean => /^[A-Za-z0-9_]$/.test(c);

/** The class (as rendered, ASCII) holds every letter it holds in both cases: case folding cannot change it. */
function caseClosed(body: string): boolean {
  const set = new Set<number>();
  const chars: number[] = [];
  for (let k = 0; k < body.length; k++)
    chars.push(body[k] === '\\' ? body.charCodeAt(++k) | 0x10000 : body.charCodeAt(k));
  for (let k = 0; k < chars.length; k++) {
    const a = (chars[k] as number) & 0xffff;
    if (chars[k + 1] === '-'.charCodeAt(0) && k + 2 < chars.length) {
      const b = (chars[k + 2] as number) & 0xffff;
      for (let x = a; x <= Math.min(b, 0x7f); x++) set.add(x);
      k += 2;
    } else set.add(a);
  }
  for (const x of set) {
    const c = String.fromCharCode(x);
    if (/[A-Za-z]/.test(c) && !set.has((c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()).charCodeAt(0)))
      return false;
  }
  return true;
}

function parse(src: string, flags: RegexFlags): Node {
  let i = 0;
  const n = src.length;
  const fail = (why: string): never => {
    throw new Unsupported(`regular expression ${JSON.stringify(src)}: ${why}`);
  };
  const escape = (inClass: boolean): { cls?: string; neg?: boolean; ch?: string; boundary?: true } => {
    const c = src[i + 1];
    if (c === undefined) return fail('trailing backslash');
    i += 2;
    switch (c) {
      case 'd':
        return { cls: DIGIT };
      case 'w':
        return { cls: WORD };
      case 's':
        return { cls: SPACE };
      case 'D':
      case 'W':
      case 'S':
        if (inClass) return fail(`\\${c} inside a character class`);
        return { cls: c === 'D' ? DIGIT : c === 'W' ? WORD : SPACE, neg: true };
      case 'b':
        return inClass ? { ch: '\b' } : { boundary: true };
      case 'B':
        return fail('\\B (non-boundary) has no Lucene equivalent');
      case 'n':
        return { ch: '\n' };
      case 't':
        return { ch: '\t' };
      case 'r':
        return { ch: '\r' };
      case 'f':
        return { ch: '\f' };
      case 'v':
        return { ch: '\v' };
      case '0':
        return { ch: '\0' };
      case 'x':
      case 'u': {
        const len = c === 'x' ? 2 : 4;
        const h = src.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) return fail(`bad \\${c} escape`);
        i += len;
        return { ch: String.fromCharCode(parseInt(h, 16)) };
      }
      default:
        if (/[1-9]/.test(c)) return fail('backreferences have no Lucene equivalent');
        if (/[A-Za-z]/.test(c)) return fail(`\\${c} has no Lucene equivalent`);
        return { ch: c };
    }
  };
  const cls = (body: string, neg = false): Node => {
    // Lucene's case-insensitive flag folds literal ASCII characters; ranges are not folded alike
    if (flags.i && !caseClosed(body))
      fail('a character class that holds a letter but not its other case, under the i flag');
    return { t: 'cls', body: neg ? `^${body}` : body, wordOnly: !neg && /^[A-Za-z0-9_-]+$/.test(body) };
  };

  const alternation = (depth: number): Node => {
    const branches: Node[][] = [[]];
    while (i < n) {
      const c = src[i] as string;
      const seq = branches[branches.length - 1] as Node[];
      if (c === ')') {
        if (depth === 0) fail('unbalanced )');
        break;
      }
      if (c === '|') {
        i++;
        branches.push([]);
        continue;
      }
      if (c === '(') {
        if (src[i + 1] === '?') {
          if (src[i + 2] !== ':') fail('lookaround and named groups have no Lucene equivalent');
          i += 3;
        } else i++;
        const g = alternation(depth + 1);
        if (src[i] !== ')') fail('unbalanced (');
        i++;
        seq.push(g);
        continue;
      }
      if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i)))) {
        const prev = seq.pop();
        if (!prev || prev.t === 'caret' || prev.t === 'dollar' || prev.t === 'boundary' || prev.t === 'quant')
          fail('a quantifier without something to repeat');
        let q = c;
        let min = c === '+' ? 1 : 0;
        if (c === '{') {
          const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i)) as RegExpExecArray;
          q = m[0];
          min = Number(m[1]);
          i += m[0].length;
        } else i++;
        if (src[i] === '?') i++; // lazy: the same set of matching values
        seq.push({ t: 'quant', c: prev as Node, q, min });
        continue;
      }
      if (c === '\\') {
        const e = escape(false);
        if (e.boundary) seq.push({ t: 'boundary' });
        else if (e.cls !== undefined) seq.push(cls(e.cls, e.neg));
        else seq.push({ t: 'lit', ch: e.ch as string });
        continue;
      }
      if (c === '[') {
        i++;
        let body = '';
        let neg = false;
        if (src[i] === '^') {
          neg = true;
          i++;
        }
        let first = true;
        while (i < n && (src[i] !== ']' || first)) {
          const d = src[i] as string;
          if (d === '\\') {
            const e = escape(true);
            body += e.cls !== undefined ? e.cls : escClassChar(e.ch as string);
          } else if (d === '-' && !first && src[i + 1] !== ']') {
            body += '-';
            i++;
          } else {
            if (d === '[') fail('nested [ in a character class');
            body += escClassChar(d);
            i++;
          }
          first = false;
        }
        if (src[i] !== ']') fail('unterminated character class');
        i++;
        seq.push(cls(body, neg));
        continue;
      }
      if (c === '^' || c === '$') {
        if (flags.m) fail(`${c} with the m flag (line anchors) has no Lucene equivalent`);
        seq.push({ t: c === '^' ? 'caret' : 'dollar' });
        i++;
        continue;
      }
      if (c === '.') {
        seq.push(flags.s ? { t: 'any' } : { t: 'cls', body: '^\n\r\u2028\u2029', wordOnly: false });
        i++;
        continue;
      }
      seq.push({ t: 'lit', ch: c });
      i++;
    }
    return { t: 'alt', c: branches };
  };
  if (flags.i && /[^\x00-\x7f]/.test(src)) fail('non-ASCII characters under the i flag (Lucene folds ASCII only)');
  const root = alternation(0);
  if (i !== n) fail('unbalanced )');
  return root;
}

/**
 * Checks that every `^` can only be reached at the start of a match and every `$`
 * only at its end (first/last item of its sequence, all enclosing groups first/last
 * and not repeated), and turns `\b` at those places into `(^|\W)` / `(\W|$)`.
 */
function normalise(root: Node, src: string): void {
  const fail = (why: string): never => {
    throw new Unsupported(`regular expression ${JSON.stringify(src)}: ${why}`);
  };
  const nonWord: Node = { t: 'cls', body: `^${WORD}`, wordOnly: false };
  const startsWord = (x: Node | undefined): boolean =>
    x !== undefined && ((x.t === 'lit' && isWordChar(x.ch)) || (x.t === 'cls' && x.wordOnly));
  const walk = (node: Node, atStart: boolean, atEnd: boolean): void => {
    if (node.t === 'quant') return walk(node.c, false, false);
    if (node.t !== 'alt') return;
    for (const seq of node.c) {
      for (let k = 0; k < seq.length; k++) {
        const x = seq[k] as Node;
        const first = atStart && seq.slice(0, k).every((y) => y.t === 'caret');
        const last = atEnd && seq.slice(k + 1).every((y) => y.t === 'dollar');
        if (x.t === 'caret' && !first) fail('^ where the match can already have begun');
        if (x.t === 'dollar' && !last) fail('$ where the match can still go on');
        if (x.t === 'boundary') {
          if (first && startsWord(seq[k + 1])) seq[k] = { t: 'alt', c: [[{ t: 'caret' }], [nonWord]] };
          else if (last && startsWord(seq[k - 1])) seq[k] = { t: 'alt', c: [[nonWord], [{ t: 'dollar' }]] };
          else fail('\\b is only translated at the start or end of the pattern next to a word character');
          continue;
        }
        walk(x, first, last);
      }
    }
  };
  walk(root, true, true);
}

function has(node: Node, t: 'caret' | 'dollar'): boolean {
  if (node.t === t) return true;
  if (node.t === 'quant') return has(node.c, t);
  if (node.t === 'alt') return node.c.some((s) => s.some((x) => has(x, t)));
  return false;
}

/** Renders with each anchor either matching the empty string or nothing; null = the empty language. */
function render(node: Node, caret: boolean, dollar: boolean): string | null {
  switch (node.t) {
    case 'lit':
      return escChar(node.ch);
    case 'cls':
      return `[${node.body}]`;
    case 'any':
      return '.';
    case 'caret':
      return caret ? '' : null;
    case 'dollar':
      return dollar ? '' : null;
    case 'boundary':
      throw new Error('unreachable: boundaries are normalised');
    case 'quant': {
      const inner = render(node.c, caret, dollar);
      if (inner === null) return node.min === 0 ? '' : null;
      return inner === '' ? '' : `(${inner})${node.q}`;
    }
    case 'alt': {
      const branches: string[] = [];
      for (const seq of node.c) {
        const parts = seq.map((x) => render(x, caret, dollar));
        if (parts.every((p) => p !== null)) branches.push(parts.join(''));
      }
      if (branches.length === 0) return null;
      // an empty branch is written as an optional group: Lucene has no `()` for the empty string
      const full = branches.filter((b) => b !== '');
      if (full.length === 0) return '';
      const body = full.length === 1 ? (full[0] as string) : full.map((b) => `(${b})`).join('|');
      return full.length < branches.length ? `(${body})?` : full.length === 1 ? body : `(${body})`;
    }
  }
}

/** The Lucene regexp, or null when the pattern can never match (every branch needs an impossible anchor). */
export function toLuceneRegexp(src: string, flags: RegexFlags): string | null {
  const root = parse(src, flags);
  normalise(root, src);
  const carets = has(root, 'caret') ? [true, false] : [false];
  const dollars = has(root, 'dollar') ? [true, false] : [false];
  const variants: string[] = [];
  for (const c of carets)
    for (const d of dollars) {
      const body = render(root, c, d);
      if (body !== null) variants.push(`${c ? '' : '.*'}${body === '' ? '' : `(${body})`}${d ? '' : '.*'}`);
    }
  if (variants.length === 0) return null;
  return variants.length === 1 ? (variants[0] as string) : variants.map((v) => `(${v})`).join('|');
}
