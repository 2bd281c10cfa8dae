/**
 * Sigma `attack.*` tags → the `threat` array of an Elastic Security rule
 * (framework, tactic with id/name/reference, techniques with subtechniques).
 * Sigma tags do not say which technique serves which tactic, so every technique
 * is listed under every tactic of the rule, as Elastic's Sigma backends do.
 */
import { ATTACK_TACTICS } from '../findings/attack';

const TACTICS = ATTACK_TACTICS;

export interface ElasticThreat {
  framework: 'MITRE ATT&CK';
  tactic: { id: string; name: string; reference: string };
  technique: Array<{
    id: string;
    name: string;
    reference: string;
    subtechnique?: Array<{ id: string; name: string; reference: string }>;
  }>;
}

const ref = (kind: 'tactics' | 'techniques', id: string): string =>
  `https://attack.mitre.org/${kind}/${id.replace('.', '/')}/`;

export function elasticThreat(tags: readonly string[]): ElasticThreat[] {
  const tactics: Array<readonly [string, string, string]> = [];
  const techniques = new Map<string, Set<string>>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (!tag.startsWith('attack.')) continue;
    const v = tag.slice('attack.'.length);
    const t = TACTICS.find(([id, , name]) => name === v.replace(/-/g, '_') || id.toLowerCase() === v);
    if (t) {
      if (!tactics.includes(t)) tactics.push(t);
      continue;
    }
    const m = /^t(\d{4})(?:\.(\d{3}))?$/.exec(v);
    if (m) {
      const id = `T${m[1]}`;
      const subs = techniques.get(id) ?? new Set<string>();
      if (m[2]) subs.add(`${id}.${m[2]}`);
      techniques.set(id, subs);
    }
  }
  const technique = [...techniques].map(([id, subs]) => ({
    id,
    // no technique name table here: the id is the name, as ECS allows
    name: id,
    reference: ref('techniques', id),
    ...(subs.size > 0
      ? { subtechnique: [...subs].map((s) => ({ id: s, name: s, reference: ref('techniques', s) })) }
      : {}),
  }));
  return tactics.map(([id, name]) => ({
    framework: 'MITRE ATT&CK',
    tactic: { id, name, reference: ref('tactics', id) },
    technique,
  }));
}
