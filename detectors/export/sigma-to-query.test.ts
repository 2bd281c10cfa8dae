import { toDsl } from './query-dsl';
import { toEsqlWhere } from './query-esql';
import { toLucene } from './query-lucene';
import { Unsupported } from './query-tree';
import { detectionToQuery, translateItem } from './sigma-to-query';
import { elasticThreat } from './elastic-threat';

const types = new Map<string, string>([
  ['dockguard.endpoint', 'keyword'],
  ['process.command_line', 'keyword'],
  ['process.command_line.text', 'text'],
  ['process.args', 'keyword'],
  ['source.ip', 'ip'],
  ['http.response.status_code', 'long'],
  ['dockguard.container.privileged', 'boolean'],
  ['dockguard.query', 'flattened'],
  ['@timestamp', 'date'],
]);

describe('Sigma detection → query tree → DSL', () => {
  test('plain values are case-insensitive terms; cased ones are not', () => {
    expect(toDsl(translateItem('dockguard.endpoint', [], '/containers/create', types))).toEqual({
      term: { 'dockguard.endpoint': { value: '/containers/create', case_insensitive: true } },
    });
    expect(toDsl(translateItem('dockguard.endpoint', ['cased'], '/X', types))).toEqual({
      term: { 'dockguard.endpoint': { value: '/X' } },
    });
  });

  test('contains/startswith become wildcard/prefix with escaped literals', () => {
    expect(toDsl(translateItem('process.command_line', ['contains'], 'a*b?', types))).toEqual({
      wildcard: { 'process.command_line': { value: '*a*b?*', case_insensitive: true } },
    });
    expect(toDsl(translateItem('process.command_line', ['contains'], 'a\\*b', types))).toEqual({
      wildcard: { 'process.command_line': { value: '*a\\*b*', case_insensitive: true } },
    });
    expect(toDsl(translateItem('process.command_line', ['startswith'], 'chroot ', types))).toEqual({
      prefix: { 'process.command_line': { value: 'chroot ', case_insensitive: true } },
    });
  });

  test('neq, null, exists, all', () => {
    expect(toDsl(translateItem('dockguard.endpoint', ['neq'], 'x', types))).toEqual({
      bool: {
        filter: [
          { exists: { field: 'dockguard.endpoint' } },
          { bool: { must_not: [{ term: { 'dockguard.endpoint': { value: 'x', case_insensitive: true } } }] } },
        ],
      },
    });
    expect(toDsl(translateItem('source.ip', [], null, types))).toEqual({
      bool: { must_not: [{ exists: { field: 'source.ip' } }] },
    });
    expect(toDsl(translateItem('process.args', ['exists'], false, types))).toEqual({
      bool: { must_not: [{ exists: { field: 'process.args' } }] },
    });
    const all = toDsl(translateItem('process.command_line', ['contains', 'all'], ['a', 'b'], types));
    expect((all['bool'] as { filter: unknown[] }).filter).toHaveLength(2);
  });

  test('typed fields: numbers, booleans and ips compare as the engine compares their text', () => {
    expect(toDsl(translateItem('http.response.status_code', [], '201', types))).toEqual({
      term: { 'http.response.status_code': { value: 201 } },
    });
    // "0201" never equals the text of 201
    expect(toDsl(translateItem('http.response.status_code', [], '0201', types))).toEqual({ match_none: {} });
    expect(toDsl(translateItem('dockguard.container.privileged', [], 'TRUE', types))).toEqual({
      term: { 'dockguard.container.privileged': { value: true } },
    });
    expect(toDsl(translateItem('source.ip', ['cidr'], '10.0.0.0/8', types))).toEqual({
      term: { 'source.ip': '10.0.0.0/8' },
    });
    expect(toDsl(translateItem('http.response.status_code', ['gte'], 400, types))).toEqual({
      range: { 'http.response.status_code': { gte: 400 } },
    });
  });

  test('N of is bool.should with minimum_should_match N', () => {
    const q = detectionToQuery(
      { a: { 'process.args': 'x' }, b: { 'process.args': 'y' }, c: { 'process.args': 'z' }, condition: '2 of them' },
      types,
    );
    expect((toDsl(q)['bool'] as { minimum_should_match: number }).minimum_should_match).toBe(2);
  });

  test.each([
    [() => translateItem('unknown.field', [], 'x', types), 'not in the audit mapping'],
    [() => translateItem(null, [], 'x', types), 'keyword searches'],
    [() => translateItem('process.args', ['fieldref'], 'x', types), 'fieldref'],
    [() => translateItem('process.args', ['cidr'], '10.0.0.0/8', types), 'cidr'],
    [() => translateItem('process.args', ['gt'], 3, types), 'not numeric'],
    [() => translateItem('@timestamp', [], 'x', types), 'date'],
    [() => translateItem('source.ip', ['startswith'], '10.', types), 'wildcards'],
    [() => translateItem('dockguard.query.x', ['contains'], 'a', types), 'flattened'],
    [() => translateItem('process.args', ['hour'], 3, types), 'time'],
    [() => translateItem('process.args', ['utf16le', 'base64'], 'a', types), 'UTF-16'],
    [() => translateItem('source.ip', ['exists'], true, types, new Set(['source.ip'])), 'null or empty'],
    [() => translateItem('source.ip', ['neq'], '10.0.0.1', types, new Set(['source.ip'])), 'null or empty'],
  ])('refused: %#', (f, why) => {
    expect(f).toThrow(Unsupported);
    expect(f).toThrow(why);
  });

  test('keys of a flattened field take terms and prefixes', () => {
    expect(toDsl(translateItem('dockguard.query.fromImage', ['startswith'], 'alp', types))).toEqual({
      prefix: { 'dockguard.query.fromImage': { value: 'alp', case_insensitive: true } },
    });
  });
});

