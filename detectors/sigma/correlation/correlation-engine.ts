/**
 * Runs Sigma correlation rules (sigma-correlation-rules-specification v2.1.0)
 * incrementally over detection-rule matches ("hits") given in event-time order.
 * Pure: no clock (time comes with each hit or `advance`), no I/O, and no
 * per-group data of its own — all of it lives in the CorrelationStateStore, so a
 * restarted engine with the same store continues where the last one stopped.
 *
 * Semantics, our choices where the spec is silent:
 * - Group key: the tuple of group-by values, compared as strings. Fields are read
 *   like detection fields (top-level key, then dotted path). A group-by name that
 *   is an alias reads the field the alias gives for the rule that produced the
 *   hit (spec "Field Name Aliases"); a missing field groups under null.
 * - Windows slide in event time. For conditions decided on each hit, a group
 *   keeps the hits with time in (t - timespan, t], t its newest hit; older ones are
 *   dropped, and a hit already older than that is dropped as late. A group keeps at
 *   most maxEventsPerGroup hits (oldest dropped, counted).
 * - Aggregates: event_count counts hits; value_count counts distinct values of
 *   `field` (a tuple when several); value_sum and value_avg use a numeric `field`;
 *   value_percentile is the share, in percent, of the window's hits whose `field`
 *   equals the current hit's (a rare-value detector); temporal counts distinct
 *   referenced rules; temporal_ordered counts the longest prefix of `rules` seen in
 *   time order (equal times are in arrival order). value_* correlations ignore hits
 *   without a usable value. Temporal types without a condition need all rules.
 * - Conditions of only gt/gte, and all value_avg/value_percentile conditions, are
 *   evaluated on each hit: when true, one match carries every hit of the window,
 *   and the window is cleared so the same hits never alert twice.
 * - Conditions with lt, lte, eq or neq (other types) can still turn false while
 *   the window is open, so they are decided when it closes: once the watermark
 *   (the newest time seen, by `onHit` or `advance`) reaches oldest + timespan, the
 *   window [oldest, oldest + timespan) is evaluated. If the condition holds, the
 *   window's hits make one match and are removed (no duplicate alert for the same
 *   hits); if not, only the oldest hit is removed and the next window is tried.
 *   `flush` closes every such window. A window holds at least one hit, so "fewer
 *   than N" means "at least one and fewer than N": absence is not detected.
 * - Chaining: a correlation match is a hit of that correlation for those that
 *   reference it; its event is its group object, its time that of its last event,
 *   its events the union of the contributing ones. A match from a window decided on
 *   close arrives late (up to a timespan after its time); a correlation fed by such
 *   matches waits that long (its "grace") before closing or forgetting a window.
 * - An idle group (newest hit + timespan + grace reached by the watermark) is
 *   deleted: no later hit could share its window.
 * - generate: `suppressedRuleKeys()` lists the rules (detections, and correlations
 *   used only as inputs) referenced by a correlation with generate false and by
 *   none with generate true: the caller does not output their own matches.
 */
import { DockguardError } from '../../errors';
import { EventContext } from '../event-context';
import { conditionHolds, type CorrelationRule } from './compile-correlation';
import { resolveCorrelations, type ResolvedCorrelation, type RuleResolver } from './correlation-graph';
import type { CorrelationStateStore, GroupState, StoredHit } from './correlation-state';
import {
  aggregate,
  decidesOnClose,
  fieldComponent,
  type FieldComponent,
  firstAfter,
  firstAtOrAfter,
  insertHit,
  numericValue,
  unionRefs,
  valueKey,
} from './correlation-window';
import { DeadlineHeap, type Deadline } from './deadline-heap';

export interface CorrelationHit {
  /** Canonical key of the detection rule that matched. */
  ruleKey: string;
  ruleId?: string;
  ruleName?: string;
  event: unknown;
  /** Caller's reference to the event (e.g. its offset), reported back in matches. */
  eventRef: number;
  /** Event time in ms. */
  time: number;
  /** The detection engine's context of `event`: group-by and value fields are read through it. */
  ctx?: EventContext;
}

export interface CorrelationMatch {
  rule: CorrelationRule;
  ruleKey: string;
  /** group-by name (alias names where aliases are used) → value. */
  group: Record<string, unknown>;
  /** Sorted, unique references of every contributing event. */
  eventRefs: number[];
  /** Time of the last contributing event. */
  time: number;
  /** The aggregate that met the condition. */
  value?: number;
}

export interface CorrelationEngineOptions {
  /** Most hits kept per group; default 10,000. */
  maxEventsPerGroup?: number;
}

