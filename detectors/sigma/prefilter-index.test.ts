/**
 * The invariant of the prefilter index: `RuleSet.match()` returns exactly what
 * evaluating every rule (`matchAllNaive()`) returns. The index may only skip
 * rules that cannot match. Checked here with many rules sharing one index (so
 * needles, clauses and the per-event stamps interact) over a fixed corpus and
 * over seeded pseudo-random events.
 */
import { compileSources, dedent, matchKeys, ruleDoc } from './test-helpers';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const DETECTIONS = [
  `s:\n  Image|endswith: '/nsenter'\ncondition: s`,
  `s:\n  CommandLine|contains|all: ['--privileged', '--pid=host']\ncondition: s`,
  `s:\n  CommandLine|windash|contains: ' -enc '\ncondition: s`,
  `s:\n  CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\ncondition: s`,
  `s:\n  CommandLine|base64offset|contains: 'docker.sock'\ncondition: s`,
  `s:\n  CommandLine|re: 'curl .*\\| *(ba)?sh'\ncondition: s`,
  `s:\n  CommandLine|re|i: 'NSENTER +-t +1'\ncondition: s`,
  `s:\n  Image|re: '^/(usr/)?s?bin/(ba|z)?sh$'\ncondition: s`,
  `s:\n  ClientAddress|cidr: ['10.0.0.0/8', 'fd00::/8']\ncondition: s`,
  `s:\n  Port|gt: 1024\n  Port|lt: 2380\ncondition: s`,
  `s:\n  HostConfig.Privileged: true\ncondition: s`,
  `s:\n  HostConfig.Binds|contains: 'docker.sock'\ncondition: s`,
  `s:\n  HostConfig.Mounts.Source: '/'\ncondition: s`,
  `s:\n  User|neq: root\n  Action: exec\ncondition: s`,
  `s:\n  User|exists: false\n  Action: exec\ncondition: s`,
  `s:\n  PasswordLastSet: null\n  Action: exec\ncondition: s`,
  `k:\n  - 'xmrig'\n  - 'stratum+tcp'\ncondition: k`,
  `k:\n  '|all':\n    - 'chroot'\n    - '/mnt'\ncondition: k`,
  `s:\n  Owner|fieldref: User\ncondition: s`,
  `s:\n  Image|cased: '/bin/SH'\ncondition: s`,
  `a:\n  Action: create\nb:\n  HostConfig.PidMode: host\nf:\n  User: root\ncondition: a and b and not f`,
  `sel_a:\n  Image|contains: 'chroot'\nsel_b:\n  CommandLine|contains: 'chroot'\ncondition: 1 of sel_*`,
  `sel_a:\n  Image|contains: 'nsenter'\nsel_b:\n  CommandLine|contains: '-t 1'\ncondition: all of sel_*`,
  `s:\n  Action: exec\ncondition:\n  - s and not 1 of f*\n  - s and Port\nPort:\n  Port: 2375\nf1:\n  User: root`,
  `s:\n  Image|startswith: '/tmp/'\nf:\n  Image|endswith: '.sh'\ncondition: s and not f`,
  `s:\n  Time|hour|gte: 22\n  Action: exec\ncondition: s`,
  // (the Σ needles are tested on their own below, so that a known failure there hides nothing here)
  `s:\n  Image: '*/prog?.exe'\ncondition: s`,
  `s:\n  Empty: ''\ncondition: s`,
  `s:\n  EventID: 4769\ncondition: s`,
  // keywords that can only occur in the text of a number or a boolean (the walk skips those otherwise)
  `k:\n  - '2375'\n  - 'TRUE'\ncondition: k`,
];

function ruleSet(): ReturnType<typeof compileSources> {
  const text = DETECTIONS.map((d, i) => ruleDoc(d, { id: id(i) })).join('---\n');
  return compileSources([{ file: 'rules.yml', text }]);
}

const b64 = (s: string, enc: BufferEncoding = 'utf8'): string => Buffer.from(s, enc).toString('base64');

