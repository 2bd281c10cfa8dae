/**
 * The hot path: which detection rules match an event.
 *
 * Most rules cannot match most events. Each rule states, through its IR, a set
 * of literals at least one of which a matching event must contain (in a given
 * field). One Aho–Corasick automaton per field finds all such literals of all
 * rules in one pass over the lower-cased value; only the rules whose literal was
 * found, plus the rules without one, are evaluated.
 */
import { AhoCorasick } from './aho-corasick';
import { EventContext } from './event-context';
import { selectLogsource, type Logsource, type LogsourceConfig, type LogsourceEntry } from './logsource-config';
import { FieldCollector, FieldPlan } from './field-plan';
import { leafFields, MAX_CLAUSES } from './ir';
import type { DetectionRule } from './rule-types';

interface FieldIndex {
  field: string | null;
  ac: AhoCorasick;
  /** needle id → clause slots (rule index × MAX_CLAUSES + clause index) */
  owners: number[][];
  /** clause slots satisfied by the field having any value (the empty needle) */
  presence: number[];
  /** per needle: the last event it was found in (each needle counts once per event) */
  seen: Uint32Array;
}

export interface RuleSetStats {
  rules: number;
  indexedRules: number;
  alwaysEvaluated: number;
  indexedFields: number;
  automatonNodes: number;
  unmappedRules: number;
}

export class RuleSet {
  readonly rules: readonly DetectionRule[];
  private readonly indexes: FieldIndex[] = [];
  /** Every field the rules read, walked once per event. */
  readonly plan: FieldPlan;
  /** plan field id → the index of that field */
  private readonly indexById: Array<FieldIndex | undefined> = [];
  private readonly collector: FieldCollector;
  /** the index of keyword searches (literals looked for in any field) */
  private keywordIndex: FieldIndex | undefined;
  private readonly always: number[] = [];
  /** per rule: indexes of the logsource entries that apply to it (null: no configuration) */
  private readonly entriesOf: Array<number[] | null>;
  private readonly entries: LogsourceEntry[] = [];
  /** per event, each entry's condition is evaluated at most once */
  private readonly entryStamp: Uint32Array;
  private readonly entryResult: Uint8Array;
  private readonly effectiveLogsource: Logsource[];
  private readonly stamp: Uint32Array;
  /** per rule: how many clauses it has, and how many the current event satisfied */
  private readonly clauseCount: Uint8Array;
  private readonly satisfied: Uint8Array;
  private readonly clauseStamp: Uint32Array;
  private epoch = 0;
  readonly unmapped: DetectionRule[] = [];

  constructor(rules: readonly DetectionRule[], logsources: readonly LogsourceConfig[] = []) {
    this.rules = rules;
    this.stamp = new Uint32Array(rules.length);
    this.clauseCount = new Uint8Array(rules.length);
    this.satisfied = new Uint8Array(rules.length);
    this.clauseStamp = new Uint32Array(rules.length * MAX_CLAUSES);
    this.entriesOf = [];
    const entryIds = new Map<LogsourceEntry, number>();
    this.effectiveLogsource = [];
    for (const r of rules) {
      if (logsources.length === 0) {
        this.entriesOf.push(null);
        this.effectiveLogsource.push(r.logsource);
        continue;
      }
      const sel = selectLogsource(logsources, r.logsource);
      this.effectiveLogsource.push(sel.logsource);
      if (!sel.mapped) this.unmapped.push(r);
      this.entriesOf.push(
        sel.entries.map((e) => {
          let id = entryIds.get(e);
          if (id === undefined) {
            id = this.entries.length;
            entryIds.set(e, id);
            this.entries.push(e);
          }
          return id;
        }),
      );
    }
    this.entryStamp = new Uint32Array(this.entries.length);
    this.entryResult = new Uint8Array(this.entries.length);
    const byField = new Map<
      string | null,
      { ac: AhoCorasick; ids: Map<string, number>; owners: number[][]; presence: number[] }
    >();
    rules.forEach((r, ri) => {
      if (r.clauses.length === 0) {
        this.always.push(ri);
        return;
      }
      this.clauseCount[ri] = r.clauses.length;
      r.clauses.forEach((clause, ci) => {
        for (const n of clause) {
          let fi = byField.get(n.field);
          if (!fi) {
            fi = { ac: new AhoCorasick(), ids: new Map(), owners: [], presence: [] };
            byField.set(n.field, fi);
          }
          const slot = ri * MAX_CLAUSES + ci;
          if (n.text === '') {
            if (fi.presence[fi.presence.length - 1] !== slot) fi.presence.push(slot);
            continue;
          }
          let id = fi.ids.get(n.text);
          if (id === undefined) {
            id = fi.owners.length;
            fi.ids.set(n.text, id);
            fi.owners.push([]);
            fi.ac.add(n.text, id);
          }
          const owners = fi.owners[id] as number[];
          if (owners[owners.length - 1] !== slot) owners.push(slot);
        }
      });
    });
    for (const [field, fi] of byField) {
      fi.ac.build();
      const ix = {
        field,
        ac: fi.ac,
        owners: fi.owners,
        presence: fi.presence,
        seen: new Uint32Array(fi.owners.length),
      };
      this.indexes.push(ix);
    }
    const fields = new Set<string>();
    for (const ix of this.indexes) if (ix.field !== null) fields.add(ix.field);
    for (const r of rules) leafFields(r.node, fields);
    this.plan = new FieldPlan(fields);
    this.collector = new FieldCollector(this.plan);
    for (const ix of this.indexes) {
      if (ix.field === null) this.keywordIndex = ix;
      else this.indexById[this.plan.ids.get(ix.field) as number] = ix;
    }
  }

