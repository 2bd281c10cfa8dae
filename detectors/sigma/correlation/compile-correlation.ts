/**
 * Compile stage of Sigma correlation rules (sigma-correlation-rules-specification,
 * v2.1.0, "Correlation section" and "Correlation Types").
 *
 * The loader has already applied the JSON schema, but that schema is loose where it
 * matters at run time: its per-type `then` clauses put `condition` beside
 * `required` (so `field` is never enforced), `timespan` is any string of at most
 * ten characters, and the condition operators are not typed. This stage checks all
 * of that, reports every problem (a rule author wants them all at once) and returns
 * a rule only when none of them is an error.
 */
import type { ErrorCode, Severity } from '../../errors';
import type { Level } from '../rule-types';
import type { PositionIndex } from '../yaml-source';

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const CONDITION_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** The operators given, joined with AND (spec: "To define a range, you can use the conjunction"). */
export type CorrelationCondition = Partial<Record<ConditionOperator, number>>;

export type CorrelationReport = (
  code: ErrorCode,
  message: string,
  path: (string | number)[],
  severity?: Severity,
) => void;

export interface CorrelationRule {
  id: string | undefined;
  name: string | undefined;
  title: string;
  level: Level | undefined;
  status: string | undefined;
  tags: string[];
  description: string | undefined;
  type: CorrelationType;
  /** The references as written (ids or names); resolved by the engine. */
  rules: string[];
  /** Field names or alias names; empty means one group for all hits. */
  groupBy: string[];
  /** `timespan` as written, e.g. `5m`. */
  timespan: string;
  timespanMs: number;
  /**
   * Parsed condition. For temporal types without one, the spec's default "all
   * referenced rules" is made explicit as `{ gte: rules.length }`.
   */
  condition: CorrelationCondition;
  /** `condition.field`: one name, or several for value_count (a tuple); empty for other types. */
  fields: string[];
  /** alias → (rule reference → field name). */
  aliases: Record<string, Record<string, string>>;
  /** Spec "Generate": also output the referenced rules' own matches. Default false. */
  generate: boolean;
  /** The whole YAML document, for output. */
  meta: Record<string, unknown>;
  /** Where the document came from, so later stages (the graph check) can report locations. */
  source: PositionIndex | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TIMESPAN_FORM = 'a whole number followed by s, m, h or d, e.g. 30s, 5m, 1h, 2d (1h30 is 90m)';
const LEVELS: readonly string[] = ['informational', 'low', 'medium', 'high', 'critical'];
const SECTION_KEYS = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate']);
const VALUE_TYPES: readonly CorrelationType[] = ['value_count', 'value_sum', 'value_avg', 'value_percentile'];
const TEMPORAL_TYPES: readonly CorrelationType[] = ['temporal', 'temporal_ordered'];

/** `30s` → 30000. Spec "Time Selection": `number + letter (in lowercase)`, s/m/h/d only. */
export function parseTimespan(text: string): number | undefined {
  const m = /^(\d{1,12})([smhd])$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

export function conditionHolds(cond: CorrelationCondition, value: number): boolean {
  if (cond.gt !== undefined && !(value > cond.gt)) return false;
  if (cond.gte !== undefined && !(value >= cond.gte)) return false;
  if (cond.lt !== undefined && !(value < cond.lt)) return false;
  if (cond.lte !== undefined && !(value <= cond.lte)) return false;
  if (cond.eq !== undefined && !(value === cond.eq)) return false;
  if (cond.neq !== undefined && !(value !== cond.neq)) return false;
  return true;
}

/** Only gt/gte: once true, more hits cannot make it false, so it may fire on the hit. */
export function isLowerBoundOnly(cond: CorrelationCondition): boolean {
  return cond.lt === undefined && cond.lte === undefined && cond.eq === undefined && cond.neq === undefined;
}

export function isValueType(t: CorrelationType): boolean {
  return VALUE_TYPES.includes(t);
}

export function isTemporalType(t: CorrelationType): boolean {
  return TEMPORAL_TYPES.includes(t);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

type Problem = (message: string, path: (string | number)[], severity?: Severity) => void;

/** A non-empty list of distinct non-empty strings; reports each bad item. */
function readNameList(v: unknown, path: (string | number)[], what: string, problem: Problem): string[] | undefined {
  if (!Array.isArray(v)) {
    problem(`${what} must be a list of strings`, path);
    return undefined;
  }
  if (v.length === 0) {
    problem(`${what} must not be empty`, path);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  v.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item === '') {
      problem(`${what} item ${i + 1} must be a non-empty string`, [...path, i]);
      ok = false;
    } else if (out.includes(item)) {
      problem(`${what} lists "${item}" twice`, [...path, i]);
      ok = false;
    } else out.push(item);
  });
  return ok ? out : undefined;
}

function readCondition(
  v: unknown,
  type: CorrelationType | undefined,
  ruleCount: number,
  problem: Problem,
): { condition: CorrelationCondition; fields: string[] } | undefined {
  const path = ['correlation', 'condition'];
  const condition: CorrelationCondition = {};
  const fields: string[] = [];
  if (v === undefined) {
    if (type === undefined) return undefined;
    if (isTemporalType(type)) return { condition: { gte: ruleCount }, fields };
    problem(`a ${type} correlation needs a condition (spec "Correlation Types": Requires condition)`, path);
    return undefined;
  }
  if (!isMap(v)) {
    problem('condition must be a map of gt, gte, lt, lte, eq, neq (and field for value_* types)', path);
    return undefined;
  }
  let ok = true;
  for (const [k, x] of Object.entries(v)) {
    if ((CONDITION_OPERATORS as readonly string[]).includes(k)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        problem(`condition ${k} must be a number`, [...path, k]);
        ok = false;
      } else condition[k as ConditionOperator] = x;
    } else if (k !== 'field') {
      problem(`unknown condition key "${k}"; use gt, gte, lt, lte, eq, neq or field`, [...path, k]);
      ok = false;
    }
  }
  if (Object.keys(condition).length === 0 && ok) {
    problem('condition needs at least one of gt, gte, lt, lte, eq, neq', path);
    ok = false;
  }
  const field = v['field'];
  if (type !== undefined && isValueType(type)) {
    if (typeof field === 'string' && field !== '') fields.push(field);
    else if (Array.isArray(field) && type === 'value_count') {
      const list = readNameList(field, [...path, 'field'], 'condition field', problem);
      if (list) fields.push(...list);
      else ok = false;
    } else {
      const form = type === 'value_count' ? 'a field name or a list of field names' : 'one field name';
      problem(`a ${type} correlation needs condition.field: ${form}`, field === undefined ? path : [...path, 'field']);
      ok = false;
    }
  } else if (field !== undefined && type !== undefined) {
    problem(`condition.field is only used by value_* correlations, not ${type}`, [...path, 'field']);
    ok = false;
  }
  if (!ok) return undefined;
  checkSatisfiable(condition, type, ruleCount, problem);
  return { condition, fields };
}

