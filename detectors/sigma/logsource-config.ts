/**
 * Logsource configuration in the sigmac format: `logsources:` entries with
 * `category`/`product`/`service`, `conditions` (field → value or list, AND over
 * fields, OR over a list) and `rewrite`, plus global `fieldmappings`.
 *
 * An entry applies to a rule when every one of category/product/service that the
 * entry names equals the rule's. Several applicable entries are OR-ed. With a
 * configuration, a rule for which no entry applies matches no event (and the
 * loader warns); without one, every rule applies to every event.
 */
import { DockguardError, type ErrorCode, type Severity } from '../errors';
import { fold } from './fold';
import { and, toPredicate, type Node, type Pred } from './ir';
import { compileItem, type CompileEnv } from './value-compiler';
import type { SourceDocument, YamlPath } from './yaml-source';

export interface Logsource {
  category?: string;
  product?: string;
  service?: string;
}

export interface LogsourceEntry {
  name: string;
  match: Logsource;
  rewrite: Logsource | undefined;
  condition: Pred;
  /**
   * One plain equality the conditions require (field and its folded values),
   * when there is one: an event whose field has none of these values cannot
   * satisfy the entry, so the rule set can skip evaluating it.
   */
  guard: { field: string; values: string[] } | undefined;
}

/** The first condition that is a plain value or list of values (no wildcards, no null). */
function guardOf(conds: Record<string, unknown>): LogsourceEntry['guard'] {
  for (const [field, value] of Object.entries(conds)) {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || field.includes('|')) continue;
    if (!list.every((x) => typeof x === 'number' || (typeof x === 'string' && !/[*?\\]/.test(x)))) continue;
    return { field, values: list.map((x) => fold(String(x))) };
  }
  return undefined;
}

export interface LogsourceConfig {
  file: string;
  entries: LogsourceEntry[];
  fieldmappings: Map<string, string[]>;
}

const KEYS = ['category', 'product', 'service'] as const;

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function readLogsource(
  v: Record<string, unknown>,
  report: (m: string, p: YamlPath) => void,
  path: YamlPath,
): Logsource {
  const out: Logsource = {};
  for (const k of KEYS) {
    const x = v[k];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'string') report(`${k} must be a string`, [...path, k]);
    else out[k] = x.toLowerCase();
  }
  return out;
}

/** Parses one configuration document; returns it with every problem found. */
export function compileLogsourceConfig(
  doc: SourceDocument,
  file: string,
): { config?: LogsourceConfig; errors: DockguardError[] } {
  const errors: DockguardError[] = [];
  const report = (code: ErrorCode, message: string, path: YamlPath, severity: Severity = 'error'): void => {
    errors.push(new DockguardError({ stage: 'config', code, message, severity, location: doc.positions.locate(path) }));
  };
  const bad = (m: string, p: YamlPath): void => report('LOGSOURCE_CONFIG_INVALID', m, p);
  const root = doc.value;
  if (!isMap(root)) {
    bad('a logsource configuration is a map with `logsources` and `fieldmappings`', []);
    return { errors };
  }
  const fieldmappings = new Map<string, string[]>();
  const fm = root['fieldmappings'];
  if (fm !== undefined && fm !== null) {
    if (!isMap(fm)) bad('fieldmappings must map a Sigma field to a field name or a list of names', ['fieldmappings']);
    else
      for (const [k, v] of Object.entries(fm)) {
        const list = Array.isArray(v) ? v : [v];
        if (list.length === 0 || !list.every((x) => typeof x === 'string'))
          bad(`fieldmapping of "${k}" must be a field name or a list of names`, ['fieldmappings', k]);
        else fieldmappings.set(k, list as string[]);
      }
  }
  const env: CompileEnv = {
    placeholders: new Map(),
    mapField: (n) => [n],
    report: (code, message, path, severity) => report(code, message, path, severity),
  };
  const entries: LogsourceEntry[] = [];
  const ls = root['logsources'];
  if (!isMap(ls)) bad('`logsources` must be a map of named entries', ['logsources']);
  else
    for (const [name, e] of Object.entries(ls)) {
      const p: YamlPath = ['logsources', name];
      if (!isMap(e)) {
        bad(`entry "${name}" must be a map`, p);
        continue;
      }
      const match = readLogsource(e, bad, p);
      if (Object.keys(match).length === 0) bad(`entry "${name}" names no category, product or service`, p);
      const rw = e['rewrite'];
      const rewrite = isMap(rw) ? readLogsource(rw, bad, [...p, 'rewrite']) : undefined;
      if (rw !== undefined && !isMap(rw)) bad('rewrite must be a map', [...p, 'rewrite']);
      const conds = e['conditions'];
      let node: Node = { k: 'const', v: true };
      let guard: LogsourceEntry['guard'];
      if (conds !== undefined && conds !== null) {
        if (!isMap(conds)) bad('conditions must map field names to values', [...p, 'conditions']);
        else {
          const parts: Node[] = [];
          for (const [field, value] of Object.entries(conds)) {
            const n = compileItem(field, [], value, env, [...p, 'conditions', field]);
            if (n) parts.push(n);
          }
          node = and(parts);
          guard = guardOf(conds);
        }
      }
      entries.push({ name, match, rewrite, condition: toPredicate(node), guard });
    }
  if (errors.some((e) => e.severity === 'error')) return { errors };
  return { config: { file, entries, fieldmappings }, errors };
}

export function entryApplies(entry: LogsourceEntry, rule: Logsource): boolean {
  for (const k of KEYS) {
    const want = entry.match[k];
    if (want !== undefined && (rule[k] ?? '').toLowerCase() !== want) return false;
  }
  return true;
}

/**
 * The logsource selector of one rule under a chain of configurations: a
 * predicate over events (OR of the conditions of applicable entries), the
 * rewritten logsource, and whether any entry applied at all.
 */
export function selectLogsource(
  configs: readonly LogsourceConfig[],
  logsource: Logsource,
): { entries: LogsourceEntry[]; logsource: Logsource; mapped: boolean } {
  let current = { ...logsource };
  const entries: LogsourceEntry[] = [];
  for (const c of configs) {
    const applicable = c.entries.filter((e) => entryApplies(e, current));
    entries.push(...applicable);
    const rw = applicable.find((e) => e.rewrite)?.rewrite;
    if (rw) current = { ...current, ...rw };
  }
  return { entries, logsource: current, mapped: entries.length > 0 };
}

export function mergeFieldmappings(configs: readonly LogsourceConfig[]): (name: string) => readonly string[] {
  return (name) => {
    let names: string[] = [name];
    for (const c of configs) names = names.flatMap((n) => c.fieldmappings.get(n) ?? [n]);
    return [...new Set(names)];
  };
}
