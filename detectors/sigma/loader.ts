/**
 * Rule loading in stages, all at startup: parse (YAML) → validate (JSON schema)
 * → compile (IR and closures) → link (filters, correlations, duplicates).
 * A rule with any error never reaches the matcher; every error of every file
 * is collected and returned, each with file:line:column.
 */
import { DockguardError, type ErrorCode, type Severity } from '../errors';
import { compileDetection } from './detection';
import { and, requiredClauses, toPredicate, type Node } from './ir';
import { mergeFieldmappings, type Logsource, type LogsourceConfig } from './logsource-config';
import type { DetectionRule, FilterRule, Level } from './rule-types';
import { validateDocument, type DocumentKind } from './schema-validate';
import type { CompileEnv } from './value-compiler';
import { parseYamlSource, type SourceDocument, type YamlPath } from './yaml-source';

export interface RuleSource {
  file: string;
  text: string;
}

export interface LoadOptions {
  placeholders?: ReadonlyMap<string, readonly string[]>;
  logsources?: readonly LogsourceConfig[];
}

/** A correlation document as parsed; compiled by the correlation module. */
export interface CorrelationDocument {
  file: string;
  doc: SourceDocument;
  value: Record<string, unknown>;
}

export interface LoadResult {
  rules: DetectionRule[];
  filters: FilterRule[];
  correlations: CorrelationDocument[];
  /** Errors and warnings, in file order. */
  problems: DockguardError[];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function readLogsource(v: unknown): Logsource {
  const out: Logsource = {};
  if (!isMap(v)) return out;
  for (const k of ['category', 'product', 'service'] as const) {
    const s = str(v[k]);
    if (s) out[k] = s.toLowerCase();
  }
  return out;
}

function kindOf(v: Record<string, unknown>): DocumentKind | undefined {
  if ('correlation' in v) return 'correlation';
  if ('filter' in v && !('detection' in v)) return 'filter';
  if ('detection' in v) return 'rule';
  return undefined;
}

export function loadRules(sources: readonly RuleSource[], options: LoadOptions = {}): LoadResult {
  const problems: DockguardError[] = [];
  const rules: DetectionRule[] = [];
  const filters: FilterRule[] = [];
  const correlations: CorrelationDocument[] = [];
  const mapField = mergeFieldmappings(options.logsources ?? []);
  const placeholders = options.placeholders ?? new Map<string, string[]>();

  for (const src of sources) {
    const parsed = parseYamlSource(src.file, src.text);
    problems.push(...parsed.errors);
    // an unsafe key anywhere in a file keeps all its documents out
    const unsafeFile = parsed.errors.some((e) => e.code === 'UNSAFE_KEY');
    for (const doc of parsed.documents) {
      let failed = unsafeFile;
      const report = (code: ErrorCode, message: string, path: YamlPath, severity: Severity = 'error'): void => {
        if (severity === 'error') failed = true;
        problems.push(
          new DockguardError({
            stage: code === 'SCHEMA_VIOLATION' ? 'validate' : 'compile',
            code,
            message,
            severity,
            location: doc.positions.locate(path),
          }),
        );
      };
      const value = doc.value;
      if (!isMap(value)) {
        report('DOCUMENT_KIND', 'a Sigma document must be a map', []);
        continue;
      }
      const kind = kindOf(value);
      if (!kind) {
        report('DOCUMENT_KIND', 'document has no detection, correlation or filter section', []);
        continue;
      }
      for (const p of validateDocument(kind, value)) report('SCHEMA_VIOLATION', p.message, p.path);
      if (kind === 'correlation') {
        if (!failed) correlations.push({ file: src.file, doc, value });
        continue;
      }
      const env: CompileEnv = { placeholders, mapField, report };
      if (kind === 'filter') {
        const f = value['filter'];
        if (!isMap(f)) continue;
        const node = compileDetection(f, env, ['filter'], new Set(['rules', 'condition']));
        if (node && !failed)
          filters.push({
            id: str(value['id']),
            title: str(value['title']) ?? '',
            logsource: readLogsource(value['logsource']),
            rules: strList(f['rules']),
            node,
            location: doc.positions.locate([]),
          });
        continue;
      }
      const det = value['detection'];
      if (!isMap(det)) continue; // the schema already reported it
      const node = compileDetection(det, env, ['detection']);
      if (!node || failed) continue;
      const id = str(value['id']);
      const name = str(value['name']);
      rules.push(makeRule(value, node, id ?? name ?? `${src.file}#${doc.index}`, doc));
    }
  }

  checkDuplicates(rules, problems);
  applyFilters(rules, filters, problems);
  return { rules, filters, correlations, problems };
}

function makeRule(value: Record<string, unknown>, node: Node, key: string, doc: SourceDocument): DetectionRule {
  return {
    key,
    id: str(value['id']),
    name: str(value['name']),
    title: str(value['title']) ?? '',
    level: str(value['level']) as Level | undefined,
    status: str(value['status']),
    description: str(value['description']),
    tags: strList(value['tags']),
    references: strList(value['references']),
    falsepositives: strList(value['falsepositives']),
    logsource: readLogsource(value['logsource']),
    location: doc.positions.locate([]),
    node,
    predicate: toPredicate(node),
    clauses: requiredClauses(node),
    meta: value,
  };
}

/** A second rule with an id or name already taken is an error, and is not loaded. */
function checkDuplicates(rules: DetectionRule[], problems: DockguardError[]): void {
  const seen = new Map<string, DetectionRule>();
  const kept: DetectionRule[] = [];
  for (const r of rules) {
    const clash = [r.id, r.name].map((k) => (k ? seen.get(k) : undefined)).find((x) => x !== undefined);
    if (clash) {
      problems.push(
        new DockguardError({
          stage: 'compile',
          code: 'DUPLICATE_RULE',
          message: `"${r.id ?? r.name}" is already used by the rule at ${clash.location.file}:${clash.location.line}`,
          location: r.location,
        }),
      );
      continue;
    }
    for (const k of [r.id, r.name]) if (k) seen.set(k, r);
    kept.push(r);
  }
  rules.splice(0, rules.length, ...kept);
}

/** Sigma filters: `rule AND NOT filter` for every referenced rule of a compatible logsource. */
function applyFilters(rules: DetectionRule[], filters: FilterRule[], problems: DockguardError[]): void {
  for (const f of filters) {
    for (const ref of f.rules) {
      const targets = rules.filter((r) => r.id === ref || r.name === ref);
      if (targets.length === 0) {
        problems.push(
          new DockguardError({
            stage: 'compile',
            code: 'FILTER_RULE_UNRESOLVED',
            message: `filter "${f.title}" references "${ref}", which is not loaded`,
            severity: 'warning',
            location: f.location,
          }),
        );
        continue;
      }
      for (const r of targets) {
        const compatible = (['category', 'product', 'service'] as const).every(
          (k) => f.logsource[k] === undefined || f.logsource[k] === r.logsource[k],
        );
        if (!compatible) {
          problems.push(
            new DockguardError({
              stage: 'compile',
              code: 'FILTER_RULE_UNRESOLVED',
              message: `filter "${f.title}" has a logsource other than rule "${ref}"; not applied`,
              severity: 'warning',
              location: f.location,
            }),
          );
          continue;
        }
        r.node = and([r.node, { k: 'not', c: f.node }]);
        r.predicate = toPredicate(r.node);
        r.clauses = requiredClauses(r.node);
      }
    }
  }
}
