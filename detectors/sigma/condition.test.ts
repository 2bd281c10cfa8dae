/**
 * The condition of a detection (rules specification, "Condition"): and/or/not,
 * brackets, "1/all of them", "1/all of search-identifier-pattern", lists of
 * conditions, operator precedence, and the limits that keep a hostile condition
 * from crashing the loader.
 */
import { CONDITION_LIMITS } from './condition';
import { errorCodesOf, load, matcher, ruleDoc } from './test-helpers';

/** Three independent selections a, b, c: each true when the event has that key set to 1. */
function abc(condition: string): (e: unknown) => boolean {
  return matcher(`
    a:
      A: 1
    b:
      B: 1
    c:
      C: 1
    condition: ${condition}
  `);
}

const ev = (a: boolean, b: boolean, c: boolean): { A?: number; B?: number; C?: number } => ({
  ...(a ? { A: 1 } : {}),
  ...(b ? { B: 1 } : {}),
  ...(c ? { C: 1 } : {}),
});

/** Every assignment of a, b, c. */
const ALL: Array<[boolean, boolean, boolean]> = [];
for (const a of [false, true]) for (const b of [false, true]) for (const c of [false, true]) ALL.push([a, b, c]);

function truthTable(condition: string, oracle: (a: boolean, b: boolean, c: boolean) => boolean): void {
  const m = abc(condition);
  for (const [a, b, c] of ALL)
    expect({ condition, a, b, c, hit: m(ev(a, b, c)) }).toEqual({ condition, a, b, c, hit: oracle(a, b, c) });
}

describe('logical operators and precedence ("least to most binding: or, and, not, x of, ( expression )")', () => {
  it('"Logical AND/OR"', () => {
    truthTable('a and b', (a, b) => a && b);
    truthTable('a or b', (a, b) => a || b);
  });

  it('"Negation with not": keywords and not filters', () => {
    truthTable('a and not b', (a, b) => a && !b);
    truthTable('not a', (a) => !a);
    truthTable('not not a', (a) => a);
  });

  it('and binds tighter than or: "a or b and c" is a or (b and c)', () => {
    truthTable('a or b and c', (a, b, c) => a || (b && c));
    truthTable('a and b or c', (a, b, c) => (a && b) || c);
    // the event that tells the two readings apart: a alone
    expect(abc('a or b and c')(ev(true, false, false))).toBe(true);
  });

  it('not binds tighter than and: "not a and b" is (not a) and b', () => {
    truthTable('not a and b', (a, b) => !a && b);
    // a and not b: (not a and b) is false, not (a and b) would be true
    expect(abc('not a and b')(ev(true, false, false))).toBe(false);
  });

  it('"( expression )" binds tightest: brackets override the precedence', () => {
    truthTable('(a or b) and c', (a, b, c) => (a || b) && c);
    truthTable('not (a and b)', (a, b) => !(a && b));
    truthTable('a and (b or not c)', (a, b, c) => a && (b || !c));
    truthTable('((a))', (a) => a);
  });

  it('x of binds tighter than not and and: "not 1 of sel* and c"', () => {
    const m = matcher(`
      sel1:
        A: 1
      sel2:
        B: 1
      c:
        C: 1
      condition: not 1 of sel* and c
    `);
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: !(a || b) && c });
  });

  it('"selection1 and (keywords1 or keywords2)" — brackets with keyword lists', () => {
    const m = matcher(`
      selection1:
        Endpoint: /containers/create
      keywords1:
        - 'docker.sock'
      keywords2:
        - 'nsenter'
      condition: selection1 and (keywords1 or keywords2)
    `);
    expect(m({ Endpoint: '/containers/create', Binds: ['/var/run/docker.sock:/s'] })).toBe(true);
    expect(m({ Endpoint: '/containers/create', Cmd: 'nsenter -t 1' })).toBe(true);
    expect(m({ Endpoint: '/containers/create', Cmd: 'ls' })).toBe(false);
    expect(m({ Endpoint: '/exec', Cmd: 'nsenter' })).toBe(false);
  });
});