const CORPUS: unknown[] = [
  {},
  { Image: '/usr/bin/nsenter', CommandLine: 'nsenter -t 1 -m -u -i -n sh' },
  { Image: '/usr/bin/NSENTER', CommandLine: 'NSENTER  -t  1' },
  { CommandLine: 'docker run --privileged --pid=host alpine' },
  { CommandLine: 'powershell \u2014enc ZQBjAGgAbwA=' },
  { CommandLine: `powershell -EncodedCommand ${b64('x; Invoke-Mimikatz -DumpCreds', 'utf16le')}` },
  { CommandLine: `sh -c "echo ${b64('ls -v /var/run/docker.sock')} | base64 -d"` },
  { CommandLine: 'curl http://x/m.sh | bash' },
  { CommandLine: 'curl http://x/m.sh |sh' },
  { Image: '/bin/bash' },
  { Image: '/usr/sbin/zsh' },
  { Image: '/bin/SH' },
  { Image: '/bin/sh' },
  { ClientAddress: '::ffff:10.1.2.3' },
  { ClientAddress: 'fd12::1' },
  { ClientAddress: '192.168.1.1' },
  { Port: 2375, Action: 'exec' },
  { Port: '2000' },
  { Port: 80 },
  { HostConfig: { Privileged: true, PidMode: 'host' }, Action: 'create' },
  { HostConfig: { Privileged: 'True', PidMode: 'host' }, Action: 'create', User: 'root' },
  { HostConfig: { Binds: ['/var/run/docker.sock:/var/run/docker.sock'] } },
  { HostConfig: { Mounts: [{ Source: '/tmp' }, { Source: '/' }] } },
  { User: 'alice', Action: 'exec' },
  { User: 'root', Action: 'exec' },
  { Action: 'exec', PasswordLastSet: null },
  { Action: 'exec' },
  { Args: ['--url', 'stratum+tcp://pool:3333'] },
  { Msg: 'XMRig miner started' },
  { Cmd: ['chroot', '/mnt', 'sh'] },
  { Cmd: 'chroot /host' },
  { Owner: 'bob', User: 'BOB' },
  { Owner: 'bob', User: 'alice' },
  { Image: '/tmp/x.sh' },
  { Image: '/tmp/x.bin' },
  { Time: '2024-05-06T23:30:00Z', Action: 'exec' },
  { Time: '2024-05-06T10:30:00Z', Action: 'exec' },
  { Name: 'ΟΔΟΣ' },
  { Name: 'Σ' },
  { Image: 'C:/apps/progA.exe' },
  { Empty: '' },
  { Empty: null },
  { EventID: 4769 },
  { EventID: '4769' },
  { 'HostConfig.Privileged': true },
  { deep: { a: [{ b: ['xmrig'] }] } },
  null,
  42,
  'xmrig',
  ['chroot', '/mnt'],
  // a top-level array is not an event with fields (the walk and the naive resolution agree)
  [{ HostConfig: { Privileged: true, Binds: ['/var/run/docker.sock:/s'] }, Action: 'exec', User: 'alice' }],
  [[{ HostConfig: { Mounts: [{ Source: '/' }] } }], 'xmrig'],
];