export interface CorrelationCounters {
  hits: number;
  matches: number;
  /** Hits dropped because a group held maxEventsPerGroup. */
  droppedGroupCap: number;
  /** Hits already outside their group's window when they arrived. */
  droppedLate: number;
  /** Hits a value_* correlation could not use (field absent or not numeric). */
  ignoredNoValue: number;
  /** Hits or watermarks whose time is not a finite number. */
  ignoredInvalidTime: number;
}

export const DEFAULT_MAX_EVENTS_PER_GROUP = 10_000;

interface Compiled extends ResolvedCorrelation {
  refs: string[];
  onClose: boolean;
  span: number;
  /** How late (event time) matches of correlations feeding this one can arrive. */
  grace: number;
  /** `[<key as JSON>,[`: the start of every group key of this correlation (see groupKey). */
  keyPrefix: string;
  /** group keys by their components' keys, one Map level per group-by field (see groupKey) */
  keyMemo: Map<unknown, unknown>;
  keyMemoSize: number;
}

interface Hit {
  ruleKey: string;
  event: unknown;
  refs: number[];
  time: number;
  ctx?: EventContext;
}

/** A group key memo's stand-in for a missing group-by value (Map keys cannot tell null from a field named so). */
const NO_VALUE = Symbol('no value');
/** Where a group key memo's last level holds the key. */
const KEY = Symbol('key');
/** Group keys remembered per correlation before its memo is emptied. */
const KEY_MEMO_MAX = 10_000;

/**
 * The state key of a group: `JSON.stringify([c.key, comps.map((x) => x.key)])`,
 * the format the changelog holds, built from a prefix instead of an array per hit.
 * Groups recur (the same clients), so keys whose components are single values are
 * remembered, one Map level per component: the same string comes back, with its
 * hash already computed for the state store's lookup. Bounded: emptied when full.
 */
function groupKey(c: Compiled, comps: readonly { key: string | string[] | null }[]): string {
  const single = comps.every((x) => !Array.isArray(x.key));
  let node: Map<unknown, unknown> | undefined = single ? c.keyMemo : undefined;
  for (let i = 0; i < comps.length && node !== undefined; i++)
    node = node.get((comps[i] as { key: string | null }).key ?? NO_VALUE) as Map<unknown, unknown> | undefined;
  const known = node?.get(KEY) as string | undefined;
  if (known !== undefined) return known;
  let key = c.keyPrefix;
  for (let i = 0; i < comps.length; i++) key += (i > 0 ? ',' : '') + JSON.stringify((comps[i] as { key: unknown }).key);
  key += ']]';
  if (!single) return key;
  if (c.keyMemoSize >= KEY_MEMO_MAX) {
    c.keyMemo = new Map();
    c.keyMemoSize = 0;
  }
  let level = c.keyMemo;
  for (const x of comps) {
    const k = x.key ?? NO_VALUE;
    let next = level.get(k) as Map<unknown, unknown> | undefined;
    if (next === undefined) {
      next = new Map();
      level.set(k, next);
    }
    level = next;
  }
  level.set(KEY, key);
  c.keyMemoSize++;
  return key;
}

export class CorrelationEngine {
  private readonly byKey = new Map<string, Compiled>();
  private readonly byRef = new Map<string, { c: Compiled; r: number }[]>();
  private readonly suppressed = new Set<string>();
  private readonly heap = new DeadlineHeap();
  private readonly maxEvents: number;
  private watermark = -Infinity;
  /** A save since the flag was cleared pushed a deadline the watermark has already reached. */
  private dueSaved = false;
  readonly counters: CorrelationCounters = {
    hits: 0,
    matches: 0,
    droppedGroupCap: 0,
    droppedLate: 0,
    ignoredNoValue: 0,
    ignoredInvalidTime: 0,
  };