describe('"1/all of search-identifier-pattern"', () => {
  const rule = (condition: string): ((e: unknown) => boolean) =>
    matcher(`
      selection_img:
        A: 1
      selection_cmd:
        B: 1
      filter_admin:
        C: 1
      condition: ${condition}
    `);

  it('"1 of selection*" is an OR over the matching identifiers', () => {
    const m = rule('1 of selection*');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: a || b });
  });

  it('"all of selection*" is an AND over the matching identifiers', () => {
    const m = rule('all of selection*');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: a && b });
  });

  it('"1 of selection* and not 1 of filter*" (spec example)', () => {
    const m = rule('1 of selection* and not 1 of filter*');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: (a || b) && !c });
  });

  it('"Matching is done with * wildcards (any number of characters) at arbitrary positions in the pattern"', () => {
    const mid = rule('all of sel*_*');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: mid(ev(a, b, c)) }).toEqual({ a, b, c, hit: a && b });
    const suffix = rule('1 of *_admin');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: suffix(ev(a, b, c)) }).toEqual({ a, b, c, hit: c });
    const exact = rule('1 of selection_cmd');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: exact(ev(a, b, c)) }).toEqual({ a, b, c, hit: b });
  });

  it('a pattern is a glob, not a regular expression: "." and "?" are plain characters', () => {
    const m = matcher(`
      sel.1:
        A: 1
      selx1:
        B: 1
      condition: 1 of sel.*
    `);
    expect(m(ev(false, true, false))).toBe(false);
    expect(m(ev(true, false, false))).toBe(true);
  });

  it('a pattern that matches no search identifier is CONDITION_NO_MATCH', () => {
    const text = ruleDoc(`
      selection:
        A: 1
      condition: selection and 1 of filter*
    `);
    expect(errorCodesOf(text)).toEqual(['CONDITION_NO_MATCH']);
    expect(load(text).problems[0]?.location?.line).toBe(7); // the condition line
  });
});

describe('"1/all of them" — "across all defined search identifiers not starting with an underscore"', () => {
  const rule = (condition: string): ((e: unknown) => boolean) =>
    matcher(`
      sel_a:
        A: 1
      sel_b:
        B: 1
      _helper:
        C: 1
      condition: ${condition}
    `);

  it('"1 of them" is an OR over the identifiers, _helper excluded', () => {
    const m = rule('1 of them');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: a || b });
  });

  it('"all of them" is an AND over the identifiers, _helper excluded', () => {
    const m = rule('all of them');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: a && b });
  });

  it('an underscore identifier is still usable by name or by an explicit pattern', () => {
    const byName = rule('1 of them and not _helper');
    for (const [a, b, c] of ALL)
      expect({ a, b, c, hit: byName(ev(a, b, c)) }).toEqual({ a, b, c, hit: (a || b) && !c });
    const byPattern = rule('1 of _*');
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: byPattern(ev(a, b, c)) }).toEqual({ a, b, c, hit: c });
  });

  it('"1 of them" with only underscore identifiers matches nothing: it is reported', () => {
    expect(
      errorCodesOf(
        ruleDoc(`
          _only:
            A: 1
          condition: 1 of them
        `),
      ),
    ).toEqual(['CONDITION_NO_MATCH']);
  });

  it('"The search identifiers themselves are logically linked with their default behavior for maps (AND) and lists (OR)"', () => {
    const m = matcher(`
      map_sel:
        A: 1
        B: 1
      list_sel:
        - 'needle-one'
        - 'needle-two'
      condition: all of them
    `);
    expect(m({ A: 1, B: 1, Msg: 'x needle-two' })).toBe(true);
    expect(m({ A: 1, Msg: 'x needle-two' })).toBe(false);
    expect(m({ A: 1, B: 1, Msg: 'x' })).toBe(false);
  });
});

describe('"The condition can be a list ... They are logically linked with OR"', () => {
  it('a list of two conditions is their OR', () => {
    const m = matcher(`
      a:
        A: 1
      b:
        B: 1
      c:
        C: 1
      condition:
        - a and b
        - c
    `);
    for (const [a, b, c] of ALL) expect({ a, b, c, hit: m(ev(a, b, c)) }).toEqual({ a, b, c, hit: (a && b) || c });
  });

  it('an error in one condition of the list is located at that item', () => {
    const text = ruleDoc(`
      a:
        A: 1
      condition:
        - a
        - a and nothere
    `);
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['CONDITION_UNKNOWN_IDENTIFIER']);
    expect(res.problems[0]?.location?.line).toBe(9); // the second list item
  });
});

