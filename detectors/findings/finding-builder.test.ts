import { threatFromTags } from './attack';
import { clientKey } from './client-key';
import { boundedJson, buildFinding, FINDING_LIMITS, findingId, type FindingInput } from './finding-builder';
import { canonicalJson } from './hash';
import type { RuleInfo } from './rule-info';
import { severityOf } from './severity';

const rule: RuleInfo = {
  id: 'r-1',
  name: 'Test Rule',
  version: 'abcdef0123456789',
  description: null,
  reference: [],
  tags: ['attack.execution', 'attack.t1610', 'attack.privilege-escalation', 'attack.t9999', 'cve.2019-5736'],
  ruleset: 'docker/x.yml',
  level: 'high',
  fields: ['dockguard.endpoint', 'process.command_line', 'absent.field'],
};

const event = {
  '@timestamp': '2026-11-28T10:01:09Z',
  source: { ip: '203.0.113.7', port: 40126 },
  http: { request: { method: 'POST' } },
  dockguard: { endpoint: '/containers/create' },
  process: { command_line: 'x'.repeat(10_000) },
};

function input(over: Partial<FindingInput> = {}): FindingInput {
  return {
    kind: 'sigma',
    rule,
    origin: { time: 1, created: 2, detector: 'd-1', event },
    idParts: ['e-1'],
    eventIds: ['e-1'],
    eventCount: 1,
    ...over,
  };
}

