/**
 * The condition grammar of Sigma detection rules (rules specification,
 * "Condition"): `and`, `or`, `not`, parentheses, `1 of` / `all of` / `N of` a
 * pattern or `them`. Precedence, least to most binding: or, and, not, x of,
 * parentheses.
 *
 * Limits are enforced, not hoped for: a condition longer than
 * CONDITION_LIMITS.maxLength or nested deeper than maxDepth is an error, never a
 * stack overflow.
 */

export const CONDITION_LIMITS = { maxLength: 10_000, maxDepth: 64 };

export type Cond =
  | { k: 'id'; name: string; at: number }
  | { k: 'and'; c: Cond[] }
  | { k: 'or'; c: Cond[] }
  | { k: 'not'; c: Cond }
  | { k: 'of'; quant: 'all' | number; pattern: string; at: number };

export class ConditionError extends Error {
  constructor(
    message: string,
    readonly at: number,
    readonly kind: 'syntax' | 'limit' | 'unsupported' = 'syntax',
  ) {
    super(message);
  }
}

interface Tok {
  t: string;
  lower: string;
  at: number;
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(\(|\)|\||[^\s()|]+)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(src)) !== null) {
    const t = m[1] as string;
    toks.push({ t, lower: t.toLowerCase(), at: m.index + (m[0].length - t.length) });
    last = re.lastIndex;
  }
  if (src.slice(last).trim() !== '') throw new ConditionError('unexpected character', last);
  return toks;
}

export function parseCondition(src: string): Cond {
  if (src.length > CONDITION_LIMITS.maxLength)
    throw new ConditionError(
      `condition is ${src.length} characters long, more than ${CONDITION_LIMITS.maxLength}`,
      0,
      'limit',
    );
  const toks = tokenize(src);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const expectEnd = (what: string): never => {
    const t = peek();
    throw new ConditionError(
      t ? `unexpected "${t.t}", expected ${what}` : `condition ends, expected ${what}`,
      t?.at ?? src.length,
    );
  };

  const parseOr = (depth: number): Cond => {
    const c = [parseAnd(depth)];
    while (peek()?.lower === 'or') {
      i++;
      c.push(parseAnd(depth));
    }
    return c.length === 1 ? (c[0] as Cond) : { k: 'or', c };
  };
  const parseAnd = (depth: number): Cond => {
    const c = [parseNot(depth)];
    while (peek()?.lower === 'and') {
      i++;
      c.push(parseNot(depth));
    }
    return c.length === 1 ? (c[0] as Cond) : { k: 'and', c };
  };
  const parseNot = (depth: number): Cond => {
    let negations = 0;
    while (peek()?.lower === 'not') {
      i++;
      negations++;
    }
    if (negations > CONDITION_LIMITS.maxDepth)
      throw new ConditionError('too many nested "not"', toks[i - 1]?.at ?? 0, 'limit');
    let c = parseAtom(depth);
    for (let n = 0; n < negations; n++) c = { k: 'not', c };
    return c;
  };
  const parseAtom = (depth: number): Cond => {
    const t = peek();
    if (!t) return expectEnd('a search identifier');
    if (t.t === '(') {
      if (depth >= CONDITION_LIMITS.maxDepth)
        throw new ConditionError(`parentheses nested deeper than ${CONDITION_LIMITS.maxDepth}`, t.at, 'limit');
      i++;
      const inner = parseOr(depth + 1);
      if (peek()?.t !== ')') return expectEnd('")"');
      i++;
      return inner;
    }
    if (t.t === '|')
      throw new ConditionError('aggregation expressions ("| count() …") are not supported', t.at, 'unsupported');
    if (t.lower === 'near') throw new ConditionError('"near" is not supported', t.at, 'unsupported');
    if (['and', 'or', ')', 'of', 'them'].includes(t.lower)) return expectEnd('a search identifier');
    const next = toks[i + 1];
    if (next?.lower === 'of') {
      let quant: 'all' | number;
      if (t.lower === 'all') quant = 'all';
      else if (t.lower === 'any') quant = 1;
      else if (/^\d+$/.test(t.t) && Number(t.t) >= 1) quant = Number(t.t);
      else throw new ConditionError(`"${t.t} of" is not valid: use "1 of", "N of" or "all of"`, t.at);
      const pat = toks[i + 2];
      if (!pat || ['(', ')', '|', 'and', 'or', 'not', 'of'].includes(pat.lower)) {
        i += 2;
        return expectEnd('a pattern or "them" after "of"');
      }
      i += 3;
      return { k: 'of', quant, pattern: pat.lower === 'them' ? 'them' : pat.t, at: t.at };
    }
    i++;
    return { k: 'id', name: t.t, at: t.at };
  };

  if (toks.length === 0) throw new ConditionError('condition is empty', 0);
  const result = parseOr(0);
  const rest = toks[i];
  if (rest?.t === '|')
    throw new ConditionError('aggregation expressions ("| count() …") are not supported', rest.at, 'unsupported');
  if (i < toks.length) expectEnd('"and", "or" or the end of the condition');
  return result;
}

/** `selection*` style patterns: `*` matches any run of characters. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const parts = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp('^' + parts.join('.*') + '$');
  return (name) => re.test(name);
}
