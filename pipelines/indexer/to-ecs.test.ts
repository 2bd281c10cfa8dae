import type { Finding } from '../../schemas/generated/finding';
import { auditToEcs, findingToEcs, withoutNulls } from './to-ecs';

const finding: Finding = {
  timestamp: Date.UTC(2026, 10, 28, 10, 1, 9),
  finding: { id: 'f-1', kind: 'sigma', created: Date.UTC(2026, 10, 28, 10, 1, 10), detector: 'd-0' },
  event: { severity: 73, risk_score: 73, level: 'high' },
  rule: {
    id: 'r-1',
    name: 'Host Root Bind',
    version: 'v',
    description: null,
    reference: [],
    tags: ['attack.t1611'],
    ruleset: null,
  },
  threat: {
    framework: 'MITRE ATT&CK',
    tactic: { id: ['TA0004'], name: ['Privilege Escalation'] },
    technique: { id: ['T1611'], name: ['Escape to Host'] },
  },
  message: 'm',
  source: { ip: '203.0.113.7', port: null },
  host: { name: null },
  user: { name: null },
  http: { request: { method: 'POST' } },
  url: { path: '/containers/create', original: null },
  container: { id: null, image: { name: null } },
  process: { command_line: null },
  dockguard: {
    endpoint: '/containers/create',
    client_key: '203.0.113.7',
    event_ids: ['e-1'],
    event_count: 1,
    matched: [],
    correlation: {
      type: 'temporal_ordered',
      group: '{}',
      window_start: Date.UTC(2026, 10, 28, 10, 0, 0),
      window_end: Date.UTC(2026, 10, 28, 10, 5, 0),
      value: null,
      rules: [],
    },
    baseline: null,
    intel: null,
    collector: { id: null, mode: 'proxy' },
  },
};

describe('Finding → ECS document', () => {
  const { id, doc } = findingToEcs(finding);
  test('_id is the finding id', () => expect(id).toBe('f-1'));
  test('ECS constants and dates', () => {
    expect(doc['@timestamp']).toBe('2026-11-28T10:01:09.000Z');
    expect(doc['event']).toEqual({
      kind: 'alert',
      module: 'dockguard',
      dataset: 'dockguard.findings',
      severity: 73,
      risk_score: 73,
      level: 'high',
      created: '2026-11-28T10:01:10.000Z',
    });
    expect((doc['dockguard'] as { correlation: { window_end: string } }).correlation.window_end).toBe(
      '2026-11-28T10:05:00.000Z',
    );
  });
  test('rule.tags move to ECS tags; nulls are left out', () => {
    expect(doc['tags']).toEqual(['attack.t1611']);
    expect(doc['rule']).not.toHaveProperty('tags');
    expect(doc['rule']).not.toHaveProperty('description');
    expect(doc['source']).toEqual({ ip: '203.0.113.7' });
    expect(doc['host']).toEqual({});
    expect(JSON.stringify(doc)).not.toContain('null');
  });
  test('withoutNulls keeps false, 0, empty strings and array items that are not null', () => {
    expect(withoutNulls({ a: false, b: 0, c: '', d: [null, 1], e: { f: null } })).toEqual({
      a: false,
      b: 0,
      c: '',
      d: [1],
      e: {},
    });
  });
});

describe('audit event → ECS document', () => {
  test('timestamp becomes @timestamp, event gets kind/module/dataset, the event id is the _id', () => {
    const e = {
      timestamp: Date.UTC(2026, 10, 28, 10, 0, 0),
      event: { id: 'ev-1', action: 'container-create', outcome: 'success' },
      source: { ip: null, port: null },
      dockguard: { endpoint: '/containers/create', query: { name: 'c1' } },
    } as unknown as Parameters<typeof auditToEcs>[0];
    const { id, doc } = auditToEcs(e);
    expect(id).toBe('ev-1');
    expect(doc).not.toHaveProperty('timestamp');
    expect(doc['@timestamp']).toBe('2026-11-28T10:00:00.000Z');
    expect(doc['event']).toEqual({
      id: 'ev-1',
      action: 'container-create',
      outcome: 'success',
      kind: 'event',
      module: 'dockguard',
      dataset: 'dockguard.audit',
    });
    expect(doc['source']).toEqual({});
  });
});