/** Warnings, not errors: such a rule loads but can never fire, which its author wants to know. */
function checkSatisfiable(
  c: CorrelationCondition,
  type: CorrelationType | undefined,
  ruleCount: number,
  problem: Problem,
): void {
  const path = ['correlation', 'condition'];
  const lo = Math.max(c.gt ?? -Infinity, c.gte ?? -Infinity);
  const hi = Math.min(c.lt ?? Infinity, c.lte ?? Infinity);
  const empty =
    lo > hi ||
    (lo === hi && (c.gt === lo || c.lt === hi)) ||
    (c.eq !== undefined && !conditionHolds({ ...c, eq: undefined }, c.eq));
  if (empty) {
    problem('the condition can never be true (its bounds exclude each other)', path, 'warning');
    return;
  }
  if (type !== undefined && isTemporalType(type)) {
    let possible = false;
    for (let n = 1; n <= ruleCount; n++) if (conditionHolds(c, n)) possible = true;
    if (!possible)
      problem(`a ${type} condition counts distinct rules; no count from 1 to ${ruleCount} meets it`, path, 'warning');
  }
  const outside = lo > 100 || hi < 0 || (c.gt ?? -Infinity) >= 100 || (c.lt ?? Infinity) <= 0;
  if (type === 'value_percentile' && outside)
    problem('a value_percentile condition is a percentage; bounds outside 0..100 never match', path, 'warning');
}

