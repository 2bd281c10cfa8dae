import { DockguardError } from '../errors';
import { clientKey } from '../findings/client-key';
import { fieldString, fieldStrings } from '../findings/event-fields';
import { canonicalJson } from '../findings/hash';
import { DEFAULTS, loadBaselines, type BaselineDef } from './baseline-config';
import { BaselineEngine } from './baseline-engine';
import { hourOfWeek, judgeFirstSeen, judgeRate, judgeTime, type Judgement } from './baseline-kinds';
import {
  BaselineStore,
  decodeBaselineState,
  encodeBaselineState,
  type BaselineState,
  type FirstSeenState,
  type RateState,
  type TimeState,
} from './baseline-state';
import { parseGeoIpCsv } from './geoip';

const H = 3_600_000;
const T0 = Date.parse('2026-11-23T00:00:00Z'); // a Monday

function def(text: string): BaselineDef {
  const r = loadBaselines([{ file: 't.yml', text }]);
  expect(r.errors).toEqual([]);
  return r.defs[0] as BaselineDef;
}

const ev = (ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  source: { ip },
  ...extra,
});

describe('first_seen', () => {
  const d = def(
    'id: fs\ntitle: FS\nkind: first_seen\nvalue: client\nparameters: { learning_events: 2, learning_period: 0, ttl: 1d, max_values: 3 }\n',
  );
  const engine = new BaselineEngine([d]);

  it('learns for N events, then alerts once per new value; forgets values after the ttl', () => {
    const store = new BaselineStore();
    const fired = (ip: string, t: number): number => engine.evaluate(ev(ip), t, store).length;
    expect(fired('192.0.2.1', T0)).toBe(0); // key created: learning
    expect(fired('192.0.2.2', T0 + 1)).toBe(0); // 1 event seen < 2: still learning
    expect(fired('192.0.2.3', T0 + 2)).toBe(1);
    expect(fired('192.0.2.3', T0 + 3)).toBe(0);
    expect(fired('192.0.2.1', T0 + 4)).toBe(0);
    expect(fired('192.0.2.1', T0 + 4 + 25 * H)).toBe(1); // not seen for more than the ttl: new again
  });

  it('keeps at most max_values per key, evicting the least recently seen, counted', () => {
    const store = new BaselineStore();
    for (let i = 0; i < 10; i++) engine.evaluate(ev(`192.0.2.${i}`), T0 + i, store);
    const s = store.get('fs', '{}') as BaselineState & { k: 'f' };
    expect(s.v.size).toBe(3);
    expect([...s.v.keys()]).toEqual(['192.0.2.7', '192.0.2.8', '192.0.2.9']);
    expect(store.counters.evictedValues).toBe(7);
  });

  it('explains itself: observed value, expected JSON of the known values', () => {
    const store = new BaselineStore();
    engine.evaluate(ev('192.0.2.1'), T0, store);
    engine.evaluate(ev('192.0.2.1'), T0 + 1, store);
    const [dev] = engine.evaluate(ev('198.51.100.9'), T0 + 2, store);
    expect(dev).toMatchObject({ observed: '198.51.100.9', key: '{}', score: null });
    expect(dev?.expected).toMatchObject({ known_values: 1, recent: ['192.0.2.1'], events: 2, since: T0 });
  });

  it('keys by the key fields and honours the filter', () => {
    const k = def(
      'id: k\ntitle: K\nkind: first_seen\nkey: [host.name]\nvalue: client\nfilter: { dockguard.endpoint: [/containers/create] }\nparameters: { learning_period: 0 }\n',
    );
    const e = new BaselineEngine([k]);
    const store = new BaselineStore();
    const create = (ip: string, host: string): Record<string, unknown> =>
      ev(ip, { host: { name: host }, dockguard: { endpoint: '/containers/create' } });
    expect(e.evaluate(create('192.0.2.1', 'a'), T0, store)).toHaveLength(1); // no learning at all
    expect(e.evaluate(create('192.0.2.1', 'b'), T0, store)).toHaveLength(1); // another key
    expect(e.evaluate(ev('192.0.2.9', { host: { name: 'a' } }), T0, store)).toHaveLength(0); // filtered out
    expect(store.size).toBe(2);
  });
});

