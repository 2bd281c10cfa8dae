import { Unsupported } from './query-tree';
import { toLuceneRegexp } from './lucene-regexp';

const plain = { i: false, m: false, s: false };

/** Lucene regexp semantics (whole value, flags NONE), emulated with an anchored JS regex for these tests. */
function luceneMatches(lucene: string, value: string): boolean {
  // our renderings only use constructs that mean the same in JS once anchored; \\X escapes stay escapes
  return new RegExp(`^(?:${lucene})$`, 's').test(value);
}

describe('Sigma re → Lucene regexp', () => {
  test.each([
    ['curl', ['curl', 'x curl y'], ['cur', 'CURL']],
    ['^/dev/', ['/dev/sda'], ['x/dev/sda']],
    ['\\.sh$', ['a.sh'], ['a.sh ', 'ash']],
    ['(^|[\\s/])xmrig($|\\s)', ['xmrig', '/opt/xmrig -o', 'a xmrig'], ['myxmrig', 'xmrig2']],
    ['^a$|^b$', ['a', 'b'], ['ab', 'ba', ' a']],
    ['sh\\b', ['bash', 'sh -c', 'x|sh'], ['shell', 'sh_x']],
    ['\\bwget', ['wget', 'x wget'], ['xwget']],
    ['a.b', ['a-b', 'xa b'], ['a\nb', 'ab']],
    ['\\d{2,3}', ['12', 'a123b'], ['1', 'a']],
    ['[^a-z]', ['A', '1'], ['abc']],
    ['x+?y', ['xxy'], ['y']],
    ['#@&<>~"', ['#@&<>~"'], ['#@&']],
  ])('%s', (src, yes, no) => {
    const l = toLuceneRegexp(src, plain) as string;
    for (const v of yes) expect([v, luceneMatches(l, v)]).toEqual([v, true]);
    for (const v of no) expect([v, luceneMatches(l, v)]).toEqual([v, false]);
  });

  test('the s flag lets . match line breaks', () => {
    const l = toLuceneRegexp('a.b', { ...plain, s: true }) as string;
    expect(luceneMatches(l, 'a\nb')).toBe(true);
  });

  test('both anchors: only the empty value', () => {
    const l = toLuceneRegexp('^$', plain) as string;
    expect(luceneMatches(l, '')).toBe(true);
    expect(luceneMatches(l, 'a')).toBe(false);
  });

  test.each([
    ['(?=x)', 'lookaround'],
    ['(a)\\1', 'backreferences'],
    ['a\\bb', '\\b'],
    ['a^b', '^ where'],
    ['a$b', '$ where'],
    ['(^a)+', '^ where'],
    ['\\p{L}', 'no Lucene equivalent'],
  ])('%s is refused (%s)', (src, why) => {
    expect(() => toLuceneRegexp(src, plain)).toThrow(Unsupported);
    expect(() => toLuceneRegexp(src, plain)).toThrow(why);
  });

  test('line anchors (m) and letter classes without their other case under i are refused; case-closed classes are fine', () => {
    expect(() => toLuceneRegexp('^a', { ...plain, m: true })).toThrow(Unsupported);
    expect(() => toLuceneRegexp('[a-z]x', { ...plain, i: true })).toThrow(Unsupported);
    expect(toLuceneRegexp('[a-zA-Z]x', { ...plain, i: true })).toBe('.*([a-zA-Z]x).*');
    expect(toLuceneRegexp('[^\\w.]x', { ...plain, i: true })).not.toBeNull();
  });
});