describe('condition errors', () => {
  const det = (condition: string): string =>
    ruleDoc(`
      selection:
        A: 1
      filter:
        B: 1
      condition: ${condition}
    `);

  it('an unknown identifier is CONDITION_UNKNOWN_IDENTIFIER, at the condition line', () => {
    const res = load(det('selection and not filtre'));
    expect(res.problems.map((p) => p.code)).toEqual(['CONDITION_UNKNOWN_IDENTIFIER']);
    expect(res.problems[0]?.message).toContain('filtre');
    expect(res.problems[0]?.location?.line).toBe(9);
    expect(res.rules).toHaveLength(0);
  });

  const syntax = [
    'selection and',
    'selection or or filter',
    'and selection',
    '(selection',
    'selection)',
    'selection filter',
    'not',
    '()',
    '1 of',
    'of selection',
    'some of selection*',
    '0 of selection*',
    'selection and not',
  ];
  for (const c of syntax)
    it(`a syntax error is CONDITION_SYNTAX: "${c}"`, () => {
      const res = load(det(c));
      expect(res.problems.map((p) => p.code)).toEqual(['CONDITION_SYNTAX']);
      expect(res.rules).toHaveLength(0);
    });

  it('an empty condition is CONDITION_SYNTAX', () => {
    expect(errorCodesOf(det("''"))).toEqual(['CONDITION_SYNTAX']);
  });

  it('the deprecated aggregation "selection | count() > 5" is CONDITION_UNSUPPORTED (use a correlation)', () => {
    for (const c of ['selection | count() > 5', 'selection | count(User) by Host > 5', 'selection | near filter'])
      expect({ c, codes: errorCodesOf(det(c)) }).toEqual({ c, codes: ['CONDITION_UNSUPPORTED'] });
  });
});

describe('condition limits are enforced (an error, never a stack overflow)', () => {
  const det = (condition: string): string => ruleDoc(`selection:\n  A: 1\ncondition: '${condition}'`);

  it('a 100,000-character condition is CONDITION_LIMIT', () => {
    const c = Array.from({ length: 10_000 }, () => 'selection').join(' or ');
    expect(c.length).toBeGreaterThan(100_000);
    const res = load(det(c));
    expect(res.problems.map((p) => p.code)).toEqual(['CONDITION_LIMIT']);
    expect(res.rules).toHaveLength(0);
  });

  it('a condition just under the length limit loads', () => {
    const parts = Math.floor(CONDITION_LIMITS.maxLength / 'selection or '.length);
    const c = Array.from({ length: parts }, () => 'selection').join(' or ');
    expect(c.length).toBeLessThanOrEqual(CONDITION_LIMITS.maxLength);
    const res = load(det(c));
    expect(res.problems).toEqual([]);
    expect(res.rules).toHaveLength(1);
  });

  it('10,000 nested parentheses are CONDITION_LIMIT', () => {
    const c = '('.repeat(10_000) + 'selection' + ')'.repeat(10_000);
    expect(errorCodesOf(det(c))).toEqual(['CONDITION_LIMIT']);
  });

  it('nesting one level deeper than the limit (but short) is CONDITION_LIMIT; at the limit it loads', () => {
    const nest = (n: number): string => '('.repeat(n) + 'selection' + ')'.repeat(n);
    const over = nest(CONDITION_LIMITS.maxDepth + 1);
    expect(over.length).toBeLessThan(CONDITION_LIMITS.maxLength);
    expect(errorCodesOf(det(over))).toEqual(['CONDITION_LIMIT']);
    const at = load(det(nest(CONDITION_LIMITS.maxDepth)));
    expect(at.problems).toEqual([]);
    expect(at.rules).toHaveLength(1);
  });

  it('100,000 "not" are an error, not a crash', () => {
    const c = 'not '.repeat(100_000) + 'selection';
    const res = load(det(c));
    expect(res.problems.map((p) => p.code)).toEqual(['CONDITION_LIMIT']);
    expect(res.rules).toHaveLength(0);
  });

  it('"not" chains below the length limit but above the depth limit are CONDITION_LIMIT', () => {
    const c = 'not '.repeat(2_000) + 'selection';
    expect(c.length).toBeLessThan(CONDITION_LIMITS.maxLength);
    expect(errorCodesOf(det(c))).toEqual(['CONDITION_LIMIT']);
  });

  it('alternating "not (" nesting is bounded too', () => {
    const c = 'not ('.repeat(1_500) + 'selection' + ')'.repeat(1_500);
    expect(c.length).toBeLessThan(CONDITION_LIMITS.maxLength);
    expect(errorCodesOf(det(c))).toEqual(['CONDITION_LIMIT']);
  });

  it('an even number of nested "not" within the limit is the identity', () => {
    const m = matcher(`selection:\n  A: 1\ncondition: ${'not '.repeat(10)}selection`);
    expect(m({ A: 1 })).toBe(true);
    expect(m({ A: 2 })).toBe(false);
  });
});