describe('rate', () => {
  const d = def(
    'id: r\ntitle: R\nkind: rate\nkey: [client]\nparameters: { window: 1m, min_history: 10, min_count: 5, threshold: 3, min_stddev: 1, alpha: 0.2 }\n',
  );
  const engine = new BaselineEngine([d]);

  it('alerts once per window when the count is far above the EWMA, with the z-score', () => {
    const store = new BaselineStore();
    let alerts = 0;
    for (let w = 0; w < 20; w++)
      for (let i = 0; i < 2; i++) alerts += engine.evaluate(ev('192.0.2.1'), T0 + w * 60_000 + i, store).length;
    expect(alerts).toBe(0);
    const burst = [];
    for (let i = 0; i < 30; i++) burst.push(...engine.evaluate(ev('192.0.2.1'), T0 + 20 * 60_000 + i, store));
    expect(burst).toHaveLength(1);
    expect(burst[0]?.score).toBeGreaterThan(3);
    expect(burst[0]?.expected).toMatchObject({ windows: 20, window_s: 60 });
    expect((burst[0]?.expected as { mean: number }).mean).toBeCloseTo(2, 1);
  });

  it('does not judge before min_history windows', () => {
    const store = new BaselineStore();
    let alerts = 0;
    for (let i = 0; i < 100; i++) alerts += engine.evaluate(ev('192.0.2.1'), T0 + i, store).length;
    expect(alerts).toBe(0);
  });
});

describe('time_of_access', () => {
  it('numbers the hours of the week from Monday 00:00 UTC', () => {
    expect(hourOfWeek(T0)).toBe(0);
    expect(hourOfWeek(T0 + 9 * H)).toBe(9);
    expect(hourOfWeek(T0 + 6 * 24 * H + 23 * H)).toBe(167);
    expect(hourOfWeek(T0 + 7 * 24 * H)).toBe(0);
  });

  it('after learning, alerts on an hour never active, once per hour', () => {
    const d = def('id: t\ntitle: T\nkind: time_of_access\nkey: [client]\nparameters: { learning_period: 7d }\n');
    const engine = new BaselineEngine([d]);
    const store = new BaselineStore();
    const W = 7 * 24 * H;
    // week 1 learns Mon-Wed 09:00; week 2 repeats it without alerts
    for (const week of [0, 1])
      for (let day = 0; day < 3; day++)
        expect(engine.evaluate(ev('192.0.2.1'), T0 + week * W + day * 24 * H + 9 * H, store)).toHaveLength(0);
    const night = T0 + W + 3 * 24 * H + 3 * H;
    const first = engine.evaluate(ev('192.0.2.1'), night, store);
    expect(first).toHaveLength(1);
    expect(first[0]?.observed).toBe('Thu 03:00 UTC');
    expect(first[0]?.expected).toMatchObject({ active_hours: ['Mon 09:00 UTC', 'Tue 09:00 UTC', 'Wed 09:00 UTC'] });
    expect(engine.evaluate(ev('192.0.2.1'), night + 60_000, store)).toHaveLength(0);
  });
});

describe('geography', () => {
  const geo = parseGeoIpCsv(
    'g.csv',
    'network,country,asn\n192.0.2.0/24,NL,64500\n192.0.2.128/25,DE,AS64501\n2001:db8::/32,BR,\nbad,XX,1\n10.0.0.0/8,US,1\n',
  );

  it('looks up the longest prefix, labels internal ranges private and never looks them up', () => {
    expect(geo.errors.map((e) => e.location?.line)).toEqual([5]);
    expect(geo.table.lookup('192.0.2.1')).toEqual({ country: 'NL', asn: 'AS64500' });
    expect(geo.table.lookup('192.0.2.200')).toEqual({ country: 'DE', asn: 'AS64501' });
    expect(geo.table.lookup('2001:db8::1')).toEqual({ country: 'BR', asn: 'unknown' });
    expect(geo.table.lookup('::ffff:192.0.2.1').country).toBe('NL');
    expect(geo.table.lookup('10.1.2.3').country).toBe('private'); // listed, but internal wins
    expect(geo.table.lookup('fe80::1').country).toBe('private');
    expect(geo.table.lookup('198.51.100.1').country).toBe('unknown');
    expect(geo.table.lookup('not an ip').country).toBe('unknown');
  });

  it('alerts on a new country for the key after learning, never on private or unknown', () => {
    const d = def(
      'id: g\ntitle: G\nkind: geography\nvalue: country\nparameters: { learning_events: 1, learning_period: 0 }\n',
    );
    const engine = new BaselineEngine([d], geo.table);
    const store = new BaselineStore();
    expect(engine.evaluate(ev('192.0.2.1'), T0, store)).toHaveLength(0);
    expect(engine.evaluate(ev('10.0.0.1'), T0 + 1, store)).toHaveLength(0);
    expect(engine.evaluate(ev('198.51.100.1'), T0 + 2, store)).toHaveLength(0);
    const [dev] = engine.evaluate(ev('192.0.2.200'), T0 + 3, store);
    expect(dev?.observed).toBe('DE');
  });
});

