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
import { MAX_CLAUSES } from './ir';
import type { DetectionRule } from './rule-types';

interface FieldIndex {
  field: string | null;
  ac: AhoCorasick;
  /** needle id → clause slots (rule index × MAX_CLAUSES + clause index) */
  owners: number[][];
  /** clause slots satisfied by the field having any value (the empty needle) */
  presence: number[];
  /** first segment of a dotted field name */
  head: string;
}

const hasOwn = Object.prototype.hasOwnProperty;

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
  /** Indexes of plain field names, found by walking the event's own keys. */
  private readonly byKey = new Map<string, FieldIndex>();
  /** Indexes of dotted names (nested paths) and of keyword searches, resolved one by one. */
  private readonly resolved: FieldIndex[] = [];
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
      const ix = { field, ac: fi.ac, owners: fi.owners, presence: fi.presence, head: field?.split('.')[0] ?? '' };
      this.indexes.push(ix);
      if (field !== null && !field.includes('.')) this.byKey.set(field, ix);
      else this.resolved.push(ix);
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
    const hit = (id: number): void => mark(owners[id] as number[]);
    const scan = (ix: FieldIndex, lowers: readonly string[]): void => {
      if (ix.presence.length > 0) mark(ix.presence);
      owners = ix.owners;
      for (let k = 0; k < lowers.length; k++) ix.ac.scan(lowers[k] as string, hit);
    };
    if (this.byKey.size > 0 && event !== null && typeof event === 'object') {
      for (const key in event) {
        const ix = this.byKey.get(key);
        if (ix === undefined) continue;
        const fv = ctx.field(key);
        if (fv.strs.length > 0) scan(ix, fv.lowers);
      }
    }
    const isObject = event !== null && typeof event === 'object';
    for (const ix of this.resolved) {
      const f = ix.field;
      // a dotted name resolves only through its whole key or its first segment
      if (f !== null && !(isObject && (hasOwn.call(event, f) || hasOwn.call(event, ix.head)))) continue;
      const fv = f === null ? ctx.anyField() : ctx.field(f);
      if (fv.strs.length > 0) scan(ix, fv.lowers);
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
