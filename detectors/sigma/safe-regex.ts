/**
 * The `re` modifier, made safe for a stream pipeline.
 *
 * Sigma's regex flavour is a PCRE subset without backreferences or lookaround
 * (modifiers appendix, "Regular Expression"). We translate it to a JavaScript
 * RegExp and make sure no rule can stall the pipeline with catastrophic
 * backtracking:
 *  - constructs outside the subset (backreferences, lookaround, atomic groups,
 *    possessive quantifiers, recursion, conditionals) are rejected at load time;
 *  - a pattern whose shape can backtrack badly (a group repeated more than
 *    once that holds a variable quantifier or an alternation, or several
 *    unbounded quantifiers) runs on a linear-time engine: V8's own (the `l`
 *    flag), or V8's backtracking engine when the process lets V8 fall back to
 *    the linear one on excessive backtracking, or our Pike VM (pike-vm.ts) for
 *    the nested patterns V8's linear engine refuses (large counted repetitions);
 *    only a pattern too large for the Pike VM is rejected with REGEX_UNSAFE;
 *  - case-insensitivity (`re|i`, `(?i)`) is expanded into character classes,
 *    because V8's linear engine does not take the `i` flag.
 */

import { compilePike, type Matcher } from './pike-vm';

export interface RegexFlags {
  i: boolean;
  m: boolean;
  s: boolean;
}

export type RegexResult =
  | { ok: true; regex: Matcher; linear: boolean }
  | { ok: false; code: 'REGEX_INVALID' | 'REGEX_UNSAFE'; message: string };

let linearSupport: boolean | undefined;
let backtrackFallback = false;

/**
 * Declares that the process runs V8 with
 * `--enable-experimental-regexp-engine-on-excessive-backtracks`: V8 then moves a
 * regex to its linear-time engine by itself once it backtracks too much, so
 * risky-but-linearisable patterns can run on the (much faster) backtracking
 * engine in the common case. Called by pipelines/runtime/v8-flags.ts, which sets
 * the flag; without it, such patterns always run on the linear engine.
 */
export function declareBacktrackFallback(enabled: boolean): void {
  backtrackFallback = enabled;
}

/** True when V8's linear-time engine is enabled (`--enable-experimental-regexp-engine`). */
export function linearRegexAvailable(): boolean {
  if (linearSupport === undefined) {
    try {
      new RegExp('a', 'l');
      linearSupport = true;
    } catch {
      linearSupport = false;
    }
  }
  return linearSupport;
}

const LETTER_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'n', 'r', 't', 'f', 'v']);

interface Group {
  /** holds a quantifier other than an exact count {n} */
  hasQuantifier: boolean;
  /** holds *, + or {n,} */
  hasUnbounded: boolean;
  hasAlternation: boolean;
}

function caseVariants(c: string): string {
  const lo = c.toLowerCase();
  const up = c.toUpperCase();
  if (lo === up || lo.length !== 1 || up.length !== 1) return '';
  return lo === c ? up : lo;
}

function escapeForClass(c: string): string {
  return /[\]\\^-]/.test(c) ? '\\' + c : c;
}

/**
 * Translates and checks `pattern`. Never throws.
 * `maxLength` bounds the pattern itself (a rule is not a place for a 100 KB regex).
 */