describe('several baselines on one event', () => {
  it('share field values resolved once per event and judge each as if alone', () => {
    const defs = [
      def(
        'id: a\ntitle: A\nkind: first_seen\nkey: [client]\nvalue: user_agent.original\nparameters: { learning_events: 2, learning_period: 0 }\n',
      ),
      def(
        'id: b\ntitle: B\nkind: first_seen\nkey: [user_agent.original]\nvalue: client\nfilter: { user_agent.original: [curl/8] }\nparameters: { learning_events: 1, learning_period: 0 }\n',
      ),
      def('id: c\ntitle: C\nkind: rate\nkey: [client, user_agent.original]\n'),
    ];
    const together = new BaselineEngine(defs);
    const alone = defs.map((d) => new BaselineEngine([d]));
    const s1 = new BaselineStore();
    const s2 = defs.map(() => new BaselineStore());
    const agents = ['curl/8', 'Go-http-client/1.1', 'curl/8', 'docker/24'];
    let deviations = 0;
    for (let i = 0; i < 40; i++) {
      const e = ev(`192.0.2.${i % 3}`, { user_agent: { original: agents[i % agents.length] } });
      const t = T0 + i * 1000;
      const got = together.evaluate(e, t, s1).map((d) => [d.def.id, d.key, d.observed]);
      const want = alone
        .flatMap((a, k) => a.evaluate(e, t, s2[k] as BaselineStore))
        .map((d) => [d.def.id, d.key, d.observed]);
      expect(got).toEqual(want);
      deviations += got.length;
    }
    expect(deviations).toBeGreaterThan(0);
    expect(s1.size).toBe(s2.reduce((n, s) => n + s.size, 0));
    expect(together.keyOf(defs[2] as BaselineDef, ev('192.0.2.1', { user_agent: { original: 'x' } }))).toBe(
      '{"client":"192.0.2.1","user_agent.original":"x"}',
    );
  });
});

describe('baseline store', () => {
  it('bounds keys per baseline (least recently changed evicted, counted) and expires idle keys', () => {
    const d = def('id: r\ntitle: R\nkind: rate\nkey: [client]\nparameters: { max_keys: 3, key_ttl: 1h }\n');
    const engine = new BaselineEngine([d]);
    const store = new BaselineStore();
    const client = (i: number): string => `192.0.2.${i}`;
    for (let i = 0; i < 3; i++) engine.evaluate(ev(client(i)), T0 + i * 60_000, store);
    expect(store.drain()).toHaveLength(3); // .0 to .2 are in the changelog now
    for (let i = 3; i < 10; i++) engine.evaluate(ev(client(i)), T0 + i * 60_000, store);
    expect(store.sizeOf('r')).toBe(3);
    expect(store.counters.evictedKeys).toBe(7);
    engine.expire(T0 + 7 * 60_000 + 1 + H, store);
    expect(store.sizeOf('r')).toBe(2);
    expect(store.counters.expiredKeys).toBe(1);
    // deletions for the keys the changelog holds; .3 to .7 came and went between two drains
    const changes = store.drain();
    const deleted = changes.filter((c) => c.value === null).map((c) => JSON.parse(c.key) as [string, string]);
    expect(deleted.map(([, k]) => JSON.parse(k) as { client: string })).toEqual(
      [0, 1, 2].map((i) => ({ client: client(i) })),
    );
    expect(changes.filter((c) => c.value !== null)).toHaveLength(2);
    expect(store.drain()).toEqual([]);
  });

  it('encodes each kind and decodes it back; rejects what is not a state', () => {
    const states: BaselineState[] = [
      { k: 'f', c: 1, n: 2, l: 3, v: new Map([['a', 1]]) },
      { k: 'r', c: 1, n: 2, l: 3, w: 4, x: 5, m: 1.5, s: 0.25, h: 7, a: -1 },
      { k: 't', c: 1, n: 2, l: 3, a: -1, h: new Uint8Array(168).fill(7) },
    ];
    for (const s of states) expect(decodeBaselineState(encodeBaselineState(s))).toEqual(s);
    for (const bad of [
      '{"k":"f","c":1,"n":1,"l":1,"v":5}',
      '{"k":"z","c":1,"n":1,"l":1}',
      '{"k":"t","c":1,"n":1,"l":1,"a":1,"h":"AA=="}',
    ])
      expect(() => decodeBaselineState(bad)).toThrow(DockguardError);
  });

  it('has defaults for every kind', () => {
    for (const p of Object.values(DEFAULTS)) expect(p.maxKeys).toBeGreaterThan(0);
  });
});

