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
import { anyEntry, selectLogsource, type Logsource, type LogsourceConfig } from './logsource-config';
import type { DetectionRule } from './rule-types';

interface FieldIndex {
  field: string | null;
  ac: AhoCorasick;
  /** needle id → rule indexes */
  owners: number[][];
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
  private readonly always: number[] = [];
  private readonly applies: Array<((ctx: EventContext) => boolean) | null>;
  private readonly effectiveLogsource: Logsource[];
  private readonly stamp: Uint32Array;
  private epoch = 0;
  readonly unmapped: DetectionRule[] = [];

  constructor(rules: readonly DetectionRule[], logsources: readonly LogsourceConfig[] = []) {
    this.rules = rules;
    this.stamp = new Uint32Array(rules.length);
    this.applies = [];
    this.effectiveLogsource = [];
    for (const r of rules) {
      if (logsources.length === 0) {
        this.applies.push(null);
        this.effectiveLogsource.push(r.logsource);
        continue;
      }
      const sel = selectLogsource(logsources, r.logsource);
      this.effectiveLogsource.push(sel.logsource);
      if (!sel.mapped) this.unmapped.push(r);
      this.applies.push(sel.mapped ? anyEntry(sel.entries) : () => false);
    }
    const byField = new Map<string | null, { ac: AhoCorasick; ids: Map<string, number>; owners: number[][] }>();
    rules.forEach((r, ri) => {
      if (r.needles === null) {
        this.always.push(ri);
        return;
      }
      for (const n of r.needles) {
        let fi = byField.get(n.field);
        if (!fi) {
          fi = { ac: new AhoCorasick(), ids: new Map(), owners: [] };
          byField.set(n.field, fi);
        }
        let id = fi.ids.get(n.text);
        if (id === undefined) {
          id = fi.owners.length;
          fi.ids.set(n.text, id);
          fi.owners.push([]);
          fi.ac.add(n.text, id);
        }
        const owners = fi.owners[id] as number[];
        if (owners[owners.length - 1] !== ri) owners.push(ri);
      }
    });
    for (const [field, fi] of byField) {
      fi.ac.build();
      this.indexes.push({ field, ac: fi.ac, owners: fi.owners });
    }
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
      this.epoch = 1;
    }
    const stamp = this.stamp;
    const candidates: number[] = [];
    for (const ri of this.always) {
      stamp[ri] = this.epoch;
      candidates.push(ri);
    }
    for (const ix of this.indexes) {
      const fv = ix.field === null ? ctx.anyField() : ctx.field(ix.field);
      if (fv.strs.length === 0) continue;
      const owners = ix.owners;
      const e = this.epoch;
      const hit = (id: number): void => {
        const os = owners[id] as number[];
        for (let k = 0; k < os.length; k++) {
          const ri = os[k] as number;
          if (stamp[ri] !== e) {
            stamp[ri] = e;
            candidates.push(ri);
          }
        }
      };
      for (const s of fv.lowers) ix.ac.scan(s, hit);
    }
    candidates.sort((a, b) => a - b);
    const out: number[] = [];
    for (const ri of candidates) {
      const applies = this.applies[ri];
      if (applies && !applies(ctx)) continue;
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
      const applies = this.applies[ri];
      if (applies && !applies(ctx)) return;
      if (r.predicate(ctx)) out.push(ri);
    });
    return out;
  }
}
