import { parseYamlSource } from '../yaml-source';
import { compileCorrelation, conditionHolds, parseTimespan } from './compile-correlation';
import { compileYaml, type Reported } from './correlation-test-kit';

// The examples of tests/schema/correlation/*.yml of the Sigma specification.
const SPEC_EXAMPLES: Record<string, string> = {
  event_count: `
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
`,
  event_count_ecs: `
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
taxonomy: ecs
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - dns.question.name
    timespan: 1h
    condition:
        gte: 100
`,
  temporal: `
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
`,
  temporal_ordered: `
title: Recon ordered
correlation:
    type: temporal_ordered
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
`,
  value_avg: `
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules:
        - rule_a_id
    group-by:
        - SourceIP
        - User
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
`,
  value_count: `
title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
`,
  value_percentile: `
title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules:
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: Image
        lte: 1
`,
  value_sum: `
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
`,
};

describe('compileCorrelation on the specification examples', () => {
  it.each(Object.keys(SPEC_EXAMPLES))('compiles %s without problems', (name) => {
    const { rules, problems } = compileYaml(SPEC_EXAMPLES[name] as string);
    expect(problems).toEqual([]);
    expect(rules).toHaveLength(1);
  });

  it('keeps metadata and parses every part of the section', () => {
    const [r] = compileYaml(SPEC_EXAMPLES['event_count'] as string).rules;
    expect(r).toMatchObject({
      id: '0e95725d-7320-415d-80f7-004da920fc11',
      title: 'Many failed logins',
      type: 'event_count',
      rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'],
      groupBy: ['ComputerName'],
      timespan: '1h',
      timespanMs: 3_600_000,
      condition: { gte: 100 },
      fields: [],
      aliases: {},
      generate: false,
    });
    expect(r?.meta['title']).toBe('Many failed logins');
  });

  it('makes the temporal default explicit: every referenced rule', () => {
    const [r] = compileYaml(SPEC_EXAMPLES['temporal'] as string).rules;
    expect(r?.condition).toEqual({ gte: 3 });
  });

  it('reads condition.field for value types, and a list of fields for value_count', () => {
    expect(compileYaml(SPEC_EXAMPLES['value_sum'] as string).rules[0]?.fields).toEqual(['bytes_sent']);
    const multi = compileYaml(
      (SPEC_EXAMPLES['value_count'] as string).replace('field: User', 'field: [User, TargetDomainName]'),
    );
    expect(multi.problems).toEqual([]);
    expect(multi.rules[0]?.fields).toEqual(['User', 'TargetDomainName']);
  });

  it('reads level, status, tags, description, generate and a range condition', () => {
    const { rules, problems } = compileYaml(`
title: t
name: n
level: high
status: test
description: d
tags: [attack.t1110]
generate: true
correlation:
  type: event_count
  rules: [a]
  group-by: [User]
  timespan: 90m
  condition: { gt: 100, lte: 200 }
`);
    expect(problems).toEqual([]);
    expect(rules[0]).toMatchObject({
      name: 'n',
      level: 'high',
      status: 'test',
      description: 'd',
      tags: ['attack.t1110'],
      generate: true,
      timespanMs: 90 * 60_000,
      condition: { gt: 100, lte: 200 },
    });
  });
});

describe('parseTimespan', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['90m', 5_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseTimespan(text)).toBe(ms));

  it.each(['1w', '1h30m', '0s', '-5m', '5M', '', ' 5m', '1.5h', 'h', '5', '999999999999d'])('rejects %j', (text) =>
    expect(parseTimespan(text)).toBeUndefined(),
  );
});

describe('conditionHolds', () => {
  it('joins the operators with AND', () => {
    const range = { gt: 100, lte: 200 };
    expect([100, 101, 200, 201].map((n) => conditionHolds(range, n))).toEqual([false, true, true, false]);
    expect(conditionHolds({ neq: 3 }, 3)).toBe(false);
    expect(conditionHolds({ eq: 3 }, 3)).toBe(true);
    expect(conditionHolds({ lt: 3 }, 3)).toBe(false);
  });
});

