/**
 * What a finding says about the rule (or baseline, or indicator source) that
 * produced it. `version` is a content hash of the rule as loaded — canonical JSON
 * of its YAML document, so reformatting or reordering keys does not change it but
 * any change of meaning does — and goes into finding ids: a changed rule yields
 * new findings instead of being de-duplicated against the old ones.
 */
import type { CorrelationRule } from '../sigma/correlation';
import { leafFields } from '../sigma/ir';
import type { DetectionRule } from '../sigma/rule-types';
import { canonicalJson, sha256Hex } from './hash';

export interface RuleInfo {
  id: string;
  name: string;
  version: string;
  description: string | null;
  reference: string[];
  tags: string[];
  /** The rule file, relative to the rules directory. */
  ruleset: string | null;
  level: string | undefined;
  /** The event fields the rule reads, reported with their values in `dockguard.matched`. */
  fields: readonly string[];
}

/** First 16 hex digits (64 bits) of the SHA-256 of the canonical content: short, and plenty to tell versions apart. */
export function contentVersion(content: unknown): string {
  return sha256Hex(canonicalJson(content)).slice(0, 16);
}

/** The rule file relative to `root` when it lies under it (pure string work, no path module needed). */
export function relativeRuleset(file: string | undefined, root: string | undefined): string | null {
  if (!file) return null;
  if (!root) return file;
  const r = root.endsWith('/') ? root : `${root}/`;
  return file.startsWith(r) ? file.slice(r.length) : file;
}

// Rules are immutable once compiled: hash each once, not once per finding.
const detectionCache = new WeakMap<DetectionRule, RuleInfo>();
const correlationCache = new WeakMap<CorrelationRule, RuleInfo>();

export function detectionRuleInfo(rule: DetectionRule, rulesRoot?: string): RuleInfo {
  const cached = detectionCache.get(rule);
  if (cached) return cached;
  const info: RuleInfo = {
    id: rule.id ?? rule.key,
    name: rule.title,
    version: contentVersion(rule.meta),
    description: rule.description ?? null,
    reference: [...rule.references],
    tags: [...rule.tags],
    ruleset: relativeRuleset(rule.location.file, rulesRoot),
    level: rule.level,
    fields: [...leafFields(rule.node)].sort(),
  };
  detectionCache.set(rule, info);
  return info;
}

export function correlationRuleInfo(rule: CorrelationRule, key: string): RuleInfo {
  const cached = correlationCache.get(rule);
  if (cached) return cached;
  const refs = rule.meta['references'];
  const info: RuleInfo = {
    id: rule.id ?? key,
    name: rule.title,
    version: contentVersion(rule.meta),
    description: rule.description ?? null,
    reference: Array.isArray(refs) ? refs.filter((r): r is string => typeof r === 'string') : [],
    tags: [...rule.tags],
    ruleset: null,
    level: rule.level,
    fields: [...new Set([...rule.groupBy, ...rule.fields])],
  };
  correlationCache.set(rule, info);
  return info;
}
