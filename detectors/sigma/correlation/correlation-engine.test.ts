import { CorrelationEngine, type CorrelationHit, type CorrelationMatch } from './correlation-engine';
import { MemoryCorrelationState } from './correlation-state';
import { compileYaml, hit } from './correlation-test-kit';

const S = 1_000;
const MIN = 60 * S;

interface Setup {
  engine: CorrelationEngine;
  store: MemoryCorrelationState;
}

/** Detection rules `a`, `b`, `c` plus the given correlation section(s). */
function setup(correlations: string, options: { maxEventsPerGroup?: number; maxKeys?: number } = {}): Setup {
  const detections = ['a', 'b', 'c', 'recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c']
    .map((n) => `title: ${n}\nname: ${n}\ndetection: { sel: { x: 1 }, condition: sel }\n---\n`)
    .join('');
  const { rules, resolve, problems } = compileYaml(detections + correlations);
  expect(problems).toEqual([]);
  const store = new MemoryCorrelationState({ maxKeys: options.maxKeys ?? 1000 });
  const engine = new CorrelationEngine(rules, resolve, store, { maxEventsPerGroup: options.maxEventsPerGroup });
  return { engine, store };
}

function feed(engine: CorrelationEngine, hits: CorrelationHit[]): CorrelationMatch[] {
  return hits.flatMap((h) => engine.onHit(h));
}