/** Compiles `yaml` and returns what was reported, with the line each problem is located at. */
function problemsOf(yaml: string): (Reported & { line: number; text: string })[] {
  const { problems, rules } = compileYaml(yaml);
  const lines = yaml.split('\n');
  if (problems.some((p) => p.severity === 'error')) expect(rules).toEqual([]);
  return problems.map((p) => ({ ...p, line: p.location.line, text: (lines[p.location.line - 1] ?? '').trim() }));
}

function base(section: string, extra = ''): string {
  return `title: t\n${extra}correlation:\n${section}`;
}

const OK_SECTION = `  type: event_count
  rules: [a]
  group-by: [User]
  timespan: 5m
  condition:
    gte: 3
`;

describe('compileCorrelation errors, each located at the offending key or item', () => {
  const cases: [string, string, RegExp, string][] = [
    ['unknown type', OK_SECTION.replace('event_count', 'event_sum'), /type must be one of/, 'type: event_sum'],
    ['missing type', OK_SECTION.replace('  type: event_count\n', ''), /type must be one of/, 'correlation:'],
    ['rules not a list', OK_SECTION.replace('rules: [a]', 'rules: a'), /rules must be a list/, 'rules: a'],
    ['empty rules', OK_SECTION.replace('rules: [a]', 'rules: []'), /must not be empty/, 'rules: []'],
    [
      'rules item not a string',
      OK_SECTION.replace('rules: [a]', 'rules:\n    - a\n    - {x: 1}'),
      /item 2/,
      '- {x: 1}',
    ],
    ['rules item twice', OK_SECTION.replace('rules: [a]', 'rules:\n    - a\n    - a'), /twice/, '- a'],
    ['group-by missing', OK_SECTION.replace('  group-by: [User]\n', ''), /needs group-by/, 'correlation:'],
    [
      'group-by not a list',
      OK_SECTION.replace('group-by: [User]', 'group-by: User'),
      /list of strings/,
      'group-by: User',
    ],
    ['group-by item', OK_SECTION.replace('group-by: [User]', 'group-by:\n    - User\n    - 7'), /item 2/, '- 7'],
    ['timespan 1w', OK_SECTION.replace('5m', '1w'), /whole number followed by s, m, h or d/, 'timespan: 1w'],
    ['timespan number', OK_SECTION.replace('5m', '300'), /timespan is 300/, 'timespan: 300'],
    ['timespan missing', OK_SECTION.replace('  timespan: 5m\n', ''), /timespan is missing/, 'correlation:'],
    ['condition missing', OK_SECTION.replace(/ {2}condition:\n {4}gte: 3\n/, ''), /needs a condition/, 'correlation:'],
    [
      'condition not a map',
      OK_SECTION.replace(/condition:\n {4}gte: 3/, 'condition: 3'),
      /must be a map/,
      'condition: 3',
    ],
    ['operator not a number', OK_SECTION.replace('gte: 3', 'gte: many'), /gte must be a number/, 'gte: many'],
    ['unknown operator', OK_SECTION.replace('gte: 3', 'ge: 3'), /unknown condition key "ge"/, 'ge: 3'],
    ['no operator', OK_SECTION.replace(/condition:\n {4}gte: 3/, 'condition: {}'), /at least one of/, 'condition: {}'],
    ['field on event_count', OK_SECTION.replace('gte: 3', 'gte: 3\n    field: x'), /only used by value_/, 'field: x'],
    ['value_sum without field', OK_SECTION.replace('event_count', 'value_sum'), /needs condition.field/, 'condition:'],
    [
      'value_sum with a list of fields',
      OK_SECTION.replace('event_count', 'value_sum').replace('gte: 3', 'gte: 3\n    field: [a, b]'),
      /one field name/,
      'field: [a, b]',
    ],
    ['aliases not a map', OK_SECTION + '  aliases: [x]\n', /aliases must map/, 'aliases: [x]'],
    ['alias not a map', OK_SECTION + '  aliases:\n    User: x\n', /alias "User" must map/, 'User: x'],
    ['alias field', OK_SECTION + '  aliases:\n    User:\n      a: [x]\n', /must be a field name/, 'a: [x]'],
  ];

  it.each(cases)('%s', (_name, section, message, lineText) => {
    const found = problemsOf(base(section)).filter((p) => p.severity === 'error');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'CORRELATION_INVALID', text: lineText });
    expect(found[0]?.message).toMatch(message);
    expect(found[0]?.location.file).toBe('test.yml');
  });

  it('rejects a missing title and a non-boolean generate', () => {
    const found = problemsOf(`generate: yes\ncorrelation:\n${OK_SECTION}`);
    expect(found.map((p) => [p.message, p.text])).toEqual([
      ['title must be a non-empty string', 'generate: yes'], // no title key: located at the document
      ['generate must be true or false', 'generate: yes'],
    ]);
  });

  it('reads generate inside the section too (as pySigma does), and checks it there', () => {
    expect(compileYaml(base(OK_SECTION + '  generate: true\n')).rules[0]?.generate).toBe(true);
    expect(problemsOf(base(OK_SECTION + '  generate: 1\n')).map((p) => [p.message, p.text])).toEqual([
      ['generate must be true or false', 'generate: 1'],
    ]);
  });

  it('rejects a correlation that is not a map', () => {
    expect(problemsOf('title: t\ncorrelation: [1]\n').map((p) => p.text)).toEqual(['correlation: [1]']);
  });

  it('reports every problem of a section, not only the first', () => {
    const found = problemsOf(
      base('  type: nope\n  rules: []\n  group-by: User\n  timespan: 1w\n  condition: {gte: x}\n'),
    );
    expect(found.map((p) => p.text)).toEqual([
      'type: nope',
      'rules: []',
      'group-by: User',
      'timespan: 1w',
      'condition: {gte: x}',
    ]);
  });

  it('takes group-by as optional for temporal types only', () => {
    const temporal = base('  type: temporal\n  rules: [a, b]\n  timespan: 5m\n');
    expect(problemsOf(temporal)).toEqual([]);
    expect(compileYaml(temporal).rules[0]?.groupBy).toEqual([]);
  });
});

