/**
 * The prefilter over a group of rules: which of them can match an event.
 *
 * Each rule states, through its IR, clauses of literals (ir.requiredClauses):
 * every match contains a literal of every clause, in a given field. One
 * Aho–Corasick automaton per field finds all literals of all rules in one pass
 * over the field's value; a rule becomes a candidate once every one of its
 * clauses has been seen. Rules without clauses are always candidates. Events are
 * walked once, along the plan of the fields the group reads (field-plan.ts).
 */
import { AhoCorasick } from './aho-corasick';
import type { EventContext } from './event-context';
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
  /** whole-value needles: folded value → clause slots (a hash lookup, no scan) */
  exact: Map<string, number[]>;
  /** whether any substring needle needs the automaton */
  scans: boolean;
}

/** Per-rule clause bookkeeping, shared by every index of a rule set. */
export class ClauseState {
  readonly stamp: Uint32Array;
  readonly satisfied: Uint8Array;
  readonly clauseStamp: Uint32Array;
  readonly clauseCount: Uint8Array;

  constructor(rules: readonly DetectionRule[]) {
    this.stamp = new Uint32Array(rules.length);
    this.satisfied = new Uint8Array(rules.length);
    this.clauseStamp = new Uint32Array(rules.length * MAX_CLAUSES);
    this.clauseCount = new Uint8Array(rules.length);
    rules.forEach((r, ri) => (this.clauseCount[ri] = r.clauses.length));
  }

  reset(): void {
    this.stamp.fill(0);
    this.clauseStamp.fill(0);
  }
}

export class LiteralIndex {
  readonly indexes: FieldIndex[] = [];
  readonly plan: FieldPlan;
  readonly always: number[] = [];
  private readonly indexById: Array<FieldIndex | undefined> = [];
  private readonly collector: FieldCollector;
  private keywordIndex: FieldIndex | undefined;

  /** `members`: indexes into `rules` of the rules this index serves. */
  constructor(
    rules: readonly DetectionRule[],
    members: readonly number[],
    private readonly state: ClauseState,
  ) {
    const byField = new Map<
      string | null,
      {
        ac: AhoCorasick;
        ids: Map<string, number>;
        owners: number[][];
        presence: number[];
        exact: Map<string, number[]>;
      }
    >();
    const fields = new Set<string>();
    for (const ri of members) {
      const r = rules[ri] as DetectionRule;
      leafFields(r.node, fields);
      if (r.clauses.length === 0) {
        this.always.push(ri);
        continue;
      }
      r.clauses.forEach((clause, ci) => {
        for (const n of clause) {
          let fi = byField.get(n.field);
          if (!fi) {
            fi = { ac: new AhoCorasick(), ids: new Map(), owners: [], presence: [], exact: new Map() };
            byField.set(n.field, fi);
          }
          const slot = ri * MAX_CLAUSES + ci;
          if (n.exact && n.field !== null) {
            const slots = fi.exact.get(n.text);
            if (!slots) fi.exact.set(n.text, [slot]);
            else if (slots[slots.length - 1] !== slot) slots.push(slot);
            continue;
          }
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
    }
    for (const [field, fi] of byField) {
      fi.ac.build();
      this.indexes.push({
        field,
        ac: fi.ac,
        owners: fi.owners,
        presence: fi.presence,
        seen: new Uint32Array(fi.owners.length),
        exact: fi.exact,
        scans: fi.owners.length > 0,
      });
      if (field !== null) fields.add(field);
    }
    this.plan = new FieldPlan(fields);
    this.collector = new FieldCollector(this.plan);
    for (const ix of this.indexes) {
      if (ix.field === null) this.keywordIndex = ix;
      else this.indexById[this.plan.ids.get(ix.field) as number] = ix;
    }
  }

  resetSeen(): void {
    for (const ix of this.indexes) {
      ix.seen.fill(0);
      ix.ac.resetEpochs();
    }
  }

  /** Pushes onto `out` the rules of this index that can match the event (epoch: the event's stamp). */
  candidates(event: unknown, ctx: EventContext, epoch: number, out: number[]): void {
    const e = epoch;
    const { stamp, satisfied, clauseStamp, clauseCount } = this.state;
    for (const ri of this.always) {
      stamp[ri] = e;
      out.push(ri);
    }
    let owners: number[][] = [];
    // a rule becomes a candidate when a literal of each of its clauses was found
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
        if (sat === clauseCount[ri]) out.push(ri);
      }
    };
    let seen: Uint32Array = new Uint32Array(0);
    const hit = (id: number): void => {
      if (seen[id] === e) return;
      seen[id] = e;
      mark(owners[id] as number[]);
    };
    // one walk over the event collects every field the group reads and, when
    // keyword searches exist, hands every scalar to their automaton on the way
    const kw = this.keywordIndex;
    let onString: ((s: string) => void) | undefined;
    if (kw) {
      if (kw.presence.length > 0) mark(kw.presence);
      // the walk reports keyword hits before any field is scanned: hit() reads the keyword index
      owners = kw.owners;
      seen = kw.seen;
      onString = (str) => kw.ac.scanText(str, hit, e);
    }
    const collected = this.collector.collect(event, onString);
    ctx.prime(this.plan, collected);
    const fieldNames = this.plan.fields;
    for (const id of collected.found) {
      const ix = this.indexById[id];
      if (ix === undefined) continue;
      const strs = ctx.field(fieldNames[id] as string).strs;
      if (strs.length === 0) continue;
      if (ix.presence.length > 0) mark(ix.presence);
      if (ix.exact.size > 0) {
        const lowers = ctx.field(fieldNames[id] as string).lowers;
        for (let k = 0; k < lowers.length; k++) {
          const slots = ix.exact.get(lowers[k] as string);
          if (slots !== undefined) mark(slots);
        }
      }
      if (!ix.scans) continue;
      owners = ix.owners;
      seen = ix.seen;
      for (let k = 0; k < strs.length; k++) ix.ac.scanText(strs[k] as string, hit, e);
    }
  }
}