export function compileSafeRegex(pattern: string, flagsIn: RegexFlags, maxLength = 4096): RegexResult {
  if (pattern.length > maxLength)
    return { ok: false, code: 'REGEX_INVALID', message: `regular expression longer than ${maxLength} characters` };
  const flags = { ...flagsIn };
  let src = pattern;
  // PCRE inline flags at the very start, e.g. `(?i)` or `(?is)`
  const inline = /^\(\?([ims]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1] as string) flags[f as keyof RegexFlags] = true;
    src = src.slice(inline[0].length);
  }

  let out = '';
  const groups: Group[] = [{ hasQuantifier: false, hasUnbounded: false, hasAlternation: false }];
  let unbounded = 0;
  let nestedRisk = false;
  let lastAtomWasGroup: Group | undefined;
  const fail = (message: string): RegexResult => ({ ok: false, code: 'REGEX_INVALID', message });

  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    const top = groups[groups.length - 1] as Group;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return fail('pattern ends with a lone backslash');
      if (/[1-9]/.test(n) || n === 'k' || n === 'g') return fail(`backreference \\${n} is not supported`);
      if (n === 'x') {
        const hex = /^[0-9a-fA-F]{2}/.exec(src.slice(i + 2));
        if (!hex) return fail('\\x needs two hex digits');
        out += '\\x' + hex[0];
        i += 3;
      } else if (n === 'u') {
        const hex = /^[0-9a-fA-F]{4}/.exec(src.slice(i + 2));
        if (!hex) return fail('\\u needs four hex digits');
        out += '\\u' + hex[0];
        i += 5;
      } else if (/[A-Za-z0-9]/.test(n)) {
        if (!LETTER_ESCAPES.has(n) && n !== '0')
          return fail(`escape \\${n} is not part of the supported regular expression subset`);
        out += '\\' + n;
        i++;
      } else {
        out += '\\' + n;
        i++;
      }
      lastAtomWasGroup = undefined;
      continue;
    }
    if (c === '[') {
      // character class: copy, expanding letters and ranges for case-insensitivity
      let j = i + 1;
      let body = '';
      let extra = '';
      if (src[j] === '^') {
        body += '^';
        j++;
      }
      if (src[j] === ']') {
        body += '\\]';
        j++;
      }
      let closed = false;
      for (; j < src.length; j++) {
        const d = src[j] as string;
        if (d === ']') {
          closed = true;
          break;
        }
        if (d === '\\') {
          const n = src[j + 1];
          if (n === undefined) return fail('unterminated character class');
          if (/[A-Za-z0-9]/.test(n) && !LETTER_ESCAPES.has(n) && n !== 'x' && n !== 'u' && n !== '0')
            return fail(`escape \\${n} is not part of the supported regular expression subset`);
          body += '\\' + n;
          j++;
          continue;
        }
        if (d === '[' && src[j + 1] === ':') return fail('POSIX classes like [:alpha:] are not supported; use [a-z]');
        const nx = src[j + 2];
        if (src[j + 1] === '-' && nx !== undefined && nx !== ']') {
          body += escapeForClass(d) + '-' + escapeForClass(nx);
          if (flags.i) {
            const a = d.charCodeAt(0);
            const b = nx.charCodeAt(0);
            if (b < a) return fail(`range ${d}-${nx} is out of order`);
            if (b - a <= 0x3000) {
              for (let k = a; k <= b; k++) {
                const v = caseVariants(String.fromCharCode(k));
                if (v) extra += escapeForClass(v);
              }
            }
          }
          j += 2;
          continue;
        }
        body += escapeForClass(d);
        if (flags.i) {
          const v = caseVariants(d);
          if (v) extra += escapeForClass(v);
        }
      }
      if (!closed) return fail('unterminated character class');
      out += '[' + body + extra + ']';
      i = j;
      lastAtomWasGroup = undefined;
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const rest = src.slice(i + 2);
        if (rest.startsWith(':')) {
          out += '(?:';
          i += 2;
        } else if (rest.startsWith('P<') || rest.startsWith('<')) {
          if (rest.startsWith('<=') || rest.startsWith('<!')) return fail('lookbehind is not supported');
          const m = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
          if (!m) return fail('malformed named group');
          out += '(?:'; // names are not needed to decide a match
          i += 1 + m[0].length;
        } else if (rest.startsWith('=') || rest.startsWith('!')) {
          return fail('lookahead is not supported');
        } else if (rest.startsWith('>')) {
          return fail('atomic groups are not supported');
        } else {
          return fail(`group construct (?${rest.slice(0, 2)} is not supported (inline flags only at the start)`);
        }
      } else {
        out += '(?:';
      }
      groups.push({ hasQuantifier: false, hasUnbounded: false, hasAlternation: false });
      lastAtomWasGroup = undefined;
      continue;
    }
    if (c === ')') {
      if (groups.length === 1) return fail('unbalanced parenthesis');
      const g = groups.pop() as Group;
      const parent = groups[groups.length - 1] as Group;
      if (g.hasQuantifier) parent.hasQuantifier = true;
      if (g.hasUnbounded) parent.hasUnbounded = true;
      out += ')';
      lastAtomWasGroup = g;
      continue;
    }
    if (c === '|') {
      top.hasAlternation = true;
      out += '|';
      lastAtomWasGroup = undefined;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let q = c;
      // exact {n}, bounded (?, {a,b}) or unbounded (*, +, {n,})
      let kind: 'exact' | 'bounded' | 'unbounded' = c === '?' ? 'bounded' : 'unbounded';
      let count = 1;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (!m) {
          out += '\\{'; // a literal brace, as PCRE reads it
          lastAtomWasGroup = undefined;
          continue;
        }
        q = m[0];
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
        if (hi < lo) return fail(`quantifier ${q} is out of order`);
        kind = m[2] === undefined ? 'exact' : hi === Infinity ? 'unbounded' : 'bounded';
        count = hi;
        i += q.length - 1;
      }
      const next = src[i + 1];
      if (next === '+') return fail('possessive quantifiers are not supported');
      if (next === '?') {
        q += '?';
        i++;
      }
      if (out === '' || /[(|]$/.test(out)) return fail(`quantifier ${q} has nothing to repeat`);
      if (kind !== 'exact') top.hasQuantifier = true;
      if (kind === 'unbounded') {
        top.hasUnbounded = true;
        unbounded++;
      }
      const g = lastAtomWasGroup;
      // (a+)+, (a|ab)*, (a{1,30}){1,30}, (a?){25}: the ways to split a string multiply
      if (g && (kind === 'unbounded' || count > 1) && (g.hasQuantifier || g.hasAlternation)) nestedRisk = true;
      out += q;
      lastAtomWasGroup = undefined;
      continue;
    }
    if (flags.i && /[A-Za-z\u00C0-\uFFFF]/.test(c)) {
      const v = caseVariants(c);
      out += v ? '[' + c + v + ']' : c;
    } else {
      out += c === '/' ? '\\/' : c;
    }
    lastAtomWasGroup = undefined;
  }
  if (groups.length !== 1) return fail('unbalanced parenthesis');

  const jsFlags = (flags.m ? 'm' : '') + (flags.s ? 's' : '');
  let regex: RegExp;
  try {
    regex = new RegExp(out, jsFlags);
  } catch (e) {
    return fail((e as Error).message);
  }
  const risky = nestedRisk || unbounded > 1;
  if (!risky) return { ok: true, regex, linear: false };
  if (linearRegexAvailable()) {
    try {
      const linear = new RegExp(out, jsFlags + 'l');
      // linearisable: with the fallback flag V8 switches engines on its own
      return backtrackFallback ? { ok: true, regex, linear: false } : { ok: true, regex: linear, linear: true };
    } catch {
      // V8's linear engine refuses large counted repetitions: run nested ones on our own
      if (!nestedRisk) return { ok: true, regex, linear: false };
      const pike = compilePike(out, flags);
      if (typeof pike === 'string') return { ok: false, code: 'REGEX_UNSAFE', message: pike };
      return { ok: true, regex: pike, linear: true };
    }
  }
  if (nestedRisk) {
    const pike = compilePike(out, flags);
    if (typeof pike === 'string') return { ok: false, code: 'REGEX_UNSAFE', message: pike };
    return { ok: true, regex: pike, linear: true };
  }
  return { ok: true, regex, linear: false };
}
