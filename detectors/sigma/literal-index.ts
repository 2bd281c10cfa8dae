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
import { makeValues, type EventContext, type FieldValues, type PrimedFields } from './event-context';
import { FieldCollector, FieldPlan, type Collected } from './field-plan';
import { leafFields, MAX_CLAUSES } from './ir';
import type { DetectionRule } from './rule-types';

type Scanner = AhoCorasick;

/**
 * Every character of the folded text of a number (String(n): digits, sign,
 * point, exponent, Infinity, NaN) or boolean: a needle with another character
 * cannot occur in one.
 */
const SCALAR_TEXT_CHARS = '0123456789+-.einfatyrlsu';

interface FieldIndex {
  field: string | null;
  ac: Scanner;
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

export class LiteralIndex implements PrimedFields {
  readonly indexes: FieldIndex[] = [];
  readonly plan: FieldPlan;
  readonly always: number[] = [];
  private readonly indexById: Array<FieldIndex | undefined> = [];
  private readonly collector: FieldCollector;
  private keywordIndex: FieldIndex | undefined;
  /** the shortest keyword needle: shorter values cannot hold one */
  private keywordMinLength = 0;
  /** whether a keyword needle could occur in the text of a number or boolean */
  private keywordScalars = false;

  /** `members`: indexes into `rules` of the rules this index serves. */
  constructor(
    rules: readonly DetectionRule[],
    members: readonly number[],
    private readonly state: ClauseState,
  ) {
    const byField = new Map<
      string | null,
      {
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
            fi = { ids: new Map(), owners: [], presence: [], exact: new Map() };
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
          }
          const owners = fi.owners[id] as number[];
          if (owners[owners.length - 1] !== slot) owners.push(slot);
        }
      });
    }
    for (const [field, fi] of byField) {
      // keyword needles are looked for in every value of the event, one short string
      // after another: no per-string folding for includes()
      const ac = new AhoCorasick(field !== null);
      for (const [text, id] of fi.ids) ac.add(text, id);
      ac.build();
      this.indexes.push({
        field,
        ac,
        owners: fi.owners,
        presence: fi.presence,
        seen: new Uint32Array(fi.owners.length),
        exact: fi.exact,
        scans: fi.owners.length > 0,
      });
      if (field !== null) fields.add(field);
    }
    this.plan = new FieldPlan(fields);
    this.stamps = new Uint32Array(this.plan.fields.length);
    this.collector = new FieldCollector(this.plan);
    for (const ix of this.indexes) {
      if (ix.field === null) {
        this.keywordIndex = ix;
        const texts = [...(byField.get(null)?.ids.keys() ?? [])];
        this.keywordMinLength = texts.length === 0 ? 0 : Math.min(...texts.map((t) => t.length));
        this.keywordScalars = texts.some((t) => [...t].every((c) => SCALAR_TEXT_CHARS.includes(c)));
      } else this.indexById[this.plan.ids.get(ix.field) as number] = ix;
    }
  }

  resetSeen(): void {
    this.stamps.fill(0);
    for (const ix of this.indexes) {
      ix.seen.fill(0);
      ix.ac.resetEpochs();
    }
  }

  /** a rule becomes a candidate when a literal of each of its clauses was found */
  private mark(os: readonly number[]): void {
    const e = this.epoch;
    const { stamp, satisfied, clauseStamp, clauseCount } = this.state;
    const out = this.out;
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
  }

  // per-event state of candidates(), kept on the instance so that the scan
  // callbacks are made once, not per event
  /** the event being matched (PrimedFields: the values and stamps below are its) */
  epoch = 0;
  private out: number[] = [];
  private owners: number[][] = [];
  private seen: Uint32Array = new Uint32Array(0);
  /** per plan id: the values found in the event of `epoch` where stamps[id] === epoch */
  readonly values: FieldValues[] = [];
  readonly stamps: Uint32Array;
  private readonly hit = (id: number): void => {
    const seen = this.seen;
    if (seen[id] === this.epoch) return;
    seen[id] = this.epoch;
    this.mark(this.owners[id] as number[]);
  };
  private readonly onString = (str: string): void => {
    (this.keywordIndex as FieldIndex).ac.scanText(str, this.hit, this.epoch);
  };

  /** Whether keyword searches (every value of the event) are among the index's literals. */
  get keywords(): boolean {
    return this.keywordIndex !== undefined;
  }

  /**
   * The walk alone (no keyword searches: see `keywords`): its fields and values,
   * valid until the next walk; `candidates(…, walked = true)` goes on from it.
   */
  walk(event: unknown): Collected {
    return this.collector.collect(event);
  }

  /**
   * Pushes onto `out` the rules of this index that can match the event (epoch: the
   * event's stamp). `walked`: `walk(event)` was the last walk (no keyword searches).
   */
  candidates(event: unknown, ctx: EventContext, epoch: number, out: number[], walked = false): void {
    const e = epoch;
    this.epoch = e;
    this.out = out;
    const stamp = this.state.stamp;
    const always = this.always;
    for (let k = 0; k < always.length; k++) {
      const ri = always[k] as number;
      stamp[ri] = e;
      out.push(ri);
    }
    // one walk over the event collects every field the group reads and, when
    // keyword searches exist, hands every scalar to their automaton on the way
    const kw = this.keywordIndex;
    if (kw) {
      if (kw.presence.length > 0) this.mark(kw.presence);
      // the walk reports keyword hits before any field is scanned: hit() reads the keyword index
      this.owners = kw.owners;
      this.seen = kw.seen;
    }
    const collected = walked
      ? this.collector
      : this.collector.collect(
          event,
          kw && kw.scans ? this.onString : undefined,
          this.keywordMinLength,
          this.keywordScalars,
        );
    const found = collected.found;
    const values = this.values;
    const stamps = this.stamps;
    for (let f = 0; f < found.length; f++) {
      const id = found[f] as number;
      values[id] = makeValues(collected.values[id] as unknown[]);
      stamps[id] = e;
    }
    ctx.prime(this, found);
    for (let f = 0; f < found.length; f++) {
      const id = found[f] as number;
      const ix = this.indexById[id];
      if (ix === undefined) continue;
      const fv = values[id] as FieldValues;
      const strs = fv.strs;
      if (strs.length === 0) continue;
      if (ix.presence.length > 0) this.mark(ix.presence);
      if (ix.exact.size > 0) {
        const lowers = fv.lowers;
        for (let k = 0; k < lowers.length; k++) {
          const slots = ix.exact.get(lowers[k] as string);
          if (slots !== undefined) this.mark(slots);
        }
      }
      if (!ix.scans) continue;
      this.owners = ix.owners;
      this.seen = ix.seen;
      const ac = ix.ac;
      if (ac.searchesFolded) {
        // a few needles: includes() on the folded values the rules will read anyway
        const lowers = fv.lowers;
        for (let k = 0; k < lowers.length; k++) ac.scanLowered(lowers[k] as string, this.hit);
      } else for (let k = 0; k < strs.length; k++) ac.scanText(strs[k] as string, this.hit, e);
    }
    this.out = [];
  }
}
