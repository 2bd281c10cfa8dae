/**
 * QNode → Elasticsearch query DSL. This is the faithful target: `term`,
 * `wildcard` and `regexp` take `case_insensitive`, which Sigma's default
 * case-insensitive matching needs on keyword fields and which the Lucene query
 * string syntax cannot say; `bool.should` with `minimum_should_match` expresses
 * `N of` exactly.
 */
import type { QNode, WildToken } from './query-tree';

export type Dsl = Record<string, unknown>;

export function wildcardPattern(tokens: readonly WildToken[]): string {
  return tokens.map((t) => ('star' in t ? '*' : 'one' in t ? '?' : t.lit.replace(/[\\*?]/g, (c) => `\\${c}`))).join('');
}

function ci(cased: boolean): Dsl {
  return cased ? {} : { case_insensitive: true };
}

export function toDsl(n: QNode): Dsl {
  switch (n.k) {
    case 'and':
      return { bool: { filter: n.c.map(toDsl) } };
    case 'or':
      return { bool: { should: n.c.map(toDsl), minimum_should_match: 1 } };
    case 'atleast':
      return { bool: { should: n.c.map(toDsl), minimum_should_match: n.n } };
    case 'not':
      return { bool: { must_not: [toDsl(n.c)] } };
    case 'const':
      return n.v ? { match_all: {} } : { match_none: {} };
    case 'exists':
      return { exists: { field: n.field } };
    case 'term':
      // case_insensitive exists for keyword-like fields only; other types compare typed values
      return {
        term: {
          [n.field]: { value: n.value, ...(n.type === 'keyword' || n.type === 'flattened' ? ci(n.cased) : {}) },
        },
      };
    case 'wildcard': {
      // `literal*` as a prefix query: cheaper, and the one pattern query keys of a flattened field accept
      const last = n.tokens[n.tokens.length - 1];
      const head = n.tokens.slice(0, -1);
      if (last && 'star' in last && head.length > 0 && head.every((t) => 'lit' in t))
        return {
          prefix: { [n.field]: { value: head.map((t) => (t as { lit: string }).lit).join(''), ...ci(n.cased) } },
        };
      return { wildcard: { [n.field]: { value: wildcardPattern(n.tokens), ...ci(n.cased) } } };
    }
    case 'regexp':
      return { regexp: { [n.field]: { value: n.lucene, flags: 'NONE', ...ci(n.cased) } } };
    case 'range':
      return { range: { [n.field]: { [n.op]: n.value } } };
    case 'cidr':
      return { term: { [n.field]: n.network } };
  }
}
