import { CorrelationEngine, type CorrelationHit, type CorrelationMatch } from './correlation-engine';
import { isGroupState, MemoryCorrelationState, type GroupState } from './correlation-state';
import { compileYaml, hit } from './correlation-test-kit';

const S = 1_000;
const MIN = 60 * S;

// Spec "Example: Failed Logins Followed by Successful Login", verbatim but for the logsource.
const FAILED_THEN_SUCCESS = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
detection: { selection: { EventID: [529, 4625] }, condition: selection }
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
detection: { selection: { EventID: [528, 4624] }, condition: selection }
`;
const FAILED = '53ba33fd-3a50-4468-a5ef-c583635cfa92';
const SUCCESS = '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8';
const INNER = 'a8418a5a-5fc4-46b5-b23b-6c73beb19d41';

function engineFor(yaml: string, store = new MemoryCorrelationState()): CorrelationEngine {
  const { rules, resolve, problems } = compileYaml(yaml);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return new CorrelationEngine(rules, resolve, store);
}

const feed = (e: CorrelationEngine, hits: CorrelationHit[]): CorrelationMatch[] => hits.flatMap((h) => e.onHit(h));

describe('chaining (spec example: multiple failed logins followed by a successful login)', () => {
  const failures = Array.from({ length: 10 }, (_, i) => hit(FAILED, { User: 'alice', EventID: 4625 }, i * S, i + 1));

  it('feeds the inner event_count match into the outer temporal_ordered', () => {
    const engine = engineFor(FAILED_THEN_SUCCESS);
    const inner = feed(engine, failures);
    expect(inner.map((m) => [m.ruleKey, m.group, m.eventRefs, m.time])).toEqual([
      [INNER, { User: 'alice' }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 9 * S],
    ]);
    const outer = engine.onHit(hit(SUCCESS, { User: 'alice', EventID: 4624 }, MIN, 11));
    expect(outer.map((m) => [m.rule.title, m.group, m.eventRefs, m.time, m.value, m.rule.level])).toEqual([
      [
        'Correlation - Multiple Failed Logins Followed by Successful Login',
        { User: 'alice' },
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        MIN,
        2,
        'high',
      ],
    ]);
  });

  it('does not match a success before the failures, or of another user', () => {
    const engine = engineFor(FAILED_THEN_SUCCESS);
    engine.onHit(hit(SUCCESS, { User: 'alice' }, 0, 0));
    feed(
      engine,
      failures.map((h) => ({ ...h, time: h.time + S })),
    );
    expect(engine.onHit(hit(SUCCESS, { User: 'bob' }, MIN, 99))).toEqual([]);
  });

  it("suppresses the referenced rules' own output (generate defaults to false), inner correlation included", () => {
    expect(engineFor(FAILED_THEN_SUCCESS).suppressedRuleKeys()).toEqual(new Set([INNER, SUCCESS, FAILED]));
    const generating = FAILED_THEN_SUCCESS.replace('level: high', 'level: high\ngenerate: true');
    expect(engineFor(generating).suppressedRuleKeys()).toEqual(new Set([FAILED]));
  });

  it('gives a correlation fed by windows decided on close a grace of that timespan', () => {
    // `rare`: fewer than 3 hits of `a` per User in 10s (decided on close, so its
    // matches arrive up to 10s late); `pair`: rare and `b` within 5s.
    const engine = engineFor(`
title: a
name: a
detection: { s: { x: 1 }, condition: s }
---
title: b
name: b
detection: { s: { x: 1 }, condition: s }
---
title: rare
name: rare
correlation: { type: event_count, rules: [a], group-by: [User], timespan: 10s, condition: { lt: 3 } }
---
title: pair
correlation: { type: temporal, rules: [rare, b], group-by: [User], timespan: 5s }
`);
    const u = { User: 'u' };
    feed(engine, [hit('a', u, 1 * S), hit('b', u, 3 * S)]);
    const m = engine.advance(11 * S); // `pair` saw b at 3s; rare's match (time 1s) arrives at 11s
    expect(m.map((x) => [x.rule.title, x.eventRefs])).toEqual([
      ['rare', [1 * S]],
      ['pair', [1 * S, 3 * S]],
    ]);
  });
});

describe('aliases (spec example: internal_ip and remote_ip)', () => {
  const yaml = `
