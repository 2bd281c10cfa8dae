/**
 * Sigma `re` (a JavaScript-flavoured regular expression, searched anywhere in
 * the value) → a Lucene regular expression (matched against the whole value,
 * the `regexp` query with `flags: NONE`, so `# @ & ~ < >` are plain characters).
 *
 * Exact translations only: `\d \w \s` become explicit classes, `.` excludes line
 * terminators unless `s` is set, unanchored ends become `.*`. A word boundary
 * `\b` is translated where its neighbour is a literal word character at the
 * start or end of the pattern (`sh\b` → `sh([^A-Za-z0-9_].*)?`), the common
 * case; anywhere else, and for lookaround, backreferences, named groups,
 * multi-line anchors or anchors inside the pattern, translation fails.
 */
import { Unsupported } from './query-tree';

const WORD = 'A-Za-z0-9_';
const DIGIT = '0-9';
// JavaScript's \s, as literal characters
const SPACE = ' \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const LUCENE_SPECIAL = new Set([...'.?+*|{}[]()"\\#@&<>~^$-']);
const CLASS_SPECIAL = new Set([...']\\^-[']);

function escChar(c: string): string {
  return LUCENE_SPECIAL.has(c) ? `\\${c}` : c;
}

function escClassChar(c: string): string {
  return CLASS_SPECIAL.has(c) ? `\\${c}` : c;
}

const isWordChar = (c: string): boolean => /^[A-Za-z0-9_]$/.test(c);

export interface RegexFlags {
  i: boolean;
  m: boolean;
  s: boolean;
}

export function toLuceneRegexp(src: string, flags: RegexFlags): string {
  const out: string[] = [];
  /** literal character emitted at each output index, for \b checks */
  const literalAt: Array<string | null> = [];
  let anchoredStart = false;
  let anchoredEnd = false;
  let prefix = '';
  let suffix = '';
  let depth = 0;
  let topLevelAlt = false;
  const push = (s: string, lit: string | null = null): void => {
    out.push(s);
    literalAt.push(lit);
  };
  const fail = (why: string): never => {
    throw new Unsupported(`regular expression ${JSON.stringify(src)}: ${why}`);
  };

  if (flags.i && /[^\x00-\x7f]/.test(src)) fail('non-ASCII characters under the i flag (Lucene folds ASCII only)');
  let i = 0;
  const n = src.length;
  const readEscape = (inClass: boolean): { cls?: string; ch?: string; boundary?: true } => {
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
        return { cls: `^${c === 'D' ? DIGIT : c === 'W' ? WORD : SPACE}` };
      case 'b':
        if (inClass) return { ch: '\b' };
        return { boundary: true };
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
      case 'x': {
        const h = src.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return fail('bad \\x escape');
        i += 2;
        return { ch: String.fromCharCode(parseInt(h, 16)) };
      }
      case 'u': {
        const h = src.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) return fail('bad \\u escape');
        i += 4;
        return { ch: String.fromCharCode(parseInt(h, 16)) };
      }
      case 'c':
      case 'k':
      case 'p':
      case 'P':
        return fail(`\\${c} has no Lucene equivalent`);
      default:
        if (/[1-9]/.test(c)) return fail('backreferences have no Lucene equivalent');
        return { ch: c };
    }
  };

  while (i < n) {
    const c = src[i] as string;
    if (c === '\\') {
      const start = i;
      const e = readEscape(false);
      if (e.boundary) {
        // \b at the very start before a literal word character, or at the very end after one
        if (start === 0 && isWordChar(src[i] ?? '') && src[i] !== '\\') {
          prefix = `(.*[^${WORD}])?`;
          anchoredStart = true;
        } else if (i === n && out.length > 0 && isWordChar(literalAt[literalAt.length - 1] ?? '') && depth === 0) {
          suffix = `([^${WORD}].*)?`;
          anchoredEnd = true;
        } else fail('\\b is only translated at the start or end of the pattern next to a literal word character');
        continue;
      }
      if (e.cls !== undefined) push(e.cls.startsWith('^') ? `[^${e.cls.slice(1)}]` : `[${e.cls}]`);
      else push(escChar(e.ch as string), e.ch as string);
      continue;
    }
    if (c === '[') {
      i++;
      let body = '';
      if (src[i] === '^') {
        body += '^';
        i++;
      }
      let first = true;
      while (i < n && src[i] !== ']') {
        const d = src[i] as string;
        if (d === '\\') {
          const e = readEscape(true);
          body += e.cls !== undefined ? e.cls : escClassChar(e.ch as string);
        } else if (d === '-' && !first && src[i + 1] !== ']') {
          body += '-';
          i++;
        } else if (d === '[') {
          fail('nested [ in a character class');
        } else {
          body += escClassChar(d);
          i++;
        }
        first = false;
      }
      if (src[i] !== ']') fail('unterminated character class');
      i++;
      if (body === '' || body === '^') fail('empty character class');
      // Lucene's case-insensitive flag folds literal ASCII characters; ranges are not folded alike
      if (flags.i && /[A-Za-z]/.test(body)) fail('a character class with letters under the i flag');
      push(`[${body}]`);
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        if (src[i + 2] === ':') {
          i += 3;
        } else fail('lookaround and named groups have no Lucene equivalent');
      } else i++;
      depth++;
      push('(');
      continue;
    }
    if (c === ')') {
      depth--;
      if (depth < 0) fail('unbalanced )');
      i++;
      push(')');
      continue;
    }
    if (c === '|') {
      if (depth === 0) topLevelAlt = true;
      i++;
      push('|');
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      i++;
      if (src[i] === '?') i++; // lazy: the same set of matching values
      push(c);
      literalAt[literalAt.length - 2] = null;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) {
        push(escChar(c), c);
        i++;
        continue;
      }
      i += m[0].length;
      if (src[i] === '?') i++;
      push(m[0]);
      literalAt[literalAt.length - 2] = null;
      continue;
    }
    if (c === '^') {
      if (flags.m) fail('^ with the m flag (line anchors) has no Lucene equivalent');
      if (i !== 0) fail('^ inside the pattern');
      anchoredStart = true;
      i++;
      continue;
    }
    if (c === '$') {
      if (flags.m) fail('$ with the m flag (line anchors) has no Lucene equivalent');
      if (i !== n - 1) fail('$ inside the pattern');
      anchoredEnd = true;
      i++;
      continue;
    }
    if (c === '.') {
      push(flags.s ? '.' : '[^\n\r\u2028\u2029]');
      i++;
      continue;
    }
    push(escChar(c), c);
    i++;
  }
  if (depth !== 0) fail('unbalanced (');
  let body = out.join('');
  if (topLevelAlt) {
    if (anchoredStart || anchoredEnd) fail('anchors with a top-level alternation');
    body = `(${body})`;
  }
  return `${anchoredStart ? '' : '.*'}${prefix}${body}${suffix}${anchoredEnd ? '' : '.*'}`;
}