  constructor(
    rules: readonly CorrelationRule[],
    private readonly resolve: RuleResolver,
    private readonly store: CorrelationStateStore,
    options: CorrelationEngineOptions = {},
  ) {
    const max = options.maxEventsPerGroup ?? DEFAULT_MAX_EVENTS_PER_GROUP;
    if (!Number.isInteger(max) || max < 1)
      throw new DockguardError({
        stage: 'config',
        code: 'OPTION_INVALID',
        message: `maxEventsPerGroup must be a positive integer, got ${String(max)}`,
      });
    this.maxEvents = max;
    const { resolved, problems } = resolveCorrelations(rules, resolve);
    const errors = problems.filter((p) => p.severity === 'error');
    const first = errors[0];
    if (first)
      throw new DockguardError({
        stage: 'compile',
        code: first.code,
        message: errors.length > 1 ? `${first.message} (and ${errors.length - 1} more problems)` : first.message,
        location: first.location,
        cause: errors,
      });
    // ranks order children before parents, so grace can be computed in one pass
    for (const r of [...resolved].sort((a, b) => a.rank - b.rank)) {
      let grace = 0;
      for (const k of r.refs) {
        const child = k === undefined ? undefined : this.byKey.get(k);
        if (child) grace = Math.max(grace, child.grace + (child.onClose ? child.span : 0));
      }
      const c: Compiled = {
        ...r,
        refs: r.refs as string[],
        onClose: decidesOnClose(r.rule),
        span: r.rule.timespanMs,
        grace,
        keyPrefix: `[${JSON.stringify(r.key)},[`,
        keyMemo: new Map(),
        keyMemoSize: 0,
      };
      this.byKey.set(c.key, c);
      c.refs.forEach((k, i) => {
        const list = this.byRef.get(k) ?? [];
        list.push({ c, r: i });
        this.byRef.set(k, list);
      });
    }
    const kept = new Set<string>();
    for (const c of this.byKey.values()) for (const k of c.refs) (c.rule.generate ? kept : this.suppressed).add(k);
    for (const k of kept) this.suppressed.delete(k);
    this.rebuildHeap();
  }