describe('prefilter index: match() equals matchAllNaive() on a shared index', () => {
  it('every rule loads (the rule set under test is complete)', () => {
    const c = ruleSet();
    expect(c.ruleSet.rules).toHaveLength(DETECTIONS.length);
  });

  it('agrees on a fixed corpus of events (including non-object events)', () => {
    const c = ruleSet();
    let hits = 0;
    for (const event of CORPUS) hits += matchKeys(c.ruleSet, event).length;
    // the corpus exercises the rules: most of them match something
    expect(hits).toBeGreaterThan(DETECTIONS.length);
  });

  it('agrees on the fixed corpus evaluated twice in a row and interleaved (per-event stamps reset)', () => {
    const c = ruleSet();
    const first = CORPUS.map((e) => c.ruleSet.matchAllNaive(e));
    for (let round = 0; round < 3; round++)
      CORPUS.forEach((e, i) => expect(c.ruleSet.matchIndexes(e)).toEqual(first[i]));
  });

  it("agrees on 2,000 seeded pseudo-random events built from the rules' own literals", () => {
    const c = ruleSet();
    let seed = 0x5eed;
    const rnd = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const words = [
      'nsenter',
      '-t',
      '1',
      '/usr/bin/',
      '/bin/',
      'sh',
      'bash',
      'SH',
      '--privileged',
      '--pid=host',
      ' -enc ',
      '/enc',
      '\u2013enc',
      'curl',
      '|',
      ' ',
      'docker.sock',
      'chroot',
      '/mnt',
      'xmrig',
      'stratum+tcp',
      'root',
      'alice',
      'Σ',
      'ΟΔΟΣ',
      '/tmp/',
      '.sh',
      'prog',
      'A',
      '.exe',
      '',
      'host',
      'exec',
      'create',
      'Invoke-Mimikatz',
    ];
    const fields = [
      'Image',
      'CommandLine',
      'User',
      'Owner',
      'Action',
      'Name',
      'Msg',
      'Empty',
      'Port',
      'ClientAddress',
      'Time',
    ];
    const value = (): unknown => {
      const r = rnd();
      if (r < 0.05) return null;
      if (r < 0.1) return Math.floor(rnd() * 3000);
      if (r < 0.13) return rnd() < 0.5;
      if (r < 0.18) return pick(['10.1.2.3', '::ffff:10.9.9.9', 'fd00::7', '8.8.8.8']);
      if (r < 0.22) return pick(['2024-05-06T23:30:00Z', '2024-05-06T01:00:00Z']);
      if (r < 0.27) return b64(pick(words) + pick(words) + 'docker.sock' + pick(words));
      if (r < 0.32) return [pick(words), pick(words) + pick(words)];
      let s = '';
      const n = 1 + Math.floor(rnd() * 5);
      for (let i = 0; i < n; i++) s += pick(words);
      return s;
    };
    let total = 0;
    for (let i = 0; i < 2_000; i++) {
      const event: Record<string, unknown> = {};
      const n = Math.floor(rnd() * 5);
      for (let k = 0; k < n; k++) event[pick(fields)] = value();
      if (rnd() < 0.2)
        event['HostConfig'] = { Privileged: rnd() < 0.5, PidMode: pick(['host', 'private']), Binds: [value()] };
      total += matchKeys(c.ruleSet, event).length;
    }
    expect(total).toBeGreaterThan(0);
  });
});

describe('case folding is the same for needles and values', () => {
  // String.prototype.toLowerCase is context-sensitive for the Greek capital sigma:
  // 'ΟΔΟΣ'.toLowerCase() ends with 'ς' (final sigma) while 'Σ'.toLowerCase() is 'σ'.
  it('a case-sensitive regex literal Σ: the index does not drop what the rule matches', () => {
    const c = compileSources([{ file: 'r.yml', text: ruleDoc(`s:\n  Name|re: 'Σ'\ncondition: s`) }]);
    expect(c.ruleSet.matchAllNaive({ Name: 'ΟΔΟΣ' })).toEqual([0]);
    expect(c.keys({ Name: 'ΟΔΟΣ' })).toHaveLength(1);
  });

  it('a cased contains Σ: the index does not drop what the rule matches', () => {
    const c = compileSources([{ file: 'r.yml', text: ruleDoc(`s:\n  Name|contains|cased: 'Σ'\ncondition: s`) }]);
    expect(c.keys({ Name: 'ΟΔΟΣ' })).toHaveLength(1);
  });

  it('"All values are treated as case-insensitive strings": endswith σ matches ΟΔΟΣ', () => {
    const c = compileSources([{ file: 'r.yml', text: ruleDoc(`s:\n  Name|endswith: 'σ'\ncondition: s`) }]);
    expect(c.test({ Name: 'ΟΔΟΣ' })).toBe(true);
    expect(c.test({ Name: 'οδοσ' })).toBe(true);
  });
});

describe('rules that the index cannot constrain are always evaluated', () => {
  it('a rule made only of negations, null and exists is in the always-evaluated list and still matches', () => {
    const text = dedent(`
      title: negations only
      logsource:
        product: docker
      detection:
        a:
          User|exists: false
        b:
          Image: null
        condition: a and b
    `);
    const c = compileSources([{ file: 'r.yml', text }]);
    expect(c.ruleSet.stats().alwaysEvaluated).toBe(1);
    expect(c.test({ Action: 'x' })).toBe(true);
    expect(c.test({ User: 'x' })).toBe(false);
  });
});
