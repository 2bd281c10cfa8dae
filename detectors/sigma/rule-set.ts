/**
 * The hot path: which detection rules match an event.
 *
 * Rules are grouped by the logsource entries that admit them (with a logsource
 * configuration; otherwise one group holds every rule). For an event, each entry's
 * condition is evaluated once; only the groups it admits run their literal
 * prefilter (literal-index.ts), and only the candidates it returns are evaluated.
 * Results come in rule order.
 */
import { EventContext } from './event-context';
import { ClauseState, LiteralIndex } from './literal-index';
import { WalkMemo } from './walk-memo';
import { selectLogsource, type Logsource, type LogsourceConfig, type LogsourceEntry } from './logsource-config';
import type { DetectionRule } from './rule-types';

export interface RuleSetStats {
  rules: number;
  indexedRules: number;
  alwaysEvaluated: number;
  indexedFields: number;
  automatonNodes: number;
  unmappedRules: number;
  groups: number;
}

interface Group {
  /** logsource entries admitting the group; null: no configuration, always admitted */
  gate: number[] | null;
  index: LiteralIndex;
}

export class RuleSet {
  readonly rules: readonly DetectionRule[];
  readonly unmapped: DetectionRule[] = [];
  private readonly groups: Group[] = [];
  private readonly entries: LogsourceEntry[] = [];
  /** per rule: indexes of the logsource entries that apply to it (null: no configuration) */
  private readonly entriesOf: Array<number[] | null> = [];
  /** per event, each entry's condition is evaluated at most once */
  private readonly entryStamp: Uint32Array;
  private readonly entryResult: Uint8Array;
  private readonly effectiveLogsource: Logsource[] = [];
  private readonly state: ClauseState;
  private epoch = 0;
  /** guard field → folded value → entries that value admits (see LogsourceEntry.guard) */
  private readonly guards = new Map<string, Map<string, number[]>>();
  /** per entry: guarded or not */
  private readonly guarded: Uint8Array;

  constructor(rules: readonly DetectionRule[], logsources: readonly LogsourceConfig[] = []) {
    this.rules = rules;
    this.state = new ClauseState(rules);
    const entryIds = new Map<LogsourceEntry, number>();
    const byGate = new Map<string, number[]>();
    rules.forEach((r, ri) => {
      if (logsources.length === 0) {
        this.entriesOf.push(null);
        this.effectiveLogsource.push(r.logsource);
        return;
      }
      const sel = selectLogsource(logsources, r.logsource);
      this.effectiveLogsource.push(sel.logsource);
      if (!sel.mapped) {
        this.unmapped.push(r);
        this.entriesOf.push([]);
        return;
      }
      const ids = sel.entries.map((e) => {
        let id = entryIds.get(e);
        if (id === undefined) {
          id = this.entries.length;
          entryIds.set(e, id);
          this.entries.push(e);
        }
        return id;
      });
      ids.sort((a, b) => a - b);
      this.entriesOf.push(ids);
      const key = ids.join(',');
      const members = byGate.get(key);
      if (members) members.push(ri);
      else byGate.set(key, [ri]);
    });
    this.entryStamp = new Uint32Array(this.entries.length);
    this.entryResult = new Uint8Array(this.entries.length);
    this.guarded = new Uint8Array(this.entries.length);
    this.entries.forEach((e, id) => {
      if (!e.guard) return;
      this.guarded[id] = 1;
      let byValue = this.guards.get(e.guard.field);
      if (!byValue) {
        byValue = new Map();
        this.guards.set(e.guard.field, byValue);
      }
      for (const v of e.guard.values) {
        const list = byValue.get(v);
        if (list) list.push(id);
        else byValue.set(v, [id]);
      }
    });
    if (logsources.length === 0) {
      this.groups.push({
        gate: null,
        index: new LiteralIndex(
          rules,
          rules.map((_, i) => i),
          this.state,
        ),
      });
    } else {
      for (const [key, members] of byGate)
        this.groups.push({ gate: key.split(',').map(Number), index: new LiteralIndex(rules, members, this.state) });
    }
    const only = this.groups[0];
    if (this.groups.length === 1 && only !== undefined && only.gate === null && !only.index.keywords)
      this.memo = new WalkMemo();
  }

  /** Results by the walked values (see matchMemo); undefined when the rule set cannot be memoised. */
  private memo: WalkMemo<readonly number[]> | undefined;

  /**
   * Guarded entries whose guard value the event does not have are settled as
   * false for this epoch without evaluating them; the rest stay to be evaluated.
   */
  private settleGuards(ctx: EventContext): void {
    if (this.guards.size === 0) return;
    const epoch = this.epoch;
    // first every guarded entry is false; the event's guard values reopen theirs
    this.guarded.forEach((g, id) => {
      if (g === 1) {
        this.entryStamp[id] = epoch;
        this.entryResult[id] = 0;
      }
    });
    for (const [field, byValue] of this.guards)
      for (const v of ctx.field(field).lowers) {
        const ids = byValue.get(v);
        if (ids) for (const id of ids) this.entryStamp[id] = 0;
      }
  }

