/**
 * Sigma rules → Elasticsearch, in three formats (`dockguard rules export`):
 * - `kibana-ndjson`: Elastic Security detection rules (one JSON object a line,
 *   the `_import` format), `type: query` with the detection as an Elasticsearch
 *   DSL filter: the faithful path, since DSL `term`/`wildcard`/`regexp` take
 *   `case_insensitive` (Sigma's default) and `bool` expresses `N of`.
 * - `lucene`: one Lucene query string per rule (for Discover or a saved search);
 *   only rules whose values have no case to fold translate exactly.
 * - `esql`: one ES|QL query per rule (single-valued fields only).
 * A rule that cannot be expressed exactly — correlations, keyword searches,
 * base64 of UTF-16, fieldref, time parts, cidr on a non-ip field, … — is not
 * exported; it is reported as EXPORT_UNSUPPORTED with the reason.
 */
import { DockguardError } from '../errors';
import type { CorrelationDocument, LoadResult } from '../sigma/loader';
import type { DetectionRule, Level } from '../sigma/rule-types';
import { elasticThreat } from './elastic-threat';
import { toDsl, type Dsl } from './query-dsl';
import { toEsqlWhere } from './query-esql';
import { toLucene } from './query-lucene';
import { Unsupported, type QNode } from './query-tree';
import { detectionToQuery, type FieldTypes } from './sigma-to-query';

export type ExportFormat = 'kibana-ndjson' | 'esql' | 'lucene';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['kibana-ndjson', 'esql', 'lucene'];

export interface ExportOptions {
  format: ExportFormat;
  /** Audit index field → Elasticsearch type. */
  fieldTypes: FieldTypes;
  /** Fields that may hold several values (Avro arrays); ES|QL cannot test them. */
  multiValued: ReadonlySet<string>;
  /** Fields an event can hold as null or empty (exists and neq on them are not exported). */
  nullable?: ReadonlySet<string>;
  /** Index pattern the rules search. */
  index: string;
}

export interface ExportedRule {
  rule: DetectionRule;
  query: QNode;
  /** The line to print: a detection rule object, or {rule_id, title, query}. */
  output: Record<string, unknown>;
}

export interface ExportResult {
  exported: ExportedRule[];
  problems: DockguardError[];
}

/** ECS severity and risk of a Sigma level, as the Finding schema uses them. */
export const LEVELS: Record<Level, { severity: 'low' | 'medium' | 'high' | 'critical'; risk: number }> = {
  informational: { severity: 'low', risk: 1 },
  low: { severity: 'low', risk: 21 },
  medium: { severity: 'medium', risk: 47 },
  high: { severity: 'high', risk: 73 },
  critical: { severity: 'critical', risk: 99 },
};

function unsupported(where: { file: string; line: number; column: number }, title: string, why: string) {
  return new DockguardError({
    stage: 'compile',
    code: 'EXPORT_UNSUPPORTED',
    severity: 'warning',
    message: `rule "${title}" not exported: ${why}`,
    location: where,
  });
}

/** Translates one rule; throws Unsupported with the reason. */
export function ruleQuery(
  rule: DetectionRule,
  load: Pick<LoadResult, 'filters'>,
  types: FieldTypes,
  nullable: ReadonlySet<string> = new Set(),
): QNode {
  const filter = load.filters.find((f) =>
    f.rules.some((r) => r === rule.id || r === rule.name || r === rule.title || r === rule.key),
  );
  if (filter) throw new Unsupported(`the Sigma filter "${filter.title}" applies to it; filters are not exported`);
  const detection = rule.meta['detection'];
  if (detection === null || typeof detection !== 'object' || Array.isArray(detection))
    throw new Unsupported('no detection section');
  return detectionToQuery(detection as Record<string, unknown>, types, nullable);
}

export function elasticRule(rule: DetectionRule, dsl: Dsl, index: string): Record<string, unknown> {
  const level = LEVELS[rule.level ?? 'medium'];
  const author = typeof rule.meta['author'] === 'string' ? [rule.meta['author']] : [];
  const license = typeof rule.meta['license'] === 'string' ? rule.meta['license'] : 'DRL-1.1';
  return {
    rule_id: rule.id ?? rule.key,
    name: rule.title,
    description: (rule.description ?? rule.title).trim(),
    type: 'query',
    // the detection is the DSL filter; the query string stays empty (Kibana ANDs them)
    language: 'kuery',
    query: '',
    filters: [
      {
        meta: {
          alias: `sigma: ${rule.name ?? rule.title}`,
          negate: false,
          disabled: false,
          type: 'custom',
          key: 'query',
          value: JSON.stringify(dsl),
        },
        query: dsl,
        $state: { store: 'appState' },
      },
    ],
    index: [index],
    severity: level.severity,
    risk_score: level.risk,
    threat: elasticThreat(rule.tags),
    tags: ['dockguard', 'Sigma', ...rule.tags],
    references: rule.references,
    false_positives: rule.falsepositives,
    author,
    license,
    // experimental rules arrive disabled: the SOC turns them on after a look
    enabled: rule.status === 'stable' || rule.status === 'test',
    interval: '5m',
    from: 'now-6m',
    max_signals: 100,
    version: 1,
    meta: { from: 'sigma', sigma_level: rule.level ?? null, sigma_status: rule.status ?? null },
  };
}

export function exportRules(load: LoadResult, opts: ExportOptions): ExportResult {
  const problems: DockguardError[] = [];
  const exported: ExportedRule[] = [];
  for (const c of load.correlations) problems.push(correlationProblem(c));
  for (const rule of load.rules) {
    try {
      const query = ruleQuery(rule, load, opts.fieldTypes, opts.nullable);
      let output: Record<string, unknown>;
      if (opts.format === 'kibana-ndjson') output = elasticRule(rule, toDsl(query), opts.index);
      else if (opts.format === 'lucene')
        output = { rule_id: rule.id ?? rule.key, title: rule.title, index: opts.index, query: toLucene(query) };
      else
        output = {
          rule_id: rule.id ?? rule.key,
          title: rule.title,
          query: `FROM ${opts.index} METADATA _id | WHERE ${toEsqlWhere(query, opts.multiValued)}`,
        };
      exported.push({ rule, query, output });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      problems.push(unsupported(rule.location, rule.title, e.message));
    }
  }
  return { exported, problems };
}

function correlationProblem(c: CorrelationDocument): DockguardError {
  const title = typeof c.value['title'] === 'string' ? c.value['title'] : c.file;
  return unsupported(
    c.doc.positions.locate(['correlation']),
    title,
    'correlation rules need state across events; Elastic Security has EQL sequences and thresholds, ' +
      'which cannot express every Sigma correlation type (value_count, temporal windows per group) exactly; ' +
      'the rules it references are exported on their own',
  );
}