describe('finding builder', () => {
  it('maps levels to ECS severity and risk score', () => {
    expect(['informational', 'low', 'medium', 'high', 'critical'].map((l) => severityOf(l).severity)).toEqual([
      1, 21, 47, 73, 99,
    ]);
    expect(severityOf(undefined).level).toBe('medium');
    expect(severityOf('bogus').risk_score).toBe(47);
  });

  it('reads ATT&CK tactics and techniques from tags, names from the tables, unknown ids kept', () => {
    const t = threatFromTags(rule.tags);
    expect(t.tactic).toEqual({ id: ['TA0002', 'TA0004'], name: ['Execution', 'Privilege Escalation'] });
    expect(t.technique).toEqual({ id: ['T1610', 'T9999'], name: ['Deploy Container', 'T9999'] });
    expect(threatFromTags(['attack.ta0040', 'attack.impact']).tactic).toEqual({ id: ['TA0040'], name: ['Impact'] });
    expect(threatFromTags([]).tactic.id).toEqual([]);
  });

  it('ids depend on kind, rule id, version and trigger, never on created or detector', () => {
    const a = buildFinding(input());
    expect(a.finding.id).toMatch(/^[0-9a-f]{64}$/);
    expect(buildFinding(input({ origin: { time: 1, created: 99, detector: 'other', event } })).finding.id).toBe(
      a.finding.id,
    );
    const variants = [
      findingId('baseline', rule, ['e-1']),
      findingId('sigma', { ...rule, id: 'r-2' }, ['e-1']),
      findingId('sigma', { ...rule, version: '0' }, ['e-1']),
      findingId('sigma', rule, ['e-2']),
    ];
    expect(new Set([a.finding.id, ...variants]).size).toBe(5);
  });

  it('copies ECS fields, bounds what the event controls, and reports matched fields that exist', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `e-${i}`);
    const f = buildFinding(input({ eventIds: ids, eventCount: 200, detail: 'y'.repeat(5000) }));
    expect(f.source).toEqual({ ip: '203.0.113.7', port: 40126 });
    expect(f.http.request.method).toBe('POST');
    expect(f.dockguard.client_key).toBe('203.0.113.7');
    expect(f.dockguard.event_ids).toHaveLength(FINDING_LIMITS.eventIds);
    expect(f.dockguard.event_ids[0]).toBe('e-0');
    expect(f.dockguard.event_ids[FINDING_LIMITS.eventIds - 1]).toBe('e-199');
    expect(f.dockguard.event_count).toBe(200);
    expect(f.message.length).toBeLessThanOrEqual(FINDING_LIMITS.messageChars);
    expect(f.message.startsWith('Test Rule: client 203.0.113.7 — POST /containers/create')).toBe(true);
    expect(f.process.command_line?.length).toBe(FINDING_LIMITS.commandLineChars);
    expect(f.dockguard.matched.map((m) => m.field)).toEqual(['dockguard.endpoint', 'process.command_line']);
    expect(f.dockguard.matched[1]?.value.length).toBe(FINDING_LIMITS.matchedValueChars);
    expect(f.user.name).toBeNull();
    expect(f.dockguard.correlation).toBeNull();
  });

  it('stays small whatever the event and the details hold: every text bounded, JSON details still JSON', () => {
    const huge = (c: string): string => c.repeat(1 << 20);
    const hostile = {
      source: { ip: huge('1'), port: 1 },
      host: { name: huge('h') },
      user: { name: huge('u') },
      tls: { client: { subject: huge('s') } },
      http: { request: { method: huge('M') } },
      url: { path: huge('/'), original: huge('q') },
      container: { id: huge('c'), image: { name: huge('i') } },
      process: { command_line: huge('x') },
      dockguard: { endpoint: huge('e') },
      collector: { id: huge('k'), mode: huge('m') },
    };
    const fields = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 'url.original' : 'container.image.name'));
    const f = buildFinding(
      input({
        rule: { ...rule, fields },
        origin: { time: 1, created: 2, detector: 'd-1', event: hostile },
        detail: huge('d'),
        correlation: {
          type: 'value_count',
          group: JSON.stringify({ 'source.ip': huge('g') }),
          window_start: 0,
          window_end: 1,
          value: 1,
          rules: [],
        },
        baseline: {
          kind: 'first_seen',
          key: huge('b'),
          observed: huge('o'),
          expected: JSON.stringify([huge('x')]),
          score: null,
        },
        intel: { indicator: huge('n'), type: 'url', source: huge('f'), field: huge('l') },
      }),
    );
    // no single string over its bound, and the whole finding far below Kafka's default 1 MiB
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(f);
    expect(Math.max(...strings.map((s) => s.length))).toBeLessThanOrEqual(FINDING_LIMITS.jsonChars);
    expect(JSON.stringify(f).length).toBeLessThan(128 * 1024);
    expect(JSON.parse(f.dockguard.correlation!.group)).toMatchObject({ truncated_from_chars: expect.any(Number) });
    expect(JSON.parse(f.dockguard.baseline!.expected)).toMatchObject({ truncated_from_chars: expect.any(Number) });
    // the id comes from the trigger, not from the bounded copies
    expect(f.finding.id).toBe(findingId('sigma', { ...rule, fields }, ['e-1']));
  });

  it('leaves JSON details under the bound as they are', () => {
    expect(boundedJson('{"a":1}')).toBe('{"a":1}');
    const long = JSON.stringify({ a: 'z'.repeat(FINDING_LIMITS.jsonChars) });
    expect(boundedJson(long).length).toBeLessThanOrEqual(FINDING_LIMITS.jsonChars);
  });

  it('keeps cut JSON details under the bound when the kept start is escaped again (quotes, backslashes, surrogates)', () => {
    for (const unit of ['"', '\\', '\u0001', '😀', '\ud800', 'a"'])
      for (const max of [FINDING_LIMITS.jsonChars, 100, 64, 10]) {
        const json = canonicalJson({ group: unit.repeat(FINDING_LIMITS.jsonChars) });
        const cut = boundedJson(json, max);
        expect([unit, max, cut.length <= Math.max(max, 64)]).toEqual([unit, max, true]);
        const parsed = JSON.parse(cut) as { truncated_from_chars: number; start: string };
        expect(parsed.truncated_from_chars).toBe(json.length);
        expect(json.startsWith(parsed.start)).toBe(true);
      }
  });

  it('keys the client by address, else TLS subject, else user, else collector', () => {
    expect(clientKey({ source: { ip: '192.0.2.1' }, user: { name: 'u' } })).toBe('192.0.2.1');
    expect(clientKey({ tls: { client: { subject: 'CN=a' } }, user: { name: 'u' } })).toBe('CN=a');
    expect(clientKey({ user: { name: 'u' }, collector: { id: 'c' } })).toBe('u');
    expect(clientKey({ collector: { id: 'c' } })).toBe('c');
    expect(clientKey({})).toBe('unknown');
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});
