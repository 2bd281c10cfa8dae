/**
 * Baseline tests, run by `dockguard rules test` beside the Sigma rule tests. A
 * baseline test file (`<name>.test.yml`) names baseline files instead of rules:
 *
 *   baselines: [container-launch-unseen-client.yml]   # relative to this file
 *   parameters: { learning_period: 1h }               # optional: overrides for every baseline
 *   cases:
 *     - name: a new client after the learning period
 *       events: [{...}, {...}]                         # in order, with @timestamp
 *       expect: [Container Created By A Client Never Seen Before]   # id or title; [] for none
 *
 * Each case runs on fresh state; the baselines that fire on any of its events must
 * be exactly those expected. Pure: the adapter reads the files.
 */
import { DockguardError, type ErrorCode } from '../errors';
import type { CaseResult } from '../sigma/rule-test';
import { DEFAULT_TIMESTAMP_FIELDS, eventTime } from '../sigma/event-time';
import type { SourceDocument, YamlPath } from '../sigma/yaml-source';
import type { BaselineDef } from './baseline-config';
import { BaselineEngine } from './baseline-engine';
import { BaselineStore } from './baseline-state';
import type { GeoIpTable } from './geoip';

export interface BaselineTestCase {
  name: string;
  events: Record<string, unknown>[];
  expect: string[];
  path: YamlPath;
}

export interface BaselineTestFile {
  baselines: string[];
  parameters: Record<string, unknown> | undefined;
  /** A GeoIP CSV, relative to the test file. */
  geoip: string | undefined;
  cases: BaselineTestCase[];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Whether a test document is a baseline test (it names `baselines`, not `rules`). */
export function isBaselineTest(doc: SourceDocument): boolean {
  return isMap(doc.value) && 'baselines' in doc.value;
}

export function parseBaselineTest(doc: SourceDocument): { test?: BaselineTestFile; errors: DockguardError[] } {
  const errors: DockguardError[] = [];
  const bad = (message: string, path: YamlPath, code: ErrorCode = 'RULE_TEST_INVALID'): void => {
    errors.push(new DockguardError({ stage: 'test', code, message, location: doc.positions.locate(path) }));
  };
  const v = doc.value;
  if (!isMap(v)) {
    bad('a baseline test is a map with `baselines` and `cases`', []);
    return { errors };
  }
  const b = v['baselines'];
  const baselines = typeof b === 'string' ? [b] : Array.isArray(b) && b.every((x) => typeof x === 'string') ? b : [];
  if (baselines.length === 0) bad('`baselines` must name one or more baseline files', ['baselines']);
  const parameters = v['parameters'];
  if (parameters !== undefined && !isMap(parameters)) bad('`parameters` must be a map', ['parameters']);
  const geoip = v['geoip'];
  if (geoip !== undefined && typeof geoip !== 'string') bad('`geoip` must name a CSV file', ['geoip']);
  const cases: BaselineTestCase[] = [];
  const raw = v['cases'];
  if (!Array.isArray(raw) || raw.length === 0) bad('`cases` must be a non-empty list', ['cases']);
  else
    raw.forEach((c, i) => {
      const p: YamlPath = ['cases', i];
      if (!isMap(c)) return bad('a case is a map with name, events and expect', p);
      const name = typeof c['name'] === 'string' ? c['name'] : `case ${i + 1}`;
      const evs = c['events'] ?? (c['event'] === undefined ? undefined : [c['event']]);
      if (!Array.isArray(evs) || evs.length === 0 || !evs.every(isMap))
        return bad(`case "${name}": give \`events\` (a list of maps)`, p);
      const e = c['expect'];
      if (!Array.isArray(e) || !e.every((x) => typeof x === 'string'))
        return bad(`case "${name}": \`expect\` must be a list of baseline ids or titles ([] for none)`, [
          ...p,
          'expect',
        ]);
      cases.push({ name, events: evs as Record<string, unknown>[], expect: e as string[], path: p });
    });
  if (errors.length > 0) return { errors };
  return {
    test: {
      baselines: baselines as string[],
      parameters: parameters as Record<string, unknown> | undefined,
      geoip: geoip as string | undefined,
      cases,
    },
    errors,
  };
}

export function runBaselineTest(
  test: BaselineTestFile,
  doc: SourceDocument,
  defs: readonly BaselineDef[],
  geo?: GeoIpTable,
): CaseResult[] {
  const engine = new BaselineEngine(defs, geo);
  return test.cases.map((c) => {
    const store = new BaselineStore();
    const fired = new Set<BaselineDef>();
    let last = 0;
    for (const e of c.events) {
      const t = eventTime(e, DEFAULT_TIMESTAMP_FIELDS) ?? last;
      last = t;
      for (const d of engine.evaluate(e, t, store)) fired.add(d.def);
    }
    const names = (d: BaselineDef): string[] => [d.id, d.title];
    const missing = c.expect.filter((x) => ![...fired].some((d) => names(d).includes(x)));
    const unexpected = [...fired].filter((d) => !names(d).some((n) => c.expect.includes(n))).map((d) => d.id);
    return {
      name: c.name,
      passed: missing.length === 0 && unexpected.length === 0,
      missing,
      unexpected,
      location: doc.positions.locate(c.path),
    };
  });
}