function readAliases(
  v: unknown,
  groupBy: readonly string[] | undefined,
  problem: Problem,
): Record<string, Record<string, string>> | undefined {
  const out: Record<string, Record<string, string>> = {};
  if (v === undefined) return out;
  const path = ['correlation', 'aliases'];
  if (!isMap(v)) {
    problem('aliases must map an alias name to a map of rule name → field name', path);
    return undefined;
  }
  let ok = true;
  for (const [alias, m] of Object.entries(v)) {
    if (!isMap(m) || Object.keys(m).length === 0) {
      problem(`alias "${alias}" must map at least one rule name to a field name`, [...path, alias]);
      ok = false;
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [rule, field] of Object.entries(m)) {
      if (typeof field !== 'string' || field === '') {
        problem(`alias "${alias}" for rule "${rule}" must be a field name`, [...path, alias, rule]);
        ok = false;
      } else fields[rule] = field;
    }
    out[alias] = fields;
    if (groupBy && !groupBy.includes(alias))
      problem(`alias "${alias}" is not used in group-by, so it has no effect`, [...path, alias], 'warning');
  }
  return ok ? out : undefined;
}

/**
 * Checks the correlation section of `doc` and compiles it. `positions` is kept on
 * the rule (not used here: `report` receives paths, and the caller locates them).
 */
export function compileCorrelation(
  doc: Record<string, unknown>,
  positions: PositionIndex,
  report: CorrelationReport,
): CorrelationRule | undefined {
  let failed = false;
  const problem: Problem = (message, path, severity = 'error') => {
    if (severity === 'error') failed = true;
    report('CORRELATION_INVALID', message, path, severity);
  };

  const title = doc['title'];
  if (typeof title !== 'string' || title === '') problem('title must be a non-empty string', ['title']);
  const section = doc['correlation'];
  if (!isMap(section)) {
    problem('correlation must be a map with type, rules, group-by, timespan and condition', ['correlation']);
    return undefined;
  }
  for (const k of Object.keys(section))
    if (!SECTION_KEYS.has(k))
      problem(`unknown key "${k}" in correlation; it is ignored`, ['correlation', k], 'warning');

  const rawType = section['type'];
  const type = (CORRELATION_TYPES as readonly unknown[]).includes(rawType) ? (rawType as CorrelationType) : undefined;
  if (type === undefined)
    problem(
      `type must be one of ${CORRELATION_TYPES.join(', ')}`,
      rawType === undefined ? ['correlation'] : ['correlation', 'type'],
    );

  const rules = readNameList(section['rules'], ['correlation', 'rules'], 'rules', problem);

  let groupBy: string[] | undefined = [];
  const rawGroupBy = section['group-by'];
  if (rawGroupBy === undefined) {
    if (type !== undefined && !isTemporalType(type))
      problem(`a ${type} correlation needs group-by (spec "Correlation Types": Requires group-by)`, ['correlation']);
  } else if (Array.isArray(rawGroupBy) && rawGroupBy.length === 0) {
    groupBy = []; // an explicit empty list: one group for all hits
  } else groupBy = readNameList(rawGroupBy, ['correlation', 'group-by'], 'group-by', problem);

  const rawSpan = section['timespan'];
  const timespanMs = typeof rawSpan === 'string' ? parseTimespan(rawSpan) : undefined;
  if (timespanMs === undefined) {
    const shown = rawSpan === undefined ? 'missing' : JSON.stringify(rawSpan);
    problem(
      `timespan is ${shown}; write ${TIMESPAN_FORM}`,
      rawSpan === undefined ? ['correlation'] : ['correlation', 'timespan'],
    );
  }

  const cond = readCondition(section['condition'], type, rules?.length ?? 0, problem);
  const aliases = readAliases(section['aliases'], groupBy, problem);

  // The spec and schema put `generate` at the top level, but pySigma
  // (sigma/correlations.py, from_dict) reads it inside the section: accept both.
  const inSection = doc['generate'] === undefined;
  const rawGenerate = inSection ? section['generate'] : doc['generate'];
  if (rawGenerate !== undefined && typeof rawGenerate !== 'boolean')
    problem('generate must be true or false', inSection ? ['correlation', 'generate'] : ['generate']);

  const level = optStr(doc['level']);
  const rawTags = doc['tags'];
  if (failed || !type || !rules || !groupBy || timespanMs === undefined || !cond || !aliases) return undefined;
  return {
    id: optStr(doc['id']),
    name: optStr(doc['name']),
    title: title as string,
    level: level !== undefined && LEVELS.includes(level) ? (level as Level) : undefined,
    status: optStr(doc['status']),
    tags: Array.isArray(rawTags) ? rawTags.filter((t): t is string => typeof t === 'string') : [],
    description: optStr(doc['description']),
    type,
    rules,
    groupBy,
    timespan: rawSpan as string,
    timespanMs,
    condition: cond.condition,
    fields: cond.fields,
    aliases,
    generate: rawGenerate === true,
    meta: doc,
    source: positions,
  };
}