  /** Whether entry `id`'s conditions hold for the event of the current epoch. */
  private entryHolds(id: number, ctx: EventContext): boolean {
    if (this.entryStamp[id] !== this.epoch) {
      this.entryStamp[id] = this.epoch;
      this.entryResult[id] = (this.entries[id] as LogsourceEntry).condition(ctx) ? 1 : 0;
    }
    return this.entryResult[id] === 1;
  }

  private admits(gate: readonly number[], ctx: EventContext): boolean {
    for (let i = 0; i < gate.length; i++) if (this.entryHolds(gate[i] as number, ctx)) return true;
    return false;
  }

  stats(): RuleSetStats {
    const idx = this.groups.map((g) => g.index);
    const always = idx.reduce((s, i) => s + i.always.length, 0);
    const mapped = this.rules.length - this.unmapped.length;
    return {
      rules: this.rules.length,
      indexedRules: mapped - always,
      alwaysEvaluated: always,
      indexedFields: idx.reduce((s, i) => s + i.indexes.length, 0),
      automatonNodes: idx.reduce((s, i) => s + i.indexes.reduce((t, x) => t + x.ac.size, 0), 0),
      unmappedRules: this.unmapped.length,
      groups: this.groups.length,
    };
  }

  /** The logsource of a rule after the configuration's rewrites. */
  logsourceOf(ruleIndex: number): Logsource {
    return this.effectiveLogsource[ruleIndex] ?? {};
  }

  private nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.state.reset();
      this.entryStamp.fill(0);
      for (const g of this.groups) g.index.resetSeen();
      this.epoch = 1;
    }
    return this.epoch;
  }

  /** Indexes (into `rules`) of the rules that match, in rule order. */
  matchIndexes(event: unknown, ctx: EventContext = new EventContext(event)): number[] {
    const epoch = this.nextEpoch();
    const memo = this.memo;
    if (memo !== undefined && memo.active()) return this.matchMemo(event, ctx, epoch, memo);
    this.settleGuards(ctx);
    const candidates: number[] = [];
    for (const g of this.groups) {
      if (g.gate !== null && !this.admits(g.gate, ctx)) continue;
      g.index.candidates(event, ctx, epoch, candidates);
    }
    return this.evaluate(candidates, ctx);
  }

  /** The candidates whose predicate holds, in rule order. */
  private evaluate(candidates: number[], ctx: EventContext): number[] {
    candidates.sort((a, b) => a - b);
    const out: number[] = [];
    for (const ri of candidates) if ((this.rules[ri] as DetectionRule).predicate(ctx)) out.push(ri);
    return out;
  }

  /**
   * matchIndexes through the memo (one group, no logsource gates, no keyword
   * searches): the walked values look up an earlier event's result (walk-memo.ts).
   * A result is remembered only when evaluating it read nothing but the walked
   * values (EventContext.offPlan: a field outside the plan read at evaluation
   * time; the plan holds every leaf's field, fieldref targets and the fields of
   * counted groups included); a rule set whose rules do read others is not
   * memoised again.
   */
  private matchMemo(event: unknown, ctx: EventContext, epoch: number, memo: WalkMemo<readonly number[]>): number[] {
    const index = (this.groups[0] as Group).index;
    const walked = index.walk(event);
    const known = memo.get(walked);
    if (known !== undefined) return known.slice();
    const reads = ctx.offPlan;
    const candidates: number[] = [];
    index.candidates(event, ctx, epoch, candidates, true);
    const out = this.evaluate(candidates, ctx);
    if (ctx.offPlan !== reads) this.memo = undefined;
    else memo.set(walked, out.slice());
    return out;
  }

  /** The memo's counts (undefined when this rule set is not memoised): for benchmarks and metrics. */
  memoStats(): { hits: number; misses: number; paused: number } | undefined {
    return this.memo?.stats();
  }

  match(event: unknown): DetectionRule[] {
    return this.matchIndexes(event).map((i) => this.rules[i] as DetectionRule);
  }

  /** Reference implementation without the index, for tests: evaluates every rule. */
  matchAllNaive(event: unknown): number[] {
    const ctx = new EventContext(event);
    this.nextEpoch();
    this.settleGuards(ctx);
    const out: number[] = [];
    this.rules.forEach((r, ri) => {
      const ids = this.entriesOf[ri];
      if (ids !== null && ids !== undefined && !ids.some((id) => this.entryHolds(id, ctx))) return;
      if (r.predicate(ctx)) out.push(ri);
    });
    return out;
  }
}