describe('compileCorrelation warnings (the rule still loads)', () => {
  const warns = (yaml: string): string[] => {
    const { problems, rules } = compileYaml(yaml);
    expect(rules).toHaveLength(1);
    return problems.map((p) => `${p.severity}: ${p.message}`);
  };

  it('warns about an unknown key in the section', () => {
    expect(warns(base(OK_SECTION + '  groupby: [x]\n'))).toEqual([
      'warning: unknown key "groupby" in correlation; it is ignored',
    ]);
  });

  it('warns about a condition that can never hold', () => {
    expect(warns(base(OK_SECTION.replace('gte: 3', 'gt: 10\n    lt: 5')))[0]).toMatch(/can never be true/);
    expect(warns(base(OK_SECTION.replace('gte: 3', 'eq: 4\n    lt: 4')))[0]).toMatch(/can never be true/);
    expect(warns(base('  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  condition: {gte: 3}\n'))[0]).toMatch(
      /no count from 1 to 2/,
    );
    expect(warns(SPEC_EXAMPLES['value_percentile']?.replace('lte: 1', 'gt: 100') ?? '')[0]).toMatch(/0..100/);
  });

  it('warns about an alias that group-by does not use', () => {
    expect(warns(base(OK_SECTION + '  aliases:\n    ip:\n      a: source.ip\n'))).toEqual([
      'warning: alias "ip" is not used in group-by, so it has no effect',
    ]);
  });

  it('keeps the positions for later stages', () => {
    const parsed = parseYamlSource('f.yml', base(OK_SECTION));
    const doc = parsed.documents[0];
    const rule = doc && compileCorrelation(doc.value as Record<string, unknown>, doc.positions, () => undefined);
    expect(rule?.source?.locate(['correlation', 'rules', 0])).toEqual({ file: 'f.yml', line: 4, column: 11 });
  });
});
