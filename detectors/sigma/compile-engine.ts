/**
 * Link stage: turns a LoadResult into what the hot path runs — the RuleSet
 * index and the compiled correlations with their references resolved — and makes
 * engines over it. Correlation state is injected (in memory here; the detector
 * service passes a checkpointed store).
 */
import { DockguardError, type ErrorCode, type Severity } from '../errors';
import {
  checkCorrelationGraph,
  compileCorrelation,
  CorrelationEngine,
  MemoryCorrelationState,
  type CorrelationRule,
  type CorrelationStateStore,
  type RuleResolver,
} from './correlation';
import { SigmaEngine } from './engine';
import type { LoadResult } from './loader';
import { mergeFieldmappings, type LogsourceConfig } from './logsource-config';
import { RuleSet } from './rule-set';
import type { YamlPath } from './yaml-source';

export interface CompiledRules {
  ruleSet: RuleSet;
  correlations: CorrelationRule[];
  resolve: RuleResolver;
  problems: DockguardError[];
}

/**
 * Field mappings of the logsource configuration reach correlations too: the
 * fields read for group-by and for value_* conditions. A mapped group-by field
 * becomes an alias, so the match still reports the name the rule author wrote.
 */
function applyFieldmappings(rule: CorrelationRule, mapField: (name: string) => readonly string[]): CorrelationRule {
  const m = (f: string): string => mapField(f)[0] ?? f;
  const aliases: Record<string, Record<string, string>> = {};
  for (const [alias, perRule] of Object.entries(rule.aliases))
    aliases[alias] = Object.fromEntries(Object.entries(perRule).map(([ref, f]) => [ref, m(f)]));
  for (const g of rule.groupBy)
    if (!aliases[g] && m(g) !== g) aliases[g] = Object.fromEntries(rule.rules.map((ref) => [ref, m(g)]));
  return { ...rule, fields: rule.fields.map(m), aliases };
}

export function compileRules(load: LoadResult, configs: readonly LogsourceConfig[] = []): CompiledRules {
  const problems: DockguardError[] = [];
  const mapField = mergeFieldmappings(configs);
  const correlations: CorrelationRule[] = [];
  for (const c of load.correlations) {
    const report = (code: ErrorCode, message: string, path: YamlPath, severity: Severity = 'error'): void => {
      problems.push(
        new DockguardError({ stage: 'compile', code, message, severity, location: c.doc.positions.locate(path) }),
      );
    };
    const rule = compileCorrelation(c.value, c.doc.positions, report);
    if (rule) correlations.push(applyFieldmappings(rule, mapField));
  }
  // references: detection rules and correlations, by id or by name
  const keys = new Map<string, string>();
  for (const r of load.rules) {
    if (r.id) keys.set(r.id, r.key);
    if (r.name) keys.set(r.name, r.key);
  }
  for (const c of correlations) {
    const key = c.id ?? c.name ?? `title:${c.title}`;
    if (c.id && !keys.has(c.id)) keys.set(c.id, key);
    if (c.name && !keys.has(c.name)) keys.set(c.name, key);
  }
  const resolve: RuleResolver = (ref) => keys.get(ref);
  const graphProblems = checkCorrelationGraph(correlations, resolve);
  problems.push(...graphProblems);
  const ruleSet = new RuleSet(load.rules, configs);
  for (const r of ruleSet.unmapped)
    problems.push(
      new DockguardError({
        stage: 'compile',
        code: 'LOGSOURCE_UNMAPPED',
        message: `no logsource configuration entry applies to rule "${r.title}" (${JSON.stringify(r.logsource)}); it matches no event`,
        severity: 'warning',
        location: r.location,
      }),
    );
  // a broken correlation graph is an error the caller must refuse to run with; none of it is kept
  const usable = graphProblems.some((p) => p.severity === 'error') ? [] : correlations;
  return { ruleSet, correlations: usable, resolve, problems };
}

export function createEngine(
  compiled: CompiledRules,
  store: CorrelationStateStore = new MemoryCorrelationState(),
): SigmaEngine {
  const corr =
    compiled.correlations.length > 0
      ? new CorrelationEngine(compiled.correlations, compiled.resolve, store)
      : undefined;
  return new SigmaEngine(compiled.ruleSet, corr);
}
