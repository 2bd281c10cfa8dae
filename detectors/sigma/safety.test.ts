/**
 * Hostile or broken rule files: YAML bombs, prototype pollution, regular
 * expressions outside the Sigma subset or with catastrophic backtracking,
 * duplicate rules, and the location of every problem (a rule author sees every
 * problem of a file at once, each with file:line:column).
 */
import { loadRules } from './loader';
import { compileSafeRegex, linearRegexAvailable } from './safe-regex';
import { compile, errorCodesOf, errorsOf, load, ruleDoc } from './test-helpers';
import { YAML_LIMITS } from './yaml-source';

const ID_A = '5b6f2a70-1c1e-4f55-9a52-0c7a4e3d9b10';
const ID_B = '8d2e7f41-6a3b-4c9d-b1e0-2f5a6c7d8e90';

function pristinePrototype(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(typeof ({} as { toString: unknown }).toString).toBe('function');
}

describe('YAML limits', () => {
  it('a "billion laughs" alias bomb is YAML_LIMIT, not expanded', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    let text = 'title: lol\nlogsource: {product: docker}\n';
    text += `${levels[0]}: &${levels[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
    for (let i = 1; i < levels.length; i++) {
      const prev = `*${levels[i - 1]}`;
      text += `${levels[i]}: &${levels[i]} [${Array(9).fill(prev).join(',')}]\n`;
    }
    text += 'detection:\n  selection:\n    Field: *i\n  condition: selection\n';
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['YAML_LIMIT']);
    expect(res.rules).toHaveLength(0);
  });

  it('a narrow alias bomb (2 references per level, 32 levels: 2^32 nodes from 64 aliases) is YAML_LIMIT too', () => {
    // The cap counts aliases, but what makes a bomb is the size of the expanded document.
    let text = 'title: lol\nlogsource: {product: docker}\nx-notes:\n  l0: &l0 [lol, lol]\n';
    for (let i = 1; i < 32; i++) text += `  l${i}: &l${i} [*l${i - 1}, *l${i - 1}]\n`;
    text += 'detection:\n  selection:\n    Field: x\n  condition: selection\n';
    expect((text.match(/\*l/g) ?? []).length).toBeLessThanOrEqual(YAML_LIMITS.maxAliases);
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['YAML_LIMIT']);
    expect(res.rules).toHaveLength(0);
  });

  it('the alias limit is enforced at its value: maxAliases aliases load, one more is YAML_LIMIT', () => {
    const doc = (n: number): string =>
      'title: t\nlogsource: {product: docker}\ndetection:\n  selection:\n    F0: &v x\n' +
      Array.from({ length: n }, (_, i) => `    F${i + 1}: *v\n`).join('') +
      '  condition: selection\n';
    const ok = load(doc(YAML_LIMITS.maxAliases));
    expect(ok.problems).toEqual([]);
    expect(ok.rules).toHaveLength(1);
    expect(load(doc(YAML_LIMITS.maxAliases + 1)).problems.map((p) => p.code)).toEqual(['YAML_LIMIT']);
  });

  it('deeply nested YAML (10,000 levels of flow sequences) is an error, not a stack overflow', () => {
    const text = 'title: deep\nlogsource: {product: docker}\nx: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n';
    const res = load(text);
    expect(errorsOf(res.problems).map((p) => p.code)).toEqual(['YAML_LIMIT']);
    expect(res.rules).toHaveLength(0);
  });

  it('deeply nested block mappings are an error too', () => {
    let text = 'title: deep\nlogsource: {product: docker}\ndetection:\n';
    for (let i = 1; i <= 200; i++) text += ' '.repeat(i * 2) + `k${i}:\n`;
    text += ' '.repeat(402) + 'v\n';
    const res = load(text);
    expect(errorsOf(res.problems).map((p) => p.code)).toEqual(['YAML_LIMIT']);
  });

  it('a file larger than maxBytes is YAML_LIMIT without being parsed', () => {
    const text = '#'.repeat(YAML_LIMITS.maxBytes + 1);
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['YAML_LIMIT']);
    expect(res.problems[0]?.location).toEqual({ file: 'r.yml', line: 1, column: 1 });
  });

  it('duplicate keys in a map are a YAML_PARSE error at the second key', () => {
    const text = ruleDoc(`
      selection:
        Image: a
        Image: b
      condition: selection
    `);
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['YAML_PARSE']);
    expect(res.problems[0]?.location?.line).toBe(7);
    expect(res.rules).toHaveLength(0);
  });

  it('a YAML syntax error is YAML_PARSE with its line', () => {
    const text =
      'title: t\nlogsource: {product: docker}\ndetection:\n  selection:\n    Image: [a, b\n  condition: selection\n';
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toEqual(['YAML_PARSE']);
    expect(res.problems[0]?.location?.line).toBeGreaterThanOrEqual(5);
    expect(res.problems[0]?.location?.file).toBe('r.yml');
  });
});

describe('prototype pollution', () => {
  it('a __proto__ key in a rule is UNSAFE_KEY, located, and Object.prototype stays untouched', () => {
    const text = ruleDoc(`
      selection:
        __proto__:
          polluted: 'yes'
        Image: x
      condition: selection
    `);
    const res = load(text);
    const unsafe = res.problems.filter((p) => p.code === 'UNSAFE_KEY');
    expect(unsafe).toHaveLength(1);
    expect(unsafe[0]?.severity).toBe('error');
    expect(unsafe[0]?.location).toMatchObject({ line: 6, column: 5 });
    expect(res.rules).toHaveLength(0);
    pristinePrototype();
  });

  it('constructor and prototype keys are UNSAFE_KEY as well, anywhere in the document', () => {
    for (const key of ['constructor', 'prototype', '__proto__']) {
      const text = `title: t\nlogsource:\n  product: docker\n  ${key}: x\ndetection:\n  selection:\n    A: 1\n  condition: selection\n`;
      const res = load(text);
      expect({ key, codes: res.problems.map((p) => p.code) }).toEqual({ key, codes: ['UNSAFE_KEY'] });
      expect(res.problems[0]?.location?.line).toBe(4);
      expect(res.rules).toHaveLength(0);
    }
    pristinePrototype();
  });

  it('a top-level __proto__ map does not change the prototype of the parsed document', () => {
    const text =
      'title: t\n__proto__:\n  polluted: yes\nlogsource: {product: docker}\ndetection:\n  s:\n    A: 1\n  condition: s\n';
    const res = load(text);
    expect(res.problems.map((p) => p.code)).toContain('UNSAFE_KEY');
    pristinePrototype();
  });
});

describe('regular expressions', () => {
  const reRule = (re: string): string => ruleDoc(`selection:\n  Cmd|re: '${re}'\ncondition: selection`);

  const outside: Array<[string, string]> = [
    ['a backreference', '(a)\\1'],
    ['a named backreference', '(?P<x>a)\\k<x>'],
    ['a lookahead', 'foo(?=bar)'],
    ['a negative lookahead', 'foo(?!bar)'],
    ['a lookbehind', '(?<=foo)bar'],
    ['a negative lookbehind', '(?<!foo)bar'],
    ['an atomic group', '(?>a+)b'],
    ['a possessive quantifier', 'a++b'],
    ['an unterminated class', '[a-z'],
    ['an unbalanced parenthesis', '(ab'],
  ];
  for (const [what, re] of outside)
    it(`"Other metacharacters are unsupported": ${what} (${re}) is REGEX_INVALID`, () => {
      const res = load(reRule(re));
      expect(res.problems.map((p) => p.code)).toEqual(['REGEX_INVALID']);
      expect(res.problems[0]?.location?.line).toBe(6);
      expect(res.rules).toHaveLength(0);
    });

  it('the linear-time engine is enabled in tests as in CI (setup-v8-flags.js)', () => {
    expect(linearRegexAvailable()).toBe(true);
  });

  /** True when V8 can run `source` on its linear-time engine (so excessive backtracking can fall back to it). */
  const linearCapable = (source: string, flags: string): boolean => {
    try {
      new RegExp(source, flags + 'l');
      return true;
    } catch {
      return false;
    }
  };

  const catastrophic: Array<[string, string, boolean, string]> = [
    // pattern, adversarial input, the right answer on it, a short input it must match (if it loads)
    ['(a+)+$', 'a'.repeat(30_000) + '!', false, 'xaaa'],
    ['(a|aa)+$', 'a'.repeat(30_000) + '!', false, 'aaaa'],
    ['(a|a)*b', 'a'.repeat(30_000), false, 'aab'],
    ['(x+x+)+y', 'x'.repeat(30_000), false, 'xxy'],
    ['(\\w+\\s?)+$', 'word '.repeat(6_000) + '!', false, 'one two'],
    ['(.*a){12}', 'a'.repeat(30_000) + 'b'.repeat(10) + '!', true, 'a'.repeat(12)],
    ['(a?){25}a{25}', 'a'.repeat(24) + 'b'.repeat(29_976), false, 'a'.repeat(25)],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a'.repeat(30_000) + '!', false, 'ab.Cd'],
    // bounded repetition of a bounded quantifier: exponential in V8's backtracking engine,
    // and too large for its linear engine (so no fallback on excessive backtracking either)
    ['(a{1,30}){1,30}b', 'a'.repeat(30_000), false, 'aab'],
    ['(a{1,10}){1,10}b', 'a'.repeat(30_000), false, 'aab'],
  ];
  for (const [re, attack, right, good] of catastrophic)
    it(`catastrophic backtracking ${re}: rejected at load, or linear on a 30,000-character input`, () => {
      const text = reRule(re);
      const res = load(text);
      if (res.rules.length === 0) {
        expect(res.problems.map((p) => p.code)).toEqual([expect.stringMatching(/^REGEX_(UNSAFE|INVALID)$/)]);
        return;
      }
      expect(res.problems).toEqual([]);
      // Loaded: it must run in linear time, on the linear engine or through V8's fallback to it.
      // Checked before timing anything, because a synchronous exponential match cannot be interrupted.
      const compiled = compileSafeRegex(re, { i: false, m: false, s: false });
      expect(compiled.ok).toBe(true);
      if (!compiled.ok) return;
      const rx = compiled.regex;
      const safe = compiled.linear || (rx instanceof RegExp && linearCapable(rx.source, rx.flags));
      expect({ re, linearOrFallback: safe }).toEqual({ re, linearOrFallback: true });
      if (!safe) return;
      const c = compile(text);
      const t0 = process.hrtime.bigint();
      const hit = c.test({ Cmd: attack });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      // a safety bound, not a benchmark: exponential backtracking would take hours,
      // a linear engine takes seconds at most even on a loaded CI machine
      expect(ms).toBeLessThan(10_000);
      expect(hit).toBe(right);
      expect(c.test({ Cmd: good })).toBe(true);
    });

  it('(a+)+$ gives the right answers where it loads', () => {
    const res = load(reRule('(a+)+$'));
    if (res.rules.length === 0) return; // rejected: nothing to evaluate
    const c = compile(reRule('(a+)+$'));
    expect(c.test({ Cmd: 'a'.repeat(30_000) + '!' })).toBe(false);
    expect(c.test({ Cmd: 'b' + 'a'.repeat(30_000) })).toBe(true);
  });

  it('a regular expression longer than the pattern limit is rejected', () => {
    expect(errorCodesOf(reRule('a'.repeat(5_000)))).toEqual(['REGEX_INVALID']);
  });
});

describe('duplicate rules', () => {
  const ruleWith = (id: string, name?: string): string =>
    ruleDoc(`selection:\n  A: 1\ncondition: selection`, { id, ...(name ? { name } : {}) });

  it('two rules with the same id are DUPLICATE_RULE, located at the second one', () => {
    const text = ruleWith(ID_A) + '---\n' + ruleWith(ID_A);
    const res = load(text);
    const dup = res.problems.filter((p) => p.code === 'DUPLICATE_RULE');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.severity).toBe('error');
    expect(dup[0]?.location?.line).toBe(10); // the second document starts after `---` on line 9
    expect(dup[0]?.message).toContain('r.yml:1');
  });

  it('duplicates across files and duplicate names are reported too', () => {
    const across = loadRules([
      { file: 'one.yml', text: ruleWith(ID_A, 'shared_name') },
      { file: 'two.yml', text: ruleWith(ID_B, 'shared_name') },
      { file: 'three.yml', text: ruleWith(ID_A) },
    ]);
    const dups = across.problems.filter((p) => p.code === 'DUPLICATE_RULE');
    expect(dups.map((p) => p.location?.file).sort()).toEqual(['three.yml', 'two.yml']);
  });

  it('a rule reported as DUPLICATE_RULE (an error) does not reach the matcher', () => {
    const res = load(ruleWith(ID_A) + '---\n' + ruleWith(ID_A));
    expect(res.rules.filter((r) => r.id === ID_A)).toHaveLength(1);
  });
});

describe('every problem is located (file, line, column), and all of them are reported', () => {
  it('a rule with three distinct errors reports all three, each at its line', () => {
    const text = [
      'title: three errors', //                                   1
      'logsource:', //                                            2
      '  product: docker', //                                     3
      'detection:', //                                            4
      '  selection:', //                                          5
      "    Image|endwith: '/nsenter'", //                         6  unknown modifier
      '  other:', //                                              7
      "    Cmd|re: 'x(?=y)'", //                                  8  regex outside the subset
      '  condition: selection and other and missing', //          9  unknown identifier
      '',
    ].join('\n');
    const res = load(text, {}, 'three.yml');
    const got = res.problems.map((p) => [p.code, p.location?.file, p.location?.line, p.location?.column]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['MODIFIER_UNKNOWN', 'three.yml', 6, 5],
        ['REGEX_INVALID', 'three.yml', 8, 5],
        ['CONDITION_UNKNOWN_IDENTIFIER', 'three.yml', 9, 3],
      ]),
    );
    expect(res.problems).toHaveLength(3);
    expect(res.rules).toHaveLength(0);
    for (const p of res.problems) expect(p.format()).toMatch(/^three\.yml:\d+:\d+: error [A-Z_]+: /);
  });

  it('a value error inside a list is located at the list item', () => {
    const text = ruleDoc(`
      selection:
        Ip|cidr:
          - '10.0.0.0/8'
          - '300.0.0.0/8'
      condition: selection
    `);
    const res = load(text);
    // line of the second item; the column of the value's first character, inside the quotes
    expect(res.problems.map((p) => [p.code, p.location?.line, p.location?.column])).toEqual([['CIDR_INVALID', 8, 10]]);
  });

  it('a schema violation is located at the offending value', () => {
    const text = 'title: t\nlogsource:\n  product: docker\nlevel: severe\ndetection:\n  s:\n    A: 1\n  condition: s\n';
    const res = load(text);
    expect(res.problems.map((p) => [p.code, p.location?.line])).toEqual([['SCHEMA_VIOLATION', 4]]);
    expect(res.rules).toHaveLength(0);
  });

  it('errors of several documents of one file are all collected, each at its own line', () => {
    const bad1 = ruleDoc(`selection:\n  A|nope: 1\ncondition: selection`);
    const bad2 = ruleDoc(`selection:\n  A: 1\ncondition: selection and`);
    const good = ruleDoc(`selection:\n  A: 1\ncondition: selection`);
    const text = [bad1, good, bad2].join('---\n');
    const res = load(text);
    expect(res.problems.map((p) => [p.code, p.location?.line])).toEqual([
      ['MODIFIER_UNKNOWN', 6],
      ['CONDITION_SYNTAX', 7 + 8 + 8],
    ]);
    expect(res.rules).toHaveLength(1);
  });

  it('a document without detection, correlation or filter is DOCUMENT_KIND', () => {
    const res = load('title: nothing here\nlogsource: {product: docker}\n');
    expect(res.problems.map((p) => [p.code, p.location?.line])).toEqual([['DOCUMENT_KIND', 1]]);
  });
});
