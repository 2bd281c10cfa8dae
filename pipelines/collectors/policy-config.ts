/**
 * The `policy` configuration section and the loader that turns it into the
 * DenyPolicy both collector modes apply (deny-policy.ts describes the format).
 *
 * ```yaml
 * policy:
 *   files: [/etc/dockguard/policies/default-deny.yml]   # deny entries, applied in file order
 *   disable: [body-incomplete]       # entry ids to leave out, e.g. to allow authz requests ≥ 1 MiB
 *   deny: []                         # more entries inline, same format as in a file
 *   sigmaRules: [/etc/dockguard/sigma-rules]            # where sigmaBlockRules are looked up
 *   sigmaBlockRules: [dockguard.block, 56abf52d-f5bd-49c2-b477-30c53bfdd15d]   # rule ids, names or tags
 * ```
 *
 * Without `files`, `deny` and `sigmaBlockRules` every call is allowed: the
 * collector then only records. Any problem fails startup (CONFIG_INVALID) with
 * every message at once, each naming its entry and file:line:column.
 */
import * as fs from 'fs';
import { DockguardError } from '../../detectors/errors';
import { loadRules } from '../../detectors/sigma/loader';
import type { DetectionRule } from '../../detectors/sigma/rule-types';
import { readRuleSources } from '../adapters/rule-files';
import { defineSection, readSection, type RawConfig } from '../config/config';
import { compileDenyPolicy, type DenyPolicy, type PolicySource } from './deny-policy';

export interface PolicyConfig {
  files: string[];
  disable: string[];
  deny: Array<Record<string, unknown>>;
  sigmaRules: string[];
  sigmaBlockRules: string[];
}

export const POLICY_SECTION = defineSection<PolicyConfig>('policy', {
  type: 'object',
  additionalProperties: false,
  properties: {
    files: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    disable: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    deny: { type: 'array', items: { type: 'object' }, default: [] },
    sigmaRules: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    sigmaBlockRules: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
  },
});

/** Reads the section, the policy files and the blocking Sigma rules; throws CONFIG_INVALID on any error. */
export function loadDenyPolicy(raw: RawConfig): DenyPolicy {
  const cfg = readSection(raw, POLICY_SECTION);
  const problems: DockguardError[] = [];
  const sources: PolicySource[] = [];
  for (const f of cfg.files) {
    try {
      sources.push({ file: f, text: fs.readFileSync(f, 'utf8') });
    } catch (e) {
      problems.push(
        new DockguardError({
          stage: 'io',
          code: 'IO_READ',
          message: `policy.files: cannot read ${f}: ${(e as Error).message}`,
          cause: e,
        }),
      );
    }
  }
  if (cfg.deny.length > 0)
    // JSON is YAML: the inline entries go through the same parser and checks as a file
    sources.push({
      file: `${raw.file ?? 'configuration'} (policy.deny)`,
      text: JSON.stringify({ deny: cfg.deny }, null, 2),
    });
  const blockRules = selectBlockRules(cfg, problems);
  const { policy, problems: compileProblems } = compileDenyPolicy(sources, { disable: cfg.disable, blockRules });
  problems.push(...compileProblems);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `the deny policy has ${errors.length} error(s):\n${errors.map((e) => `  ${e.format()}`).join('\n')}`,
    });
  return policy;
}

/** A selector names a rule by id or name, or a tag every marked rule carries (case-insensitive). */
export function selectBlockRules(cfg: PolicyConfig, problems: DockguardError[]): DetectionRule[] {
  if (cfg.sigmaBlockRules.length === 0) return [];
  const bad = (message: string): void => {
    problems.push(new DockguardError({ stage: 'config', code: 'CONFIG_INVALID', message }));
  };
  if (cfg.sigmaRules.length === 0) {
    bad('policy.sigmaBlockRules needs policy.sigmaRules: the rule files or directories to look the rules up in');
    return [];
  }
  const { sources, errors } = readRuleSources(cfg.sigmaRules);
  problems.push(...errors);
  const load = loadRules(sources);
  problems.push(...load.problems.filter((p) => p.severity === 'error'));
  const chosen: DetectionRule[] = [];
  for (const sel of cfg.sigmaBlockRules) {
    const lower = sel.toLowerCase();
    const hits = load.rules.filter(
      (r) => r.id === sel || r.name === sel || r.tags.some((t) => t.toLowerCase() === lower),
    );
    if (hits.length === 0) {
      const corr = load.correlations.some((c) => c.value['id'] === sel || c.value['name'] === sel);
      bad(
        corr
          ? `policy.sigmaBlockRules: "${sel}" is a correlation rule; only detection rules can block a single call at request time`
          : `policy.sigmaBlockRules: "${sel}" names no detection rule (id, name or tag) under ${cfg.sigmaRules.join(', ')}`,
      );
    }
    for (const r of hits) if (!chosen.includes(r)) chosen.push(r);
  }
  return chosen;
}
