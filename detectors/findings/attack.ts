/**
 * ATT&CK from Sigma tags (Sigma tags appendix: `attack.<tactic>`, `attack.tNNNN[.NNN]`,
 * `attack.taNNNN`) to ECS `threat.*`. The 14 Enterprise tactics are a fixed list;
 * technique names are known for the techniques the Docker rule pack uses and for a
 * few neighbours, others keep their id with the id as name (ECS arrays are parallel).
 */
import type { Threat } from '../../schemas/generated/finding';

/** The 14 Enterprise tactics: id, name, Sigma tag. Shared with the Elastic rule export. */
export const ATTACK_TACTICS: readonly (readonly [string, string, string])[] = [
  ['TA0043', 'Reconnaissance', 'reconnaissance'],
  ['TA0042', 'Resource Development', 'resource_development'],
  ['TA0001', 'Initial Access', 'initial_access'],
  ['TA0002', 'Execution', 'execution'],
  ['TA0003', 'Persistence', 'persistence'],
  ['TA0004', 'Privilege Escalation', 'privilege_escalation'],
  ['TA0005', 'Defense Evasion', 'defense_evasion'],
  ['TA0006', 'Credential Access', 'credential_access'],
  ['TA0007', 'Discovery', 'discovery'],
  ['TA0008', 'Lateral Movement', 'lateral_movement'],
  ['TA0009', 'Collection', 'collection'],
  ['TA0011', 'Command and Control', 'command_and_control'],
  ['TA0010', 'Exfiltration', 'exfiltration'],
  ['TA0040', 'Impact', 'impact'],
];

const TECHNIQUES: Readonly<Record<string, string>> = {
  T1059: 'Command and Scripting Interpreter',
  'T1059.004': 'Command and Scripting Interpreter: Unix Shell',
  T1078: 'Valid Accounts',
  T1105: 'Ingress Tool Transfer',
  T1133: 'External Remote Services',
  T1190: 'Exploit Public-Facing Application',
  'T1204.003': 'User Execution: Malicious Image',
  T1496: 'Resource Hijacking',
  T1552: 'Unsecured Credentials',
  T1071: 'Application Layer Protocol',
  T1609: 'Container Administration Command',
  T1610: 'Deploy Container',
  T1611: 'Escape to Host',
  T1612: 'Build Image on Host',
  T1613: 'Container and Resource Discovery',
};

const byName = new Map<string, [string, string]>();
const byId = new Map<string, [string, string]>();
for (const [id, name, tag] of ATTACK_TACTICS) {
  byName.set(tag, [id, name]);
  byName.set(tag.replace(/_/g, '-'), [id, name]);
  byId.set(id, [id, name]);
}

export const ATTACK_FRAMEWORK = 'MITRE ATT&CK';

/** threat.* of a rule's tags; empty arrays when it has no attack.* tag. */
export function threatFromTags(tags: readonly string[]): Threat {
  const tactic = { id: [] as string[], name: [] as string[] };
  const technique = { id: [] as string[], name: [] as string[] };
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (!tag.startsWith('attack.')) continue;
    const rest = tag.slice('attack.'.length);
    let t: [string, string] | undefined;
    if (/^ta\d{4}$/.test(rest)) t = byId.get(rest.toUpperCase());
    else t = byName.get(rest);
    if (t) {
      if (!tactic.id.includes(t[0])) {
        tactic.id.push(t[0]);
        tactic.name.push(t[1]);
      }
      continue;
    }
    if (/^t\d{4}(\.\d{3})?$/.test(rest)) {
      const id = rest.toUpperCase();
      if (!technique.id.includes(id)) {
        technique.id.push(id);
        technique.name.push(TECHNIQUES[id] ?? id);
      }
    }
  }
  return { framework: ATTACK_FRAMEWORK, tactic, technique };
}
