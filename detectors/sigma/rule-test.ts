/**
 * Rule tests: a rule author's positive and negative example events with the
 * rules they must (and only they must) trigger. Pure: the adapter reads the
 * files, this module checks a test document and runs its cases.
 *
 * Format (one YAML document per test file, `<name>.test.yml`):
 *
 *   rules: [docker-host-root-bind.yml]     # rule files, relative to the test file
 *   cases:
 *     - name: seed miner container
 *       event: {...}                        # or events: [{...}, ...] for correlations
 *       expect: [docker-host-root-bind]     # id, name or title of each rule that must match;
 *                                           # [] means nothing may match
 */
import { DockguardError, type ErrorCode } from '../errors';
import type { EngineOutput, SigmaEngine } from './engine';
import { DEFAULT_TIMESTAMP_FIELDS, eventTime } from './event-time';
import type { SourceDocument, YamlPath } from './yaml-source';

export interface RuleTestCase {
  name: string;
  events: Record<string, unknown>[];
  expect: string[];
  path: YamlPath;
}

export interface RuleTestFile {
  rules: string[];
  logsources: string[];
  placeholders: string | undefined;
  timestampFields: string[];
  cases: RuleTestCase[];
}

export interface CaseResult {
  name: string;
  passed: boolean;
  missing: string[];
  unexpected: string[];
  location: DockguardError['location'];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

export function parseRuleTest(doc: SourceDocument): { test?: RuleTestFile; errors: DockguardError[] } {
  const errors: DockguardError[] = [];
  const bad = (message: string, path: YamlPath, code: ErrorCode = 'RULE_TEST_INVALID'): void => {
    errors.push(new DockguardError({ stage: 'test', code, message, location: doc.positions.locate(path) }));
  };
  const v = doc.value;
  if (!isMap(v)) {
    bad('a rule test is a map with `rules` and `cases`', []);
    return { errors };
  }
  const rules = strings(v['rules'] ?? v['rule']);
  if (!rules || rules.length === 0) bad('`rules` must name one or more rule files', ['rules']);
  const logsources = strings(v['logsources'] ?? []) ?? [];
  const placeholders = typeof v['placeholders'] === 'string' ? v['placeholders'] : undefined;
  const timestampFields = strings(v['timestamp-field'] ?? DEFAULT_TIMESTAMP_FIELDS) ?? DEFAULT_TIMESTAMP_FIELDS;
  const cases: RuleTestCase[] = [];
  const rawCases = v['cases'];
  if (!Array.isArray(rawCases) || rawCases.length === 0) bad('`cases` must be a non-empty list', ['cases']);
  else
    rawCases.forEach((c, i) => {
      const p: YamlPath = ['cases', i];
      if (!isMap(c)) return bad('a case is a map with name, event(s) and expect', p);
      const name = typeof c['name'] === 'string' ? c['name'] : `case ${i + 1}`;
      const evs = c['events'] ?? (c['event'] === undefined ? undefined : [c['event']]);
      if (!Array.isArray(evs) || evs.length === 0 || !evs.every(isMap))
        return bad(`case "${name}": give \`event\` (a map) or \`events\` (a list of maps)`, p);
      const expect = strings(c['expect']);
      if (expect === undefined)
        return bad(`case "${name}": \`expect\` must be a list of rule ids, names or titles ([] for none)`, [
          ...p,
          'expect',
        ]);
      cases.push({ name, events: evs as Record<string, unknown>[], expect, path: p });
    });
  if (errors.length > 0 || !rules) return { errors };
  return { test: { rules, logsources, placeholders, timestampFields, cases }, errors };
}

function refsOf(o: EngineOutput): string[] {
  if (o.kind === 'detection') return [o.rule.id, o.rule.name, o.rule.title, o.rule.key].filter((x): x is string => !!x);
  const r = o.match.rule;
  return [r.id, r.name, r.title].filter((x): x is string => !!x);
}

/** Runs the cases; `makeEngine` gives a fresh engine (fresh correlation state) per case. */
export function runRuleTest(test: RuleTestFile, doc: SourceDocument, makeEngine: () => SigmaEngine): CaseResult[] {
  return test.cases.map((c) => {
    const engine = makeEngine();
    const outputs: EngineOutput[] = [];
    c.events.forEach((e, i) => outputs.push(...engine.process(e, i, eventTime(e, test.timestampFields))));
    outputs.push(...engine.flush());
    const fired = outputs.map(refsOf);
    const missing = c.expect.filter((x) => !fired.some((refs) => refs.includes(x)));
    const unexpected = fired.filter((refs) => !refs.some((r) => c.expect.includes(r))).map((refs) => refs[0] as string);
    return {
      name: c.name,
      passed: missing.length === 0 && unexpected.length === 0,
      missing,
      unexpected: [...new Set(unexpected)],
      location: doc.positions.locate(c.path),
    };
  });
}