describe('keys', () => {
  it('are the canonical JSON of key field → value, however many distinct values pass (memo bound)', () => {
    const d = def('id: kk\ntitle: KK\nkind: rate\nkey: [host.name]\n');
    const engine = new BaselineEngine([d]);
    const store = new BaselineStore();
    const hosts = ['docker-1', 'we"ird\\host', ''];
    for (let i = 0; i < 5000; i++) hosts.push(`h-${i}`);
    hosts.push('docker-1');
    for (const h of hosts) {
      const e = { host: { name: h } };
      expect(engine.keyOf(d, e)).toBe(canonicalJson({ 'host.name': h === '' ? '' : h }));
      engine.evaluate(e, T0, store);
    }
    expect(engine.keyOf(d, {})).toBe('{"host.name":null}');
    expect(engine.keyOf(d, { host: { name: ['a', 'b'] } })).toBe('{"host.name":["a","b"]}');
    expect(store.sizeOf('kk')).toBe(hosts.length - 1);
  });
});

describe('changes', () => {
  it('drain in order of last change per baseline, deletions included, and replay to the same LRU order', () => {
    const store = new BaselineStore();
    const st = (l: number): BaselineState => ({ k: 'r', c: 0, n: 1, l, w: 0, x: 1, m: 0, s: 0, h: 0, a: -1 });
    store.put('b1', 'A', st(1), 3);
    store.put('b2', 'X', st(1), 3);
    store.put('b1', 'B', st(2), 3);
    store.put('b1', 'C', st(3), 3);
    store.put('b1', 'A', st(4), 3); // A again: now the most recent
    store.put('b1', 'D', st(5), 3); // evicts B, the least recent
    store.put('b2', 'Y', st(6), 3);
    store.put('b2', 'X', st(7), 3);
    const changes = store.drain();
    const key = (id: string, k: string): string => JSON.stringify([id, k]);
    expect(changes.map((c) => [c.key, c.value === null])).toEqual([
      [key('b1', 'C'), false],
      [key('b1', 'A'), false],
      [key('b1', 'D'), false],
      // B, evicted by D's put, was never written: no deletion
      [key('b2', 'Y'), false],
      [key('b2', 'X'), false],
    ]);
    const replayed = new BaselineStore();
    for (const c of changes) replayed.apply(c.key, c.value);
    expect([...replayed.entries()].map(([id, k]) => `${id}/${k}`)).toEqual(
      [...store.entries()].map(([id, k]) => `${id}/${k}`),
    );
    // a second round starts from nothing
    store.put('b1', 'C', st(8), 3);
    expect(store.drain().map((c) => c.key)).toEqual([key('b1', 'C')]);
  });

  it('write a deletion only for a key the changelog holds (drained before, or restored)', () => {
    const st = (l: number): BaselineState => ({ k: 'r', c: 0, n: 1, l, w: 0, x: 1, m: 0, s: 0, h: 0, a: -1 });
    const key = (k: string): string => JSON.stringify(['b', k]);
    const drained = (store: BaselineStore): string[] =>
      store.drain().map((c) => `${JSON.parse(c.key)[1] as string}${c.value === null ? ' deleted' : ''}`);
    const store = new BaselineStore();
    store.put('b', 'written', st(1), 2);
    expect(drained(store)).toEqual(['written']);
    store.apply(key('restored'), encodeBaselineState(st(2)));
    // brief is made and evicted between two drains; the other two go as well
    store.put('b', 'brief', st(3), 2); // evicts written
    store.put('b', 'late', st(4), 2); // evicts restored
    store.put('b', 'later', st(5), 2); // evicts brief
    // in order of last change: a put marks its key, then the key it evicts
    expect(drained(store)).toEqual(['written deleted', 'late', 'restored deleted', 'later']);
    // a key deleted once, made again and gone again before the next drain: nothing more to write
    store.put('b', 'written', st(6), 2); // evicts late (held: deleted)
    store.put('b', 'x', st(7), 2); // evicts later (held: deleted)
    store.put('b', 'y', st(8), 2); // evicts written (made since the drain: nothing)
    expect(drained(store)).toEqual(['late deleted', 'x', 'later deleted', 'y']);
    // replaying every drain gives the store's entries
    const replayed = new BaselineStore();
    replayed.apply(key('x'), encodeBaselineState(st(7)));
    replayed.apply(key('y'), encodeBaselineState(st(8)));
    expect([...replayed.entries()].map(([, k]) => k)).toEqual([...store.entries()].map(([, k]) => k));
  });

  it('keep LRU order when the most recent key recurs, is evicted, expired or restored (vs a model)', () => {
    const st = (l: number): BaselineState => ({ k: 'r', c: 0, n: 1, l, w: 0, x: 1, m: 0, s: 0, h: 0, a: -1 });
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 0) % n;
    const store = new BaselineStore();
    let model: string[] = []; // least recently changed first
    const times = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const op = rnd(20);
      if (op === 0) {
        // restore through a replay of a drain: same order
        const replayed = new BaselineStore();
        for (const [id, k, s] of store.entries()) replayed.apply(JSON.stringify([id, k]), encodeBaselineState(s));
        expect([...replayed.entries()].map(([, k]) => k)).toEqual(model);
        continue;
      }
      if (op === 1) {
        // keys changed before the cut-off go, from the least recent up to the first younger one
        const cut = i - rnd(30);
        store.expire('b', cut);
        while (model.length > 0 && (times.get(model[0] as string) as number) < cut) model.shift();
        expect([...store.entries()].map(([, x]) => x)).toEqual(model);
        continue;
      }
      // a burst: the same key several times in a row, often
      const k = `k${rnd(op < 10 ? 3 : 12)}`;
      store.put('b', k, st(i), 8);
      times.set(k, i);
      model = model.filter((x) => x !== k);
      model.push(k);
      if (model.length > 8) model.shift();
      expect([...store.entries()].map(([, x]) => x)).toEqual(model);
    }
  });
});