name: internal_error
title: internal error
detection: { selection: { http.response.status_code: 500 }, condition: selection }
---
name: new_network_connection
title: new connection
detection: { selection: { event.category: network }, condition: selection }
---
title: error then connection
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`;
  const error = {
    destination: { ip: '10.0.0.5' },
    source: { ip: '203.0.113.7' },
    http: { response: { status_code: 500 } },
  };

  it("groups each rule's hits by its own field, and reports the alias names", () => {
    const engine = engineFor(yaml);
    engine.onHit(hit('internal_error', error, 0, 1));
    const m = engine.onHit(
      hit('new_network_connection', { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.7' }, 2 * S, 2),
    );
    expect(m.map((x) => [x.group, x.eventRefs])).toEqual([
      [{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.7' }, [1, 2]],
    ]);
  });

  it('does not match when the addresses are not in the aliased fields', () => {
    const engine = engineFor(yaml);
    engine.onHit(hit('internal_error', error, 0, 1));
    // the same addresses, but in the other direction
    expect(
      engine.onHit(
        hit('new_network_connection', { source: { ip: '203.0.113.7' }, destination: { ip: '10.0.0.5' } }, 1, 2),
      ),
    ).toEqual([]);
  });
});

/** A deterministic pseudo-random stream over several correlations of every decision mode. */
const MIXED = `
title: failed
name: failed
detection: { s: { x: 1 }, condition: s }
---
title: success
name: success
detection: { s: { x: 1 }, condition: s }
---
title: recon
name: recon
detection: { s: { x: 1 }, condition: s }
---
title: burst
name: burst
correlation: { type: event_count, rules: [failed], group-by: [User], timespan: 1m, condition: { gte: 3 } }
---
title: burst then success
correlation: { type: temporal_ordered, rules: [burst, success], group-by: [User], timespan: 5m }
---
title: rare user
name: rare_user
correlation: { type: event_count, rules: [success], group-by: [User], timespan: 30s, condition: { lt: 2 } }
---
title: rare and recon
correlation: { type: temporal, rules: [rare_user, recon], group-by: [User], timespan: 20s }
---
title: many hosts
correlation: { type: value_count, rules: [failed, recon], group-by: [User], timespan: 2m, condition: { field: host, gte: 3 } }
---
title: exfil
correlation: { type: value_sum, rules: [recon], group-by: [host], timespan: 1m, condition: { field: bytes, gt: 5000 } }
`;

function stream(n: number): CorrelationHit[] {
  let seed = 12345;
  const rnd = (k: number): number => {
    // mulberry32: exact in 32-bit integer arithmetic, so the stream is the same everywhere
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % k;
  };
  const rules = ['failed', 'failed', 'success', 'recon'];
  let t = 0;
  return Array.from({ length: n }, (_, i) => {
    t += rnd(4) * S;
    const event = { User: `u${rnd(5)}`, host: `h${rnd(4)}`, bytes: rnd(3000) };
    return hit(rules[rnd(rules.length)] as string, event, t, i);
  });
}

function run(hits: CorrelationHit[], store = new MemoryCorrelationState()): CorrelationMatch[] {
  const engine = engineFor(MIXED, store);
  return [...feed(engine, hits), ...engine.flush()];
}

/** A match without its rule object (whose deep comparison only costs time): the key identifies the rule. */
const plain = (ms: CorrelationMatch[]): unknown[] => ms.map(({ rule: _rule, ...rest }) => rest);

describe('invariants', () => {
  const hits = stream(2000);
  const oneRun = run(hits);

  it('the stream exercises every correlation', () => {
    expect(new Set(oneRun.map((m) => m.rule.title)).size).toBe(6);
  });

  it('the same hits into two engines give identical matches', () => {
    expect(plain(run(hits))).toEqual(plain(oneRun));
  });

  it.each([0, 1, 777, 1500, 2000])(
    'a stream split at %d between two engines sharing a store gives the same matches',
    (k) => {
      const store = new MemoryCorrelationState();
      const first = feed(engineFor(MIXED, store), hits.slice(0, k));
      expect(plain([...first, ...run(hits.slice(k), store)])).toEqual(plain(oneRun));
    },
  );

  it('the same holds when the store is rebuilt from its JSON (a changelog restore)', () => {
    const store = new MemoryCorrelationState();
    const first = feed(engineFor(MIXED, store), hits.slice(0, 1000));
    const changelog = JSON.stringify([...store.keys()].map((k) => [k, store.get(k)]));
    const restored = new MemoryCorrelationState();
    for (const [k, s] of JSON.parse(changelog) as [string, unknown][]) {
      expect(isGroupState(s)).toBe(true);
      restored.set(k, s as GroupState);
    }
    expect(plain([...first, ...run(hits.slice(1000), restored)])).toEqual(plain(oneRun));
  });

  it('every match reports sorted, unique event references and the time of its last event', () => {
    for (const m of oneRun) {
      expect(m.eventRefs).toEqual([...new Set(m.eventRefs)].sort((a, b) => a - b));
      expect(m.time).toBe(Math.max(...m.eventRefs.map((r) => (hits[r] as CorrelationHit).time)));
    }
  });
});