describe('Lucene and ES|QL renderings', () => {
  test('Lucene only where no case needs folding', () => {
    expect(() => toLucene(translateItem('process.args', [], 'curl', types))).toThrow(Unsupported);
    expect(toLucene(translateItem('process.args', ['cased'], 'curl x', types))).toBe('process.args:"curl x"');
    expect(toLucene(translateItem('http.response.status_code', ['gte'], 400, types))).toBe(
      'http.response.status_code:>=400',
    );
    expect(toLucene(translateItem('source.ip', ['cidr'], '10.0.0.0/8', types))).toBe('source.ip:10.0.0.0\\/8');
  });

  test('ES|QL wraps leaves in COALESCE (a missing field makes NOT match, as in Sigma) and refuses multi-valued fields', () => {
    const q = detectionToQuery({ a: { 'process.command_line|contains': 'Curl' }, condition: 'not a' }, types);
    expect(toEsqlWhere(q, new Set())).toBe('NOT (COALESCE(TO_LOWER(process.command_line) LIKE "*curl*", false))');
    expect(() => toEsqlWhere(translateItem('process.args', [], 'x', types), new Set(['process.args']))).toThrow(
      Unsupported,
    );
  });
});

describe('ATT&CK threat from tags', () => {
  test('tactics by name, techniques and subtechniques under each tactic', () => {
    const t = elasticThreat([
      'attack.execution',
      'attack.t1059.004',
      'attack.t1610',
      'attack.privilege_escalation',
      'cve.x',
    ]);
    expect(t.map((x) => x.tactic.id)).toEqual(['TA0002', 'TA0004']);
    expect(t[0]?.technique.map((x) => x.id)).toEqual(['T1059', 'T1610']);
    expect(t[0]?.technique[0]?.subtechnique?.[0]?.id).toBe('T1059.004');
    expect(t[0]?.technique[0]?.subtechnique?.[0]?.reference).toBe('https://attack.mitre.org/techniques/T1059/004/');
  });
});