  /** Whether rule `ri`'s logsource admits the event (any applicable entry's conditions hold). */
  private applies(ri: number, ctx: EventContext, fresh = false): boolean {
    const ids = this.entriesOf[ri];
    if (ids === null || ids === undefined) return true;
    for (const id of ids) {
      if (fresh || this.entryStamp[id] !== this.epoch) {
        this.entryStamp[id] = this.epoch;
        this.entryResult[id] = (this.entries[id] as LogsourceEntry).condition(ctx) ? 1 : 0;
      }
      if (this.entryResult[id] === 1) return true;
    }
    return false;
  }

  stats(): RuleSetStats {
    return {
      rules: this.rules.length,
      indexedRules: this.rules.length - this.always.length,
      alwaysEvaluated: this.always.length,
      indexedFields: this.indexes.length,
      automatonNodes: this.indexes.reduce((s, i) => s + i.ac.size, 0),
      unmappedRules: this.unmapped.length,
    };
  }

  /** The logsource of a rule after the configuration's rewrites. */
  logsourceOf(ruleIndex: number): Logsource {
    return this.effectiveLogsource[ruleIndex] ?? {};
  }

  /** Indexes (into `rules`) of the rules that match, in rule order. */
  matchIndexes(event: unknown, ctx: EventContext = new EventContext(event)): number[] {
    const epoch = ++this.epoch;
    if (epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.clauseStamp.fill(0);
      for (const ix of this.indexes) ix.seen.fill(0);
      this.epoch = 1;
    }
    const stamp = this.stamp;
    const candidates: number[] = [];
    for (const ri of this.always) {
      stamp[ri] = this.epoch;
      candidates.push(ri);
    }
    const e = this.epoch;
    const clauseStamp = this.clauseStamp;
    const satisfied = this.satisfied;
    const clauseCount = this.clauseCount;
    let owners: number[][] = [];
    // a rule becomes a candidate when a needle of each of its clauses was found
    const mark = (os: readonly number[]): void => {
      for (let k = 0; k < os.length; k++) {
        const slot = os[k] as number;
        if (clauseStamp[slot] === e) continue;
        clauseStamp[slot] = e;
        const ri = (slot / MAX_CLAUSES) | 0;
        if (stamp[ri] !== e) {
          stamp[ri] = e;
          satisfied[ri] = 0;
        }
        const sat = (satisfied[ri] as number) + 1;
        satisfied[ri] = sat;
        if (sat === clauseCount[ri]) candidates.push(ri);
      }
    };
    let seen: Uint32Array = new Uint32Array(0);
    const hit = (id: number): void => {
      if (seen[id] === e) return;
      seen[id] = e;
      mark(owners[id] as number[]);
    };
    const scan = (ix: FieldIndex, strs: readonly string[]): void => {
      if (ix.presence.length > 0) mark(ix.presence);
      owners = ix.owners;
      seen = ix.seen;
      for (let k = 0; k < strs.length; k++) ix.ac.scanText(strs[k] as string, hit);
    };
    // one walk over the event collects every field any rule reads and, when
    // keyword searches exist, hands every scalar to their automaton on the way
    const kw = this.keywordIndex;
    let onString: ((s: string) => void) | undefined;
    if (kw) {
      if (kw.presence.length > 0) mark(kw.presence);
      const kwHit = (id: number): void => {
        if (kw.seen[id] === e) return;
        kw.seen[id] = e;
        mark(kw.owners[id] as number[]);
      };
      onString = (str) => kw.ac.scanText(str, kwHit);
    }
    const collected = this.collector.collect(event, onString);
    ctx.prime(this.plan, collected);
    const fieldNames = this.plan.fields;
    for (const id of collected.found) {
      const ix = this.indexById[id];
      if (ix === undefined) continue;
      const fv = ctx.field(fieldNames[id] as string);
      if (fv.strs.length > 0) scan(ix, fv.strs);
    }
    candidates.sort((a, b) => a - b);
    const out: number[] = [];
    for (const ri of candidates) {
      if (!this.applies(ri, ctx)) continue;
      if ((this.rules[ri] as DetectionRule).predicate(ctx)) out.push(ri);
    }
    return out;
  }

  match(event: unknown): DetectionRule[] {
    return this.matchIndexes(event).map((i) => this.rules[i] as DetectionRule);
  }

  /** Reference implementation without the index, for tests: evaluates every rule. */
  matchAllNaive(event: unknown): number[] {
    const ctx = new EventContext(event);
    const out: number[] = [];
    this.rules.forEach((r, ri) => {
      if (!this.applies(ri, ctx, true)) return;
      if (r.predicate(ctx)) out.push(ri);
    });
    return out;
  }
}
