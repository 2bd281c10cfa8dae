import { DockguardError } from '../../errors';
import { CorrelationEngine } from './correlation-engine';
import { checkCorrelationGraph, correlationKey } from './correlation-graph';
import { MemoryCorrelationState } from './correlation-state';
import { compileYaml } from './correlation-test-kit';

const DETECTIONS = `
title: failed
name: failed_login
detection: { sel: { EventID: 4625 }, condition: sel }
---
title: success
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
detection: { sel: { EventID: 4624 }, condition: sel }
`;

function graph(yaml: string): { problems: ReturnType<typeof checkCorrelationGraph>; build: () => CorrelationEngine } {
  const { rules, resolve, problems } = compileYaml(DETECTIONS + yaml);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return {
    problems: checkCorrelationGraph(rules, resolve),
    build: () => new CorrelationEngine(rules, resolve, new MemoryCorrelationState()),
  };
}

function expectThrows(build: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    build();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(DockguardError);
  expect(thrown).toMatchObject({ stage: 'compile', code });
}

describe('checkCorrelationGraph', () => {
  it('accepts references by name and by id', () => {
    const g = graph(`---
title: c
correlation:
  type: temporal_ordered
  rules: [failed_login, 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8]
  group-by: [User]
  timespan: 10m
`);
    expect(g.problems).toEqual([]);
    expect(g.build()).toBeInstanceOf(CorrelationEngine);
  });

  it('reports an unresolved reference at its list item, and the engine refuses it', () => {
    const g = graph(`---
title: c
correlation:
  type: event_count
  rules:
    - failed_login
    - no_such_rule
  group-by: [User]
  timespan: 10m
  condition: { gte: 2 }
`);
    expect(g.problems).toHaveLength(1);
    expect(g.problems[0]).toMatchObject({ code: 'CORRELATION_RULE_UNRESOLVED', severity: 'error' });
    expect(g.problems[0]?.message).toMatch(/"no_such_rule"/);
    expect(g.problems[0]?.location).toMatchObject({ file: 'test.yml', line: 16 });
    expectThrows(g.build, 'CORRELATION_RULE_UNRESOLVED');
  });

  it('detects a cycle between two correlations, and the engine refuses it', () => {
    const g = graph(`---
title: a
name: corr_a
correlation: { type: event_count, rules: [failed_login, corr_b], group-by: [User], timespan: 1m, condition: { gte: 2 } }
---
title: b
name: corr_b
correlation: { type: event_count, rules: [corr_a], group-by: [User], timespan: 1m, condition: { gte: 2 } }
`);
    expect(g.problems.map((p) => [p.code, p.message])).toEqual([
      ['CORRELATION_CYCLE', 'correlation cycle: corr_a → corr_b → corr_a'],
    ]);
    expect(g.problems[0]?.location?.line).toBe(17); // the reference that closes the cycle, in corr_b
    expectThrows(g.build, 'CORRELATION_CYCLE');
  });

  it('detects a correlation that references itself', () => {
    const g = graph(`---
title: self
name: corr_self
correlation: { type: event_count, rules: [corr_self], group-by: [User], timespan: 1m, condition: { gte: 2 } }
`);
    expect(g.problems.map((p) => p.message)).toEqual(['correlation cycle: corr_self → corr_self']);
  });

  it('returns every problem at once', () => {
    const g = graph(`---
title: a
name: corr_a
correlation: { type: event_count, rules: [ghost, corr_a], group-by: [User], timespan: 1m, condition: { gte: 2 } }
`);
    expect(g.problems.map((p) => p.code)).toEqual(['CORRELATION_RULE_UNRESOLVED', 'CORRELATION_CYCLE']);
    try {
      g.build();
    } catch (e) {
      expect((e as DockguardError).message).toMatch(/and 1 more problems/);
    }
  });

  it('rejects the same rule referenced twice (by id and by name)', () => {
    const g = graph(`---
title: c
correlation:
  type: temporal
  rules: [successful_login, 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8]
  timespan: 1m
`);
    expect(g.problems.map((p) => p.code)).toEqual(['CORRELATION_INVALID']);
    expect(g.problems[0]?.message).toMatch(/same rule/);
  });

  it('rejects two correlations with the same key', () => {
    const body = `correlation: { type: temporal, rules: [failed_login], timespan: 1m }`;
    const g = graph(`---\ntitle: same\n${body}\n---\ntitle: same\n${body}\n`);
    expect(g.problems.map((p) => p.message)).toEqual([
      '"title:same" is also the key of correlation "same"; give each an id or name',
    ]);
  });

  it('checks alias rule names: unresolved, not referenced, and missing for a referenced rule', () => {
    const g = graph(`---
title: c
correlation:
  type: temporal
  rules: [failed_login, successful_login]
  group-by: [ip]
  timespan: 1m
  aliases:
    ip:
      failed_login: source.ip
      ghost: source.ip
    other:
      successful_login: x
`);
    expect(g.problems.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['CORRELATION_RULE_UNRESOLVED', 'error', 'alias "ip" names "ghost", which is not loaded'],
      [
        'CORRELATION_INVALID',
        'warning',
        'alias "ip" has no field for rule "successful_login"; its hits are grouped by a field named "ip"',
      ],
    ]);
    const h = graph(`---
title: c
correlation:
  type: temporal
  rules: [failed_login]
  group-by: [ip]
  timespan: 1m
  aliases:
    ip:
      failed_login: source.ip
      successful_login: source.ip
`);
    expect(h.problems.map((p) => p.message)).toEqual([
      'alias "ip" names "successful_login", which this correlation does not reference',
    ]);
  });

  it('builds an engine despite warnings', () => {
    const g = graph(`---
title: c
correlation:
  type: temporal
  rules: [failed_login, successful_login]
  group-by: [ip]
  timespan: 1m
  aliases: { ip: { failed_login: source.ip } }
`);
    expect(g.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(g.build()).toBeInstanceOf(CorrelationEngine);
  });
});

describe('correlationKey', () => {
  it('is what the id or name resolves to, else a stable fallback', () => {
    const { rules, resolve } = compileYaml(`
title: anon
correlation: { type: temporal, rules: [x], timespan: 1m }
---
title: named
name: my_corr
correlation: { type: temporal, rules: [x], timespan: 1m }
`);
    expect(rules.map((r) => correlationKey(r, resolve))).toEqual(['title:anon', 'my_corr']);
    expect(correlationKey(rules[1]!, () => 'canonical')).toBe('canonical');
  });
});

describe('CorrelationEngine options', () => {
  it.each([0, -3, 2.5])('rejects maxEventsPerGroup %p', (maxEventsPerGroup) => {
    const { rules, resolve } = compileYaml(DETECTIONS);
    expect(() => new CorrelationEngine(rules, resolve, new MemoryCorrelationState(), { maxEventsPerGroup })).toThrow(
      /maxEventsPerGroup must be a positive integer/,
    );
  });
});
