/**
 * Invariants of the Docker rule pack as a whole (the per-rule example events run in
 * `dockguard rules test`):
 * - every rule loads without a problem and carries the metadata a SOC relies on;
 * - every reported rule has a positive and a negative example event;
 * - benign operations (CI, compose, dashboard polling, developers' exec and logs, backups,
 *   monitoring agents) raise no high or critical finding, while the recorded campaigns
 *   (seed article, Kinsing, TeamTNT, Commando Cat, Graboid, swarm miner, wiper) raise
 *   the findings they should.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { DEFAULT_TIMESTAMP_FIELDS, eventTime } from '../../detectors/sigma/event-time';
import { buildEngine } from '../../pipelines/cli/build-engine';
import { loadFromPaths } from '../../pipelines/cli/load';
import { compileDenyPolicy } from '../../pipelines/collectors/deny-policy';
import { selectBlockRules } from '../../pipelines/collectors/policy-config';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { DockguardError } from '../../detectors/errors';
import { readRuleFiles, ruleRows } from '../../sigma-rules/tools/rules-table';

const root = path.resolve(__dirname, '../..');
const rulesDir = path.join(root, 'sigma-rules', 'docker');

interface Finding {
  event: number;
  name: string;
  level: string;
  sourceIp: unknown;
}

function readEvents(eventsFile: string): Array<{ source?: { ip?: unknown } }> {
  return fs
    .readFileSync(path.join(root, eventsFile), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { source?: { ip?: unknown } });
}

function runPack(eventsFile: string): Finding[] {
  const loaded = loadFromPaths({ rules: [rulesDir], logsources: [] });
  const built = buildEngine(loaded);
  const events = readEvents(eventsFile);
  const out: Finding[] = [];
  const collect = (outputs: ReturnType<typeof built.engine.flush>): void => {
    for (const o of outputs) {
      const rule = o.kind === 'detection' ? o.rule : o.match.rule;
      out.push({
        event: o.eventRef,
        name: rule.name ?? rule.title,
        level: rule.level ?? '',
        sourceIp: events[o.eventRef]?.source?.ip,
      });
    }
  };
  events.forEach((e, i) => collect(built.engine.process(e, i, eventTime(e, DEFAULT_TIMESTAMP_FIELDS))));
  collect(built.engine.flush());
  return out;
}

interface RuleTest {
  file: string;
  rules: string[];
  cases: Array<{ name: string; expect: string[] }>;
}

function ruleTests(): RuleTest[] {
  return fs
    .readdirSync(rulesDir)
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => {
      const doc = yaml.load(fs.readFileSync(path.join(rulesDir, f), 'utf8')) as Omit<RuleTest, 'file'>;
      return { file: f, rules: doc.rules, cases: doc.cases };
    });
}

describe('the Docker rule pack', () => {
  const files = readRuleFiles();
  const rows = ruleRows(files);
  const reported = rows.filter((r) => r.kind !== 'building block');

  it('loads and compiles without errors or warnings', () => {
    const loaded = loadFromPaths({ rules: [rulesDir], logsources: [] });
    const built = buildEngine(loaded);
    expect([...loaded.problems, ...built.problems].map((p) => p.format())).toEqual([]);
    expect(reported.length).toBeGreaterThanOrEqual(40);
  });

  it('gives every rule a unique id and name, and reported rules their full metadata', () => {
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    for (const f of files) {
      for (const doc of yaml.loadAll(f.text) as Array<Record<string, unknown>>) {
        const where = `${f.file}: ${String(doc['title'])}`;
        expect([where, doc['author'], doc['status'], typeof doc['description']]).toEqual([
          where,
          'dockguard',
          'experimental',
          'string',
        ]);
        if (doc['level'] === 'informational') continue; // building blocks
        const refs = (doc['references'] as unknown[] | undefined) ?? [];
        const tags = (doc['tags'] as string[] | undefined) ?? [];
        const fps = (doc['falsepositives'] as unknown[] | undefined) ?? [];
        expect([where, refs.length > 0, refs.every((r) => typeof r === 'string' && r.startsWith('https://'))]).toEqual([
          where,
          true,
          true,
        ]);
        expect([where, tags.some((t) => /^attack\.t\d{4}/.test(t)), fps.length > 0]).toEqual([where, true, true]);
        expect([where, ['low', 'medium', 'high', 'critical'].includes(String(doc['level']))]).toEqual([where, true]);
      }
    }
  });

  it('has a positive and a negative example event for every reported rule', () => {
    const tests = ruleTests();
    for (const r of reported) {
      const own = tests.filter((t) => t.rules.includes(path.basename(r.file)));
      const cases = own.flatMap((t) => t.cases);
      const positive = cases.some((c) => c.expect.includes(r.name) || c.expect.includes(r.id));
      const negative = cases.some((c) => !c.expect.includes(r.name) && !c.expect.includes(r.id));
      expect([r.name, positive, negative]).toEqual([r.name, true, true]);
    }
  });

  it('raises no high or critical finding on benign operations, but does see them', () => {
    const findings = runPack('examples/events/benign-operations.jsonl');
    expect(findings.filter((f) => f.level === 'high' || f.level === 'critical')).toEqual([]);
    // not vacuous: the benign file exercises the low and medium rules (privileged dind, socket mounts, polling)
    expect(new Set(findings.map((f) => f.name)).size).toBeGreaterThanOrEqual(10);
  });

  it('raises the expected findings on the recorded attack campaigns, a high one on every payload', () => {
    const findings = runPack('examples/events/attack-campaigns.jsonl');
    const names = new Set(findings.map((f) => f.name));
    for (const expected of [
      'container_create_host_root_bind',
      'container_chroot_host_mount',
      'container_download_execute',
      'container_base64_payload',
      'container_cron_implant',
      'container_ssh_key_implant',
      'container_defense_tampering',
      'container_cryptominer_command',
      'container_mining_pool',
      'container_campaign_indicator',
      'container_network_scanner',
      'container_restart_always_suspicious',
      'container_docker_api_client',
      'container_stop_security_agent',
      'swarm_global_service',
      'volume_prune',
      'container_mass_force_delete',
      'docker_discovery_sweep',
      'docker_discovery_then_create',
      'api_public_source',
      'api_public_source_unauthenticated_execution',
    ])
      expect([expected, names.has(expected)]).toEqual([expected, true]);
    // every attacker is seen at medium or above; every one that ran code (a container, exec or
    // service from the Internet) is caught by a high or critical rule on what it ran, not only on where it came from
    const severe = (f: Finding): boolean => f.level === 'high' || f.level === 'critical';
    const onPayload = (f: Finding): boolean => severe(f) && !f.name.startsWith('api_public_source');
    for (const ip of new Set(findings.map((f) => f.sourceIp))) {
      const mine = findings.filter((f) => f.sourceIp === ip);
      const ranCode = mine.some((f) => f.name === 'api_public_source_unauthenticated_execution');
      expect([ip, mine.some((f) => f.level !== 'low'), !ranCode || mine.some(onPayload)]).toEqual([ip, true, true]);
    }
  });

  it('lets collectors block with the rules tagged dockguard.block: no benign call denied, every campaign stopped', () => {
    const problems: DockguardError[] = [];
    const blockRules = selectBlockRules(
      { files: [], disable: [], deny: [], sigmaRules: [rulesDir], sigmaBlockRules: ['dockguard.block'] },
      problems,
    );
    const { policy, problems: compileProblems } = compileDenyPolicy([], { disable: [], blockRules });
    expect([...problems, ...compileProblems].filter((p) => p.severity === 'error').map((p) => p.format())).toEqual([]);
    expect(blockRules.length).toBeGreaterThanOrEqual(10);
    const denied = (file: string): Array<{ ip: unknown; rule: string | null }> =>
      readEvents(file)
        .map((e) => ({ ip: e.source?.ip, d: policy.decide(e as unknown as DockerApiEvent) }))
        .filter((x) => !x.d.allowed)
        .map((x) => ({ ip: x.ip, rule: x.d.rule }));
    expect(denied('examples/events/benign-operations.jsonl')).toEqual([]);
    const stopped = new Set(denied('examples/events/attack-campaigns.jsonl').map((d) => d.ip));
    // the wiper (force deletes, volume prune) runs no code: it is detected, not blocked
    for (const ip of [
      '203.0.113.7',
      '198.51.100.23',
      '45.9.148.35',
      '185.191.32.198',
      '198.51.100.88',
      '198.51.100.99',
    ])
      expect([ip, stopped.has(ip)]).toEqual([ip, true]);
  });
});
