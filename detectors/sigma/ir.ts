/**
 * The intermediate form of a detection: a boolean tree whose leaves are field
 * predicates. The compiler turns it into closures; the prefilter index reads the
 * `needles` of leaves to learn which literals a rule requires.
 */
import type { EventContext } from './event-context';

export type Pred = (ctx: EventContext) => boolean;

export interface Leaf {
  k: 'leaf';
  /** Event field the needles are found in; null for keyword searches (any field). */
  field: string | null;
  test: Pred;
  /**
   * Lower-cased literals such that, if the leaf is true, the lower-cased value of
   * `field` contains at least one of them. null when no such set is known.
   */
  needles: string[] | null;
  /** The needles are whole values: when the leaf holds, the field's folded value equals one of them. */
  exact?: boolean;
  /** Rough relative cost, to evaluate cheap leaves of an AND first. */
  cost: number;
  /**
   * Fields the test reads besides `field`: fieldref targets, and the fields of the
   * searches a counted group (`2 of selection*`) holds, whose leaves live inside
   * this one's test.
   */
  reads?: readonly string[];
}

export type Node =
  { k: 'and'; c: Node[] } | { k: 'or'; c: Node[] } | { k: 'not'; c: Node } | { k: 'const'; v: boolean } | Leaf;

export function and(c: Node[]): Node {
  return c.length === 1 ? (c[0] as Node) : { k: 'and', c };
}

export function or(c: Node[]): Node {
  return c.length === 1 ? (c[0] as Node) : { k: 'or', c };
}

function cost(n: Node): number {
  switch (n.k) {
    case 'leaf':
      return n.cost;
    case 'const':
      return 0;
    case 'not':
      return cost(n.c);
    default:
      return n.c.reduce((a, b) => a + cost(b), 0);
  }
}

/** Turns the tree into one closure. AND and OR evaluate their cheapest children first. */
export function toPredicate(n: Node): Pred {
  switch (n.k) {
    case 'leaf':
      return n.test;
    case 'const':
      return n.v ? () => true : () => false;
    case 'not': {
      const p = toPredicate(n.c);
      return (ctx) => !p(ctx);
    }
    case 'and':
    case 'or': {
      const parts = [...n.c].sort((a, b) => cost(a) - cost(b)).map(toPredicate);
      if (parts.length === 0) return n.k === 'and' ? () => true : () => false;
      if (parts.length === 1) return parts[0] as Pred;
      if (parts.length === 2) {
        const [a, b] = parts as [Pred, Pred];
        return n.k === 'and' ? (ctx) => a(ctx) && b(ctx) : (ctx) => a(ctx) || b(ctx);
      }
      if (n.k === 'and')
        return (ctx) => {
          for (const p of parts) if (!p(ctx)) return false;
          return true;
        };
      return (ctx) => {
        for (const p of parts) if (p(ctx)) return true;
        return false;
      };
    }
  }
}

export interface Needle {
  field: string | null;
  text: string;
  /** `text` is a whole folded value (looked up in a hash), not a substring (found by the automaton) */
  exact?: boolean;
}

/** Most clauses kept per rule: the most selective ones. */
export const MAX_CLAUSES = 4;

/**
 * Literal requirements of `n` in conjunctive form: every clause is a disjunction
 * of needles, and every match of `n` contains a needle of every clause. An empty
 * list means no requirement is known (always evaluate); an empty clause means
 * `n` can never match. AND concatenates its children's clauses; OR keeps, from
 * each child, its most selective clause and unites them; NOT gives nothing.
 */
export function requiredClauses(n: Node, max = MAX_CLAUSES): Needle[][] {
  const all = clausesOf(n);
  return all.length <= max ? all : [...all].sort((a, b) => score(b) - score(a)).slice(0, max);
}

function clausesOf(n: Node): Needle[][] {
  switch (n.k) {
    case 'leaf':
      return n.needles && n.needles.length > 0
        ? [n.needles.map((text) => ({ field: n.field, text, exact: n.exact === true }))]
        : [];
    case 'const':
      return n.v ? [] : [[]];
    case 'not':
      return [];
    case 'and':
      return n.c.flatMap(clausesOf);
    case 'or': {
      const out: Needle[] = [];
      for (const c of n.c) {
        const cs = clausesOf(c);
        if (cs.length === 0) return [];
        let best = cs[0] as Needle[];
        for (const x of cs) if (score(x) > score(best)) best = x;
        out.push(...best);
      }
      return [out];
    }
  }
}

/** Prefer few, long needles in named fields. */
function score(ns: Needle[]): number {
  if (ns.length === 0) return Infinity;
  let min = Infinity;
  for (const n of ns) min = Math.min(min, n.text.length + (n.field === null ? -2 : 0));
  return Math.min(min, 12) * 4 - Math.log2(ns.length + 1);
}

/** The event fields the leaves of `n` read, fieldref targets and counted groups included (keyword searches excluded). */
export function leafFields(n: Node, out: Set<string> = new Set()): Set<string> {
  switch (n.k) {
    case 'leaf':
      if (n.field !== null) out.add(n.field);
      if (n.reads) for (const f of n.reads) out.add(f);
      break;
    case 'not':
      leafFields(n.c, out);
      break;
    case 'and':
    case 'or':
      for (const c of n.c) leafFields(c, out);
      break;
    case 'const':
      break;
  }
  return out;
}