/** The parts of a match a test asserts on. */
function brief(m: CorrelationMatch): { title: string; group: Record<string, unknown>; refs: number[]; value?: number } {
  return { title: m.rule.title, group: m.group, refs: m.eventRefs, value: m.value };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('event_count (spec example: >= 100 failed logins per ComputerName in 1h)', () => {
  const rule = `title: Many failed logins
correlation: { type: event_count, rules: [a], group-by: [ComputerName], timespan: 1h, condition: { gte: 100 } }
`;

  it('matches on the 100th hit of a group, with all of its events, and not again for the same hits', () => {
    const { engine } = setup(rule);
    const hits = range(100).flatMap((i) => [
      hit('a', { ComputerName: 'srv1' }, i * S, i),
      hit('a', { ComputerName: 'srv2' }, i * S, 1000 + i), // a separate group
    ]);
    const matches = feed(engine, hits.slice(0, -2));
    expect(matches).toEqual([]);
    const last = feed(engine, hits.slice(-2)).map(brief);
    expect(last).toEqual([
      { title: 'Many failed logins', group: { ComputerName: 'srv1' }, refs: range(100), value: 100 },
      {
        title: 'Many failed logins',
        group: { ComputerName: 'srv2' },
        refs: range(100).map((i) => 1000 + i),
        value: 100,
      },
    ]);
    expect(engine.onHit(hit('a', { ComputerName: 'srv1' }, 101 * S))).toEqual([]);
    expect(engine.counters).toMatchObject({ hits: 201, matches: 2 });
  });

  it('slides the window: hits older than the timespan do not count', () => {
    const { engine } = setup(rule.replace('timespan: 1h', 'timespan: 10s').replace('gte: 100', 'gte: 3'));
    const g = { ComputerName: 'srv' };
    expect(feed(engine, [hit('a', g, 0), hit('a', g, 5 * S), hit('a', g, 11 * S)])).toEqual([]);
    expect(feed(engine, [hit('a', g, 12 * S)]).map((m) => m.eventRefs)).toEqual([[5 * S, 11 * S, 12 * S]]);
  });

  it('excludes a hit exactly one timespan older: the window is (t - timespan, t]', () => {
    const { engine } = setup(rule.replace('timespan: 1h', 'timespan: 10s').replace('gte: 100', 'gte: 2'));
    expect(feed(engine, [hit('a', {}, 0), hit('a', {}, 10 * S)])).toEqual([]);
    expect(feed(engine, [hit('a', {}, 10 * S + 1)])).toHaveLength(1);
  });

  it('clears the window after a match, so every alert has new hits', () => {
    const { engine } = setup(rule.replace('gte: 100', 'gte: 2'));
    const refs = feed(
      engine,
      range(5).map((i) => hit('a', { ComputerName: 'x' }, i * S)),
    ).map((m) => m.eventRefs);
    expect(refs).toEqual([
      [0, 1 * S],
      [2 * S, 3 * S],
    ]);
  });

  it('groups hits that lack a group-by field under null', () => {
    const { engine } = setup(rule.replace('gte: 100', 'gte: 2'));
    const m = feed(engine, [hit('a', { other: 1 }, 0), hit('a', { ComputerName: null }, 1)]);
    expect(m.map(brief)).toEqual([
      { title: 'Many failed logins', group: { ComputerName: null }, refs: [0, 1], value: 2 },
    ]);
  });

  it('groups by several fields (AND), reading dotted paths into nested events', () => {
    const { engine } = setup(`title: t
correlation: { type: event_count, rules: [a], group-by: [host.name, User], timespan: 1m, condition: { gte: 2 } }
`);
    const m = feed(engine, [
      hit('a', { host: { name: 'h1' }, User: 'u1' }, 1),
      hit('a', { host: { name: 'h1' }, User: 'u2' }, 2),
      hit('a', { host: { name: 'h2' }, User: 'u1' }, 3),
      hit('a', { 'host.name': 'h1', User: 'u1' }, 4), // flattened ECS key: same group
    ]);
    expect(m.map((x) => [x.group, x.eventRefs])).toEqual([[{ 'host.name': 'h1', User: 'u1' }, [1, 4]]]);
  });

  it('keys groups in the changelog format [rule key, [component keys]], with or without the key memo', () => {
    const { engine, store } = setup(`title: t
name: t
correlation: { type: event_count, rules: [a], group-by: [host.name, User], timespan: 1h, condition: { gte: 1000 } }
`);
    const values: unknown[] = ['h1', 'h"2\\', 'hôte', 7, true, ['x', 'y'], null, undefined];
    const want = new Set<string>();
    let n = 0;
    // every pair twice: the second time the memo answers (arrays are never remembered)
    for (let round = 0; round < 2; round++)
      for (const h of values)
        for (const u of values) {
          const event: Record<string, unknown> = {};
          if (h !== undefined) event['host'] = { name: h };
          if (u !== undefined) event['User'] = u;
          feed(engine, [hit('a', event, ++n)]);
          const part = (v: unknown): unknown =>
            v === undefined || v === null ? null : Array.isArray(v) ? v.map(String) : String(v);
          want.add(JSON.stringify(['t', [part(h), part(u)]]));
        }
    expect(new Set(store.keys())).toEqual(want);
    expect(want.size).toBe(49); // null and a missing field share a group
  });

  it('keys a temporal correlation without group-by as [rule key, []], on every hit', () => {
    const { engine, store } = setup(`title: t
name: t
correlation: { type: temporal, rules: [a, b], timespan: 1h }
`);
    feed(engine, [hit('a', { x: 1 }, 1), hit('a', { x: 2 }, 2), hit('a', {}, 3)]);
    expect([...store.keys()]).toEqual([JSON.stringify(['t', []])]);
  });

  it('compares group values by their string form', () => {
    const { engine } = setup(rule.replace('gte: 100', 'gte: 2'));
    expect(feed(engine, [hit('a', { ComputerName: 42 }, 1), hit('a', { ComputerName: '42' }, 2)])).toHaveLength(1);
  });
});

describe('value_count (spec example: >= 100 distinct User per ComputerName and WorkstationName in 1d)', () => {
  const rule = `title: Failed login
correlation:
  type: value_count
  rules: [a]
  group-by: [ComputerName, WorkstationName]
  timespan: 1d
  condition: { field: User, gte: 100 }
`;

  it('counts distinct values; repeats and hits without the field do not count', () => {
    const { engine } = setup(rule);
    const g = { ComputerName: 'dc1', WorkstationName: 'ws1' };
    const hits = [
      ...range(99).map((i) => hit('a', { ...g, User: `user${i}` }, i * S)),
      hit('a', { ...g, User: 'user0' }, 200 * S),
      hit('a', g, 201 * S),
      hit('a', { ...g, WorkstationName: 'ws2', User: 'other' }, 202 * S),
    ];
    expect(feed(engine, hits)).toEqual([]);
    expect(engine.counters.ignoredNoValue).toBe(1);
    const m = engine.onHit(hit('a', { ...g, User: 'user99' }, 300 * S));
    // the repeated user0 is in the window: it contributes an event, not a value
    expect(m.map((x) => [x.group, x.value, x.eventRefs.length])).toEqual([[g, 100, 101]]);
  });

  it('counts tuples when field lists several fields', () => {
    const { engine } = setup(rule.replace('field: User', 'field: [User, Domain]').replace('gte: 100', 'gte: 3'));
    const g = { ComputerName: 'dc1', WorkstationName: 'ws1' };
    const m = feed(engine, [
      hit('a', { ...g, User: 'u', Domain: 'd1' }, 1),
      hit('a', { ...g, User: 'u', Domain: 'd2' }, 2),
      hit('a', { ...g, User: 'u', Domain: 'd1' }, 3),
      hit('a', { ...g, User: 'u' }, 4),
      hit('a', { ...g, User: 'v', Domain: 'd1' }, 5),
    ]);
    expect(m.map((x) => [x.value, x.eventRefs])).toEqual([[3, [1, 2, 3, 5]]]);
  });
});

describe('temporal (spec example: recon commands a, b, c in any order within 5m per ComputerName and User)', () => {
  const rule = `title: Recon
correlation:
  type: temporal
  rules: [recon_cmd_a, recon_cmd_b, recon_cmd_c]
  group-by: [ComputerName, User]
  timespan: 5m
`;
  const g = { ComputerName: 'pc', User: 'alice' };

  it('matches once every referenced rule has a hit in the window, in any order', () => {
    const { engine } = setup(rule);
    const m = feed(engine, [
      hit('recon_cmd_c', g, 0),
      hit('recon_cmd_a', g, 1 * MIN),
      hit('recon_cmd_b', { ...g, User: 'bob' }, 2 * MIN),
      hit('recon_cmd_a', g, 3 * MIN),
      hit('recon_cmd_b', g, 4 * MIN),
    ]);
    expect(m.map(brief)).toEqual([{ title: 'Recon', group: g, refs: [0, 1 * MIN, 3 * MIN, 4 * MIN], value: 3 }]);
  });

  it('does not match when the hits span more than the timespan', () => {
    const { engine } = setup(rule);
    expect(
      feed(engine, [hit('recon_cmd_a', g, 0), hit('recon_cmd_b', g, 2 * MIN), hit('recon_cmd_c', g, 5 * MIN)]),
    ).toEqual([]);
  });

  it('with a condition, counts distinct referenced rules', () => {
    const { engine } = setup(rule.replace('timespan: 5m', 'timespan: 5m\n  condition: { gte: 2 }'));
    const m = feed(engine, [hit('recon_cmd_a', g, 0), hit('recon_cmd_a', g, 1), hit('recon_cmd_c', g, 2)]);
    expect(m.map((x) => [x.value, x.eventRefs])).toEqual([[2, [0, 1, 2]]]);
  });
});

describe('temporal_ordered', () => {
  const rule = `title: Ordered
correlation: { type: temporal_ordered, rules: [recon_cmd_a, recon_cmd_b, recon_cmd_c], group-by: [User], timespan: 5m }
`;

  it('matches only when the hits occur in the order of rules', () => {
    const { engine } = setup(rule);
    const u = { User: 'u' };
    expect(feed(engine, [hit('recon_cmd_c', u, 0), hit('recon_cmd_b', u, 1), hit('recon_cmd_a', u, 2)])).toEqual([]);
    const m = feed(engine, [hit('recon_cmd_b', u, 3), hit('recon_cmd_c', u, 4)]);
    expect(m.map((x) => [x.value, x.eventRefs])).toEqual([[3, [0, 1, 2, 3, 4]]]);
  });

  it('takes equal timestamps in arrival order', () => {
    const inOrder = setup(rule).engine;
    expect(
      feed(
        inOrder,
        ['recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c'].map((r, i) => hit(r, {}, 7, i)),
      ),
    ).toHaveLength(1);
    const outOfOrder = setup(rule).engine;
    expect(
      feed(
        outOfOrder,
        ['recon_cmd_b', 'recon_cmd_a', 'recon_cmd_c'].map((r, i) => hit(r, {}, 7, i)),
      ),
    ).toEqual([]);
  });
});

describe('value_sum, value_avg and value_percentile (spec examples)', () => {
  it('value_sum: bytes_sent > 1,000,000 per SourceIP and User in 1h; numeric strings count, others are ignored', () => {
    const { engine } = setup(`title: Possible Exfiltration to Website
correlation:
  type: value_sum
  rules: [a]
  group-by: [SourceIP, User]
  timespan: 1h
  condition: { field: bytes_sent, gt: 1000000 }
`);
    const g = { SourceIP: '10.1.1.1', User: 'eve' };
    const m = feed(engine, [
      hit('a', { ...g, bytes_sent: 400_000 }, 1),
      hit('a', { ...g, bytes_sent: 'lots' }, 2),
      hit('a', { ...g, bytes_sent: 400_000 }, 3),
      hit('a', { ...g, bytes_sent: '300000' }, 4),
    ]);
    expect(m.map(brief)).toEqual([
      { title: 'Possible Exfiltration to Website', group: g, refs: [1, 3, 4], value: 1_100_000 },
    ]);
    expect(engine.counters.ignoredNoValue).toBe(1);
  });

  it('value_avg: BytesOut average > 500, evaluated on every hit', () => {
    const { engine } = setup(`title: avg
correlation: { type: value_avg, rules: [a], group-by: [SourceIP, User], timespan: 24h, condition: { field: BytesOut, gt: 500 } }
`);
    const g = { SourceIP: 'ip', User: 'u' };
    const m = feed(engine, [
      hit('a', { ...g, BytesOut: 100 }, 1),
      hit('a', { ...g, BytesOut: 2000 }, 2),
      hit('a', { ...g, BytesOut: 600 }, 3),
    ]);
    expect(m.map((x) => [x.value, x.eventRefs])).toEqual([
      [1050, [1, 2]],
      [600, [3]], // the window was cleared by the first match
    ]);
  });

  it("value_percentile: a process name making up <= 1% of a computer's processes in 24h", () => {
    const { engine } = setup(`title: rare process
correlation: { type: value_percentile, rules: [a], group-by: [ComputerName], timespan: 24h, condition: { field: Image, lte: 1 } }
`);
    const pc = { ComputerName: 'pc' };
    const common = range(199).map((i) => hit('a', { ...pc, Image: i % 2 ? 'svchost.exe' : 'explorer.exe' }, i));
    expect(feed(engine, common)).toEqual([]);
    const m = engine.onHit(hit('a', { ...pc, Image: 'evil.exe' }, 500));
    expect(m.map((x) => [x.value, x.eventRefs.length])).toEqual([[0.5, 200]]);
    expect(engine.onHit(hit('a', { ...pc, Image: 'evil.exe' }, 501))).toEqual([]); // 100% of a fresh window
  });
});

describe('conditions with an upper bound, decided when the window closes', () => {
  const rule = (cond: string): string => `title: few
correlation: { type: event_count, rules: [a], group-by: [User], timespan: 10s, condition: { ${cond} } }
`;

  it('lt: waits for the window to close, then matches on the watermark (advance)', () => {
    const { engine } = setup(rule('lt: 3'));
    expect(feed(engine, [hit('a', { User: 'u' }, 0), hit('a', { User: 'u' }, 1 * S)])).toEqual([]);
    expect(engine.advance(10 * S - 1)).toEqual([]);
    expect(engine.advance(10 * S).map(brief)).toEqual([
      { title: 'few', group: { User: 'u' }, refs: [0, 1 * S], value: 2 },
    ]);
    expect(engine.flush()).toEqual([]); // those hits alerted once
  });

  it('closes windows when another hit moves the watermark', () => {
    const { engine } = setup(rule('lt: 3'));
    engine.onHit(hit('a', { User: 'u' }, 0));
    const m = engine.onHit(hit('a', { User: 'v' }, 30 * S));
    expect(m.map((x) => [x.group, x.eventRefs])).toEqual([[{ User: 'u' }, [0]]]);
  });

  it('a late hit whose window the watermark has already closed is decided by that same hit', () => {
    const { engine } = setup(rule('lt: 3'));
    expect(engine.advance(MIN)).toEqual([]);
    // [0, 10s) ended long before the watermark: nothing later could join it, so it is decided now
    expect(engine.onHit(hit('a', { User: 'late' }, 0)).map(brief)).toEqual([
      { title: 'few', group: { User: 'late' }, refs: [0], value: 1 },
    ]);
    expect(engine.flush()).toEqual([]);
  });

  it('eq on flush: a window that does not hold drops only its oldest hit, and the next window is tried', () => {
    const { engine } = setup(rule('eq: 3'));
    expect(
      feed(
        engine,
        range(4).map((i) => hit('a', { User: 'u' }, i * S)),
      ),
    ).toEqual([]);
    expect(engine.flush().map((x) => [x.value, x.eventRefs])).toEqual([[3, [1 * S, 2 * S, 3 * S]]]);
  });

  it('a range (gt and lte) is decided on close: more hits can still make it false', () => {
    const { engine } = setup(rule('gt: 1, lte: 2'));
    feed(engine, [hit('a', { User: 'u' }, 0), hit('a', { User: 'u' }, 1), hit('a', { User: 'u' }, 2)]);
    feed(engine, [hit('a', { User: 'w' }, 0), hit('a', { User: 'w' }, 1)]);
    // u: [0,10s) has 3 hits (no), then [1,..) has 2: the tail of the burst matches
    expect(engine.flush().map((x) => [x.group, x.eventRefs])).toEqual([
      [{ User: 'w' }, [0, 1]],
      [{ User: 'u' }, [1, 2]],
    ]);
  });

  it('value_count with lte and value_sum with neq are decided on close too', () => {
    const vc = setup(`title: vc
correlation: { type: value_count, rules: [a], group-by: [], timespan: 1m, condition: { field: ip, lte: 1 } }
`).engine;
    feed(vc, [hit('a', { ip: '1' }, 0), hit('a', { ip: '1' }, 1)]);
    expect(vc.advance(MIN).map((x) => [x.value, x.eventRefs])).toEqual([[1, [0, 1]]]);
    const vs = setup(`title: vs
correlation: { type: value_sum, rules: [a], group-by: [], timespan: 1m, condition: { field: n, neq: 0 } }
`).engine;
    feed(vs, [hit('a', { n: 5 }, 0), hit('a', { n: -5 }, 1), hit('a', { n: 2 }, 2 * MIN)]);
    expect(vs.flush().map((x) => [x.value, x.eventRefs])).toEqual([[2, [2 * MIN]]]);
  });
});

describe('limits', () => {
  it('keeps at most maxEventsPerGroup hits per group, dropping the oldest and counting them', () => {
    const { engine, store } = setup(
      `title: few
correlation: { type: event_count, rules: [a], group-by: [User], timespan: 1h, condition: { lt: 100 } }
`,
      { maxEventsPerGroup: 5 },
    );
    expect(
      feed(
        engine,
        range(20).map((i) => hit('a', { User: 'u' }, i)),
      ),
    ).toEqual([]);
    expect(engine.counters.droppedGroupCap).toBe(15);
    const [key] = [...store.keys()];
    expect(store.get(key ?? '')).toMatchObject({ dropped: 15, hits: range(5).map((i) => ({ t: 15 + i })) });
    expect(engine.flush().map((x) => [x.value, x.eventRefs])).toEqual([[5, [15, 16, 17, 18, 19]]]);
  });

  it('the store bound evicts the least recently updated group, counted, and its hits are forgotten', () => {
    const { engine, store } = setup(
      `title: two
correlation: { type: event_count, rules: [a], group-by: [User], timespan: 1h, condition: { gte: 2 } }
`,
      { maxKeys: 2 },
    );
    feed(
      engine,
      ['x', 'y', 'z'].map((u, i) => hit('a', { User: u }, i)),
    );
    expect(store.evictions).toBe(1);
    expect(engine.onHit(hit('a', { User: 'x' }, 10))).toEqual([]);
    expect(engine.onHit(hit('a', { User: 'z' }, 11)).map((m) => m.group)).toEqual([{ User: 'z' }]);
  });

  it('drops a hit older than its group window as late, and counts it', () => {
    const { engine } = setup(`title: two
correlation: { type: event_count, rules: [a], group-by: [], timespan: 10s, condition: { gte: 2 } }
`);
    expect(feed(engine, [hit('a', {}, 20 * S), hit('a', {}, 5 * S)])).toEqual([]);
    expect(engine.counters.droppedLate).toBe(1);
    expect(feed(engine, [hit('a', {}, 15 * S)]).map((m) => m.eventRefs)).toEqual([[15 * S, 20 * S]]);
  });

  it('ignores and counts a hit without a finite time', () => {
    const { engine } = setup(`title: t
correlation: { type: event_count, rules: [a], group-by: [], timespan: 10s, condition: { gte: 1 } }
`);
    expect(engine.onHit(hit('a', {}, NaN, 1))).toEqual([]);
    expect(engine.advance(NaN)).toEqual([]);
    expect(engine.counters.ignoredInvalidTime).toBe(2);
  });

  it('forgets idle groups once the watermark leaves their window, so state follows recent activity', () => {
    const { engine, store } = setup(`title: t
correlation: { type: event_count, rules: [a], group-by: [User], timespan: 10s, condition: { gte: 5 } }
`);
    feed(
      engine,
      range(50).map((i) => hit('a', { User: `u${i}` }, i)),
    );
    expect(store.size).toBe(50);
    engine.advance(10 * S + 49);
    expect(store.size).toBe(0);
  });
});