  /** Feeds one detection-rule match; returns the correlation matches it completes (chained ones included). */
  onHit(hit: CorrelationHit): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    if (!Number.isFinite(hit.time)) {
      this.counters.ignoredInvalidTime++;
      return out;
    }
    this.counters.hits++;
    this.advanceTo(hit.time, out);
    let ruleKey = hit.ruleKey;
    if (!this.byRef.has(ruleKey)) {
      // a caller may key rules differently; the id or name still identifies them
      const alt = [hit.ruleId, hit.ruleName].map((r) => (r === undefined ? undefined : this.resolve(r)));
      ruleKey = alt.find((k) => k !== undefined && this.byRef.has(k)) ?? ruleKey;
    }
    // unreferenced rules (most hits of most rules) route nowhere: nothing to save, nothing due
    if (!this.byRef.has(ruleKey)) return out;
    this.dueSaved = false;
    this.route({ ruleKey, event: hit.event, refs: [hit.eventRef], time: hit.time, ctx: hit.ctx }, out);
    // a late hit may have opened an already-due window
    if (this.dueSaved) this.drain(this.watermark, false, out);
    return out;
  }

  /** Event time moved to `time` without a hit (a watermark): closes the windows that ended. */
  advance(time: number): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    if (Number.isNaN(time)) this.counters.ignoredInvalidTime++;
    else this.advanceTo(time, out);
    return out;
  }

  /** End of stream: decides every window that waits for its close. Groups decided on each hit are kept. */
  flush(): CorrelationMatch[] {
    const out: CorrelationMatch[] = [];
    this.drain(Infinity, true, out);
    return out;
  }

  suppressedRuleKeys(): Set<string> {
    return new Set(this.suppressed);
  }

  /** The key under which a loaded correlation keeps its state and is referenced. */
  keyOf(rule: CorrelationRule): string | undefined {
    for (const c of this.byKey.values()) if (c.rule === rule) return c.key;
    return undefined;
  }

  private advanceTo(time: number, out: CorrelationMatch[]): void {
    if (time > this.watermark) this.watermark = time;
    this.drain(this.watermark, false, out);
  }

  private route(hit: Hit, out: CorrelationMatch[]): void {
    const targets = this.byRef.get(hit.ruleKey);
    if (!targets) return;
    const ctx = hit.ctx ?? new EventContext(hit.event);
    for (const { c, r } of targets) this.feed(c, r, hit, ctx, out);
  }

  private feed(c: Compiled, r: number, hit: Hit, ctx: EventContext, out: CorrelationMatch[]): void {
    const stored: StoredHit = { t: hit.time, e: hit.refs, r };
    const { type, fields } = c.rule;
    if (type === 'value_count' || type === 'value_percentile') {
      const v = valueKey(ctx, fields);
      if (v === undefined) return void this.counters.ignoredNoValue++;
      stored.v = v;
    } else if (type === 'value_sum' || type === 'value_avg') {
      const n = numericValue(ctx, fields[0] ?? '');
      if (n === undefined) return void this.counters.ignoredNoValue++;
      stored.n = n;
    }
    const groupBy = c.rule.groupBy;
    const comps: FieldComponent[] = [];
    for (const g of groupBy) comps.push(fieldComponent(ctx, c.aliasFields.get(g)?.get(hit.ruleKey) ?? g));
    const key = groupKey(c, comps);
    let state = this.store.get(key);
    if (state === undefined || state.rule !== c.key) {
      const group: GroupState['group'] = {};
      groupBy.forEach((g, i) => (group[g] = comps[i]?.raw ?? null));
      state = { v: 1, rule: c.key, group, hits: [], dropped: 0 };
    }
    const hits = state.hits;
    insertHit(hits, stored);
    if (!c.onClose) {
      const newest = (hits[hits.length - 1] as StoredHit).t;
      const cut = firstAfter(hits, newest - c.span);
      if (cut > 0) hits.splice(0, cut);
      if (stored.t <= newest - c.span) {
        this.counters.droppedLate++;
        return this.save(c, key, state);
      }
    }
    if (hits.length > this.maxEvents) {
      const over = hits.length - this.maxEvents;
      hits.splice(0, over);
      state.dropped += over;
      this.counters.droppedGroupCap += over;
    }
    if (c.onClose) return this.save(c, key, state); // decided by drain()
    const value = aggregate(c.rule, hits, stored);
    if (value !== undefined && conditionHolds(c.rule.condition, value)) {
      this.store.delete(key);
      this.emit(c, state, hits, value, out);
    } else this.save(c, key, state);
  }

  /** Closes, in deadline order, every window due by `limit`; `closeOnly` keeps idle groups. */
  private drain(limit: number, closeOnly: boolean, out: CorrelationMatch[]): void {
    const kept: Deadline[] = [];
    for (let top = this.heap.peek(); top !== undefined && top.deadline <= limit; top = this.heap.peek()) {
      this.heap.pop();
      const state = this.store.get(top.key);
      const c = state === undefined ? undefined : this.byKey.get(state.rule);
      if (!state || !c || this.deadlineOf(c, state) !== top.deadline) continue; // stale entry
      if (c.onClose) this.closeOldest(c, top.key, state, out);
      else if (closeOnly) kept.push(top);
      else this.store.delete(top.key);
    }
    for (const k of kept) this.heap.push(k);
  }

  /** Decides the window [oldest, oldest + timespan) of a group. */
  private closeOldest(c: Compiled, key: string, state: GroupState, out: CorrelationMatch[]): void {
    const hits = state.hits;
    const oldest = (hits[0] as StoredHit).t;
    const end = firstAtOrAfter(hits, oldest + c.span);
    const window = hits.slice(0, end);
    const value = aggregate(c.rule, window);
    if (value !== undefined && conditionHolds(c.rule.condition, value)) {
      hits.splice(0, end);
      this.save(c, key, state);
      this.emit(c, state, window, value, out);
    } else {
      hits.shift();
      this.save(c, key, state);
    }
  }

  private emit(c: Compiled, state: GroupState, hits: StoredHit[], value: number, out: CorrelationMatch[]): void {
    // the caller gets copies: nothing it does to a match can reach the stored state
    const group: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state.group)) group[k] = Array.isArray(v) ? [...v] : v;
    const eventRefs = unionRefs(hits);
    const match: CorrelationMatch = {
      rule: c.rule,
      ruleKey: c.key,
      group,
      eventRefs,
      time: (hits[hits.length - 1] as StoredHit).t,
      value,
    };
    this.counters.matches++;
    out.push(match);
    this.route({ ruleKey: c.key, event: state.group, refs: [...eventRefs], time: match.time }, out);
  }

  private deadlineOf(c: Compiled, state: GroupState): number {
    const h = c.onClose ? state.hits[0] : state.hits[state.hits.length - 1];
    return h === undefined ? Infinity : h.t + c.span + c.grace;
  }

  private save(c: Compiled, key: string, state: GroupState): void {
    if (state.hits.length === 0) {
      this.store.delete(key);
      return;
    }
    this.store.set(key, state);
    const deadline = this.deadlineOf(c, state);
    if (deadline <= this.watermark) this.dueSaved = true;
    this.heap.push({ deadline, rank: c.rank, key });
    // every update pushes an entry and stale ones are only skipped when popped:
    // rebuild once they outnumber live groups, so the heap stays O(store size)
    if (this.heap.size > 2 * this.store.size + 1024) this.rebuildHeap();
  }

  private rebuildHeap(): void {
    this.heap.clear();
    for (const key of [...this.store.keys()]) {
      const state = this.store.get(key);
      const c = state === undefined ? undefined : this.byKey.get(state.rule);
      if (state && c && state.hits.length > 0)
        this.heap.push({ deadline: this.deadlineOf(c, state), rank: c.rank, key });
    }
  }
}
