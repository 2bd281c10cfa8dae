/**
 * Test kit for the correlation unit tests: compiles the correlations of a
 * multi-document YAML text and builds a resolver over all its documents, keyed
 * like the loader keys rules (id, else name). Pure, no test-framework globals, so
 * it type-checks in the build; the lead may prefer to exclude it from `dist`.
 */
import type { ErrorCode, Severity, SourceLocation } from '../../errors';
import { parseYamlSource } from '../yaml-source';
import { compileCorrelation, type CorrelationRule } from './compile-correlation';
import type { RuleResolver } from './correlation-graph';
import type { CorrelationHit } from './correlation-engine';

export interface Reported {
  code: ErrorCode;
  message: string;
  path: (string | number)[];
  severity: Severity;
  location: SourceLocation;
}

export interface CompiledYaml {
  rules: CorrelationRule[];
  resolve: RuleResolver;
  problems: Reported[];
}

export function compileYaml(text: string, file = 'test.yml'): CompiledYaml {
  const parsed = parseYamlSource(file, text);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((e) => e.format()).join('\n'));
  const rules: CorrelationRule[] = [];
  const problems: Reported[] = [];
  const keys = new Map<string, string>();
  for (const d of parsed.documents) {
    const doc = d.value as Record<string, unknown>;
    const id = typeof doc['id'] === 'string' ? doc['id'] : undefined;
    const name = typeof doc['name'] === 'string' ? doc['name'] : undefined;
    const key = id ?? name;
    if (key !== undefined) for (const ref of [id, name]) if (ref !== undefined) keys.set(ref, key);
    if (!('correlation' in doc)) continue;
    const rule = compileCorrelation(doc, d.positions, (code, message, path, severity = 'error') =>
      problems.push({ code, message, path, severity, location: d.positions.locate(path) }),
    );
    if (rule) rules.push(rule);
  }
  return { rules, resolve: (ref) => keys.get(ref), problems };
}

/** A detection hit; `eventRef` defaults to the time, which keeps references readable in tests. */
export function hit(ruleKey: string, event: unknown, time: number, eventRef = time): CorrelationHit {
  return { ruleKey, event, time, eventRef };
}
