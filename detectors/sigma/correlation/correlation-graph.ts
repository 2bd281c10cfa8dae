/**
 * Link stage of correlations: resolves the `rules` and `aliases` references to
 * canonical rule keys and checks the graph they form (spec "Related rules":
 * correlations may refer to correlations, "allowing the user to chain"). A cycle
 * would make a match feed itself forever, so it is rejected.
 *
 * `checkCorrelationGraph` returns every problem, for the loader to report with
 * the others of the file; the engine refuses to start on any error among them.
 */
import { DockguardError, type ErrorCode, type Severity } from '../../errors';
import type { CorrelationRule } from './compile-correlation';

/** Maps a reference (an id or a name) to the canonical key of a loaded rule, or undefined. */
export type RuleResolver = (ref: string) => string | undefined;

export interface ResolvedCorrelation {
  rule: CorrelationRule;
  key: string;
  /** Resolved key of each entry of `rule.rules`, undefined where unresolved. */
  refs: (string | undefined)[];
  /** group-by name → (rule key → event field) for the aliases of the rule. */
  aliasFields: Map<string, Map<string, string>>;
  /** 0 when fed only by detection rules, else 1 + the rank of the highest correlation feeding it. */
  rank: number;
}

/**
 * The key of a correlation: what its id or name resolves to, so that a reference
 * to it from another correlation and its own state agree. An anonymous
 * correlation (neither resolves) falls back to its id, name or title; it cannot
 * be referenced, and its state key stays stable while the file is edited.
 */
export function correlationKey(rule: CorrelationRule, resolve: RuleResolver): string {
  for (const ref of [rule.id, rule.name]) {
    if (ref === undefined) continue;
    const k = resolve(ref);
    if (k !== undefined) return k;
  }
  return rule.id ?? rule.name ?? `title:${rule.title}`;
}

export function resolveCorrelations(
  rules: readonly CorrelationRule[],
  resolve: RuleResolver,
): { resolved: ResolvedCorrelation[]; problems: DockguardError[] } {
  const problems: DockguardError[] = [];
  const problem = (
    rule: CorrelationRule,
    code: ErrorCode,
    message: string,
    path: (string | number)[],
    severity: Severity = 'error',
  ): void => {
    problems.push(
      new DockguardError({ stage: 'compile', code, message, severity, location: rule.source?.locate(path) }),
    );
  };

  const resolved: ResolvedCorrelation[] = [];
  const byKey = new Map<string, ResolvedCorrelation>();
  for (const rule of rules) {
    const key = correlationKey(rule, resolve);
    const refs = rule.rules.map((ref, i) => {
      const k = resolve(ref);
      if (k === undefined)
        problem(rule, 'CORRELATION_RULE_UNRESOLVED', `"${ref}" is not the id or name of a loaded rule`, [
          'correlation',
          'rules',
          i,
        ]);
      return k;
    });
    refs.forEach((k, i) => {
      const first = refs.indexOf(k);
      if (k !== undefined && first !== i)
        problem(
          rule,
          'CORRELATION_INVALID',
          `"${rule.rules[i] ?? ''}" and "${rule.rules[first] ?? ''}" are the same rule; list it once`,
          ['correlation', 'rules', i],
        );
    });
    const aliasFields = resolveAliases(rule, refs, resolve, problem);
    const entry: ResolvedCorrelation = { rule, key, refs, aliasFields, rank: 0 };
    const prev = byKey.get(key);
    if (prev)
      problem(
        rule,
        'CORRELATION_INVALID',
        `"${key}" is also the key of correlation "${prev.rule.title}"; give each an id or name`,
        [],
      );
    else byKey.set(key, entry);
    resolved.push(entry);
  }
  findCycles(resolved, byKey, problem);
  if (!problems.some((p) => p.severity === 'error')) assignRanks(resolved, byKey);
  return { resolved, problems };
}

function resolveAliases(
  rule: CorrelationRule,
  refs: readonly (string | undefined)[],
  resolve: RuleResolver,
  problem: (
    rule: CorrelationRule,
    code: ErrorCode,
    message: string,
    path: (string | number)[],
    severity?: Severity,
  ) => void,
): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [alias, perRule] of Object.entries(rule.aliases)) {
    const fields = new Map<string, string>();
    for (const [ref, field] of Object.entries(perRule)) {
      const path = ['correlation', 'aliases', alias, ref];
      const k = resolve(ref);
      if (k === undefined)
        problem(rule, 'CORRELATION_RULE_UNRESOLVED', `alias "${alias}" names "${ref}", which is not loaded`, path);
      else if (!refs.includes(k))
        problem(
          rule,
          'CORRELATION_INVALID',
          `alias "${alias}" names "${ref}", which this correlation does not reference`,
          path,
        );
      else fields.set(k, field);
    }
    // Spec "Field Name Aliases" does not say what happens to a rule the alias
    // leaves out; we read the alias name itself as the field, and say so.
    rule.rules.forEach((ref, i) => {
      const k = refs[i];
      if (k !== undefined && !fields.has(k) && rule.groupBy.includes(alias))
        problem(
          rule,
          'CORRELATION_INVALID',
          `alias "${alias}" has no field for rule "${ref}"; its hits are grouped by a field named "${alias}"`,
          ['correlation', 'aliases', alias],
          'warning',
        );
    });
    out.set(alias, fields);
  }
  return out;
}

/** Depth-first search; every back edge closes one cycle, reported once, at the reference that closes it. */
function findCycles(
  resolved: readonly ResolvedCorrelation[],
  byKey: ReadonlyMap<string, ResolvedCorrelation>,
  problem: (rule: CorrelationRule, code: ErrorCode, message: string, path: (string | number)[]) => void,
): void {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (c: ResolvedCorrelation): void => {
    state.set(c.key, 'open');
    stack.push(c.key);
    c.refs.forEach((k, i) => {
      const next = k === undefined ? undefined : byKey.get(k);
      if (!next) return;
      const s = state.get(next.key);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next.key)), next.key];
        problem(c.rule, 'CORRELATION_CYCLE', `correlation cycle: ${cycle.join(' → ')}`, ['correlation', 'rules', i]);
      } else if (s === undefined) visit(next);
    });
    stack.pop();
    state.set(c.key, 'done');
  };
  for (const c of resolved) if (!state.has(c.key)) visit(c);
}

function assignRanks(resolved: readonly ResolvedCorrelation[], byKey: ReadonlyMap<string, ResolvedCorrelation>): void {
  const memo = new Map<string, number>();
  const rank = (c: ResolvedCorrelation): number => {
    const known = memo.get(c.key);
    if (known !== undefined) return known;
    let r = 0;
    for (const k of c.refs) {
      const child = k === undefined ? undefined : byKey.get(k);
      if (child) r = Math.max(r, rank(child) + 1);
    }
    memo.set(c.key, r);
    return r;
  };
  for (const c of resolved) c.rank = rank(c);
}

/** Every unresolved reference, duplicate key and cycle among `rules`; empty when the graph is sound. */
export function checkCorrelationGraph(rules: readonly CorrelationRule[], resolve: RuleResolver): DockguardError[] {
  return resolveCorrelations(rules, resolve).problems;
}