describe('engine against a naive evaluation', () => {
  it('gives the same deviations and states as fresh reads, canonical keys and a plain map per baseline', () => {
    const defs = [
      def(
        'id: fs\ntitle: FS\nkind: first_seen\nkey: [host.name]\nvalue: client\nfilter: { dockguard.endpoint: [/containers/create, /exec] }\nparameters: { learning_events: 3, learning_period: 0, max_values: 4 }\n',
      ),
      def(
        'id: img\ntitle: IMG\nkind: first_seen\nkey: [host.name]\nvalue: container.image.name\nparameters: { learning_events: 2, learning_period: 0 }\n',
      ),
      def(
        'id: geo\ntitle: GEO\nkind: geography\nkey: [host.name]\nvalue: country\nparameters: { learning_period: 1h }\n',
      ),
      def(
        'id: asn\ntitle: ASN\nkind: geography\nkey: [client, host.name]\nvalue: asn\nparameters: { learning_period: 0 }\n',
      ),
      def(
        'id: r\ntitle: R\nkind: rate\nkey: [client]\nparameters: { window: 1m, min_history: 3, min_count: 3, threshold: 2, max_keys: 6 }\n',
      ),
      def('id: t\ntitle: T\nkind: time_of_access\nkey: [client]\nparameters: { learning_period: 2h }\n'),
      def('id: all\ntitle: ALL\nkind: first_seen\nkey: []\nvalue: geo.country\nparameters: { learning_period: 0 }\n'),
    ];
    const { table: geo } = parseGeoIpCsv('g.csv', '192.0.2.0/24,NL,64500\n198.51.100.0/24,DE,64501\n');
    const engine = new BaselineEngine(defs, geo);
    const store = new BaselineStore();
    // naive: every field read afresh for every baseline, keys through canonicalJson, one Map per baseline
    const naive = new Map<string, Map<string, BaselineState>>();
    const valuesOf = (e: unknown, f: string): string[] =>
      f === 'client'
        ? [clientKey(e)]
        : f.startsWith('geo.')
          ? [geo.lookup(fieldString(e, 'source.ip'))[f === 'geo.asn' ? 'asn' : 'country']]
          : fieldStrings(e, f);
    const naiveEvaluate = (e: unknown, t: number): unknown[] => {
      const out: unknown[] = [];
      for (const d of defs) {
        if (!d.filter.every(([f, acc]) => valuesOf(e, f).some((v) => acc.includes(v)))) continue;
        const k: Record<string, unknown> = {};
        for (const f of d.key) {
          const vs = valuesOf(e, f);
          k[f] = vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs;
        }
        const key = canonicalJson(k);
        const m = naive.get(d.id) ?? new Map<string, BaselineState>();
        const prev = m.get(key);
        let s: BaselineState;
        let judged: readonly Judgement[];
        if (d.kind === 'rate') {
          s = prev ?? { k: 'r', c: t, n: 0, l: t, w: Math.floor(t / d.params.windowMs), x: 0, m: 0, s: 0, h: 0, a: -1 };
          judged = judgeRate(d.params, s as RateState, t);
        } else if (d.kind === 'time_of_access') {
          s = prev ?? { k: 't', c: t, n: 0, l: t, a: -1, h: new Uint8Array(168) };
          judged = judgeTime(d.params, s as TimeState, t);
        } else {
          if (d.kind === 'geography' && fieldString(e, 'source.ip') === null) continue;
          let vs = valuesOf(e, d.kind === 'geography' ? (d.value === 'asn' ? 'geo.asn' : 'geo.country') : d.value);
          if (vs.length > 1) vs = [...new Set(vs)].slice(0, 16);
          if (vs.length === 0) continue;
          s = prev ?? { k: 'f', c: t, n: 0, l: t, v: new Map() };
          const quiet = d.kind === 'geography' ? (v: string): boolean => v === 'private' || v === 'unknown' : undefined;
          judged = judgeFirstSeen(d.params, s as FirstSeenState, vs, t, { evictedValues: 0 }, quiet);
        }
        m.delete(key);
        m.set(key, s);
        while (m.size > d.params.maxKeys) m.delete(m.keys().next().value as string);
        naive.set(d.id, m);
        for (const j of judged) out.push([d.id, key, j.observed, canonicalJson(j.expected), j.score, j.detail]);
      }
      return out;
    };
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 0) % n;
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
    const ips = ['192.0.2.1', '192.0.2.7', '198.51.100.3', '10.0.0.5', '203.0.113.9', '', 'not-an-ip', '2001:db8::1'];
    const hosts: unknown[] = ['docker-1', 'docker-2', ['docker-1', 'docker-3'], '', undefined, 'we"ird'];
    const images: unknown[] = ['nginx', ['a', 'b', 'a'], [], 'alpine', undefined, 7];
    let deviations = 0;
    for (let i = 0; i < 3000; i++) {
      const t = T0 + i * 20_000 + (rnd(10) === 0 ? 3 * H : 0);
      const ip = pick(ips);
      const e: Record<string, unknown> = {
        source: ip === '' ? {} : { ip },
        host: { name: pick(hosts) },
        dockguard: { endpoint: pick(['/containers/create', '/exec', '/info']) },
        container: { image: { name: pick(images) } },
        ...(rnd(4) === 0 ? { tls: { client: { subject: pick(['CN=a', 'CN=b']) } } } : {}),
      };
      const got = engine
        .evaluate(e, t, store)
        .map((d) => [d.def.id, d.key, d.observed, canonicalJson(d.expected), d.score, d.detail]);
      expect(got).toEqual(naiveEvaluate(e, t));
      deviations += got.length;
    }
    expect(deviations).toBeGreaterThan(100);
    for (const d of defs)
      expect([...store.entries()].filter(([id]) => id === d.id).map(([, k, s]) => [k, encodeBaselineState(s)])).toEqual(
        [...(naive.get(d.id) ?? new Map<string, BaselineState>())].map(([k, s]) => [k, encodeBaselineState(s)]),
      );
  });
});
