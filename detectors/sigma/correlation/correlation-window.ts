/**
 * Pure functions over one group's window: reading group and value fields from an
 * event, keeping hits in time order, and the aggregate of each correlation type.
 * The semantics they implement are described in correlation-engine.ts.
 */
import { scalarString, type EventContext } from '../event-context';
import { isLowerBoundOnly, type CorrelationRule } from './compile-correlation';
import type { GroupValue, StoredHit } from './correlation-state';

/**
 * Whether windows are decided when they close rather than on each hit. A
 * condition with an upper bound (lt, lte) or eq/neq can still turn false when
 * another hit arrives, so it can only be judged once no hit can join the window.
 * value_avg and value_percentile are judged on every hit by definition (ours).
 */
export function decidesOnClose(rule: CorrelationRule): boolean {
  if (rule.type === 'value_avg' || rule.type === 'value_percentile') return false;
  return !isLowerBoundOnly(rule.condition);
}

export interface FieldComponent {
  /** String form used for comparison: one string, several (an array field), or null when absent. */
  key: string | string[] | null;
  /** The value as found, for output; JSON-safe. */
  raw: GroupValue;
}

/** A group-by field the event does not have (shared: never written to). */
const ABSENT: FieldComponent = Object.freeze({ key: null, raw: null });

/** Reads `name` with the detection engine's field resolution (top-level key, then dotted path). */
export function fieldComponent(ctx: EventContext, name: string): FieldComponent {
  const leaves = ctx.field(name).leaves;
  // one string or nothing, the usual cases, without the arrays below
  if (leaves.length === 1) {
    const l = leaves[0];
    if (typeof l === 'string') return { key: l, raw: l };
    if (l === null || l === undefined) return ABSENT;
  } else if (leaves.length === 0) return ABSENT;
  const strs: string[] = [];
  const raws: (string | number | boolean)[] = [];
  for (const leaf of leaves) {
    const s = scalarString(leaf);
    if (s === undefined) continue;
    strs.push(s);
    // bigint and non-finite numbers are not JSON: keep their string form
    raws.push(
      typeof leaf === 'string' || typeof leaf === 'boolean' || (typeof leaf === 'number' && Number.isFinite(leaf))
        ? leaf
        : s,
    );
  }
  if (strs.length === 0) return ABSENT;
  if (strs.length === 1) return { key: strs[0] as string, raw: raws[0] as string | number | boolean };
  return { key: strs, raw: raws };
}

/** Value key of `fields` (a tuple when several: spec "linked by an AND"); undefined when one is absent. */
export function valueKey(ctx: EventContext, fields: readonly string[]): string | undefined {
  const keys: (string | string[])[] = [];
  for (const f of fields) {
    const k = fieldComponent(ctx, f).key;
    if (k === null) return undefined;
    keys.push(k);
  }
  return JSON.stringify(keys);
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * The number in `field`: a finite number, or a string that spells one (JSON
 * collectors often send counters as strings). A field with several values is
 * ambiguous (which one is "the" byte count?) and is ignored like a missing one.
 */
export function numericValue(ctx: EventContext, field: string): number | undefined {
  const leaves = ctx.field(field).leaves;
  if (leaves.length !== 1) return undefined;
  const l = leaves[0];
  if (typeof l === 'number') return Number.isFinite(l) ? l : undefined;
  if (typeof l === 'string' && NUMERIC.test(l)) {
    const n = Number(l);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Index of the first hit with time > `t` (hits are sorted by time). */
export function firstAfter(hits: readonly StoredHit[], t: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((hits[mid] as StoredHit).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first hit with time >= `t`. */
export function firstAtOrAfter(hits: readonly StoredHit[], t: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((hits[mid] as StoredHit).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts after every hit of the same or an earlier time, so equal times keep arrival order. */
export function insertHit(hits: StoredHit[], h: StoredHit): void {
  const at = firstAfter(hits, h.t);
  if (at === hits.length) hits.push(h);
  else hits.splice(at, 0, h);
}

/**
 * The aggregate a condition is compared with, or undefined when there is none
 * (no numeric value for an average; no current value for a percentile).
 * `current` is the hit being evaluated (value_percentile only).
 */
export function aggregate(rule: CorrelationRule, hits: readonly StoredHit[], current?: StoredHit): number | undefined {
  switch (rule.type) {
    case 'event_count':
      return hits.length;
    case 'value_count': {
      const seen = new Set<string>();
      for (const h of hits) if (h.v !== undefined) seen.add(h.v);
      return seen.size;
    }
    case 'value_sum': {
      let sum = 0;
      for (const h of hits) if (h.n !== undefined) sum += h.n;
      return sum;
    }
    case 'value_avg': {
      let sum = 0;
      let n = 0;
      for (const h of hits)
        if (h.n !== undefined) {
          sum += h.n;
          n++;
        }
      return n === 0 ? undefined : sum / n;
    }
    case 'value_percentile': {
      if (current?.v === undefined) return undefined;
      let total = 0;
      let same = 0;
      for (const h of hits)
        if (h.v !== undefined) {
          total++;
          if (h.v === current.v) same++;
        }
      return total === 0 ? undefined : (same * 100) / total;
    }
    case 'temporal':
      return new Set(hits.map((h) => h.r)).size;
    case 'temporal_ordered': {
      // Longest prefix of `rules` found as a subsequence of the hits in time
      // order; matching each rule at its earliest possible hit is optimal.
      let next = 0;
      for (const h of hits) if (h.r === next) next++;
      return next;
    }
  }
}

/** Sorted, unique union of the hits' event references. */
export function unionRefs(hits: readonly StoredHit[]): number[] {
  const all = new Set<number>();
  for (const h of hits) for (const e of h.e) all.add(e);
  return [...all].sort((a, b) => a - b);
}
