/**
 * The query form of a Sigma detection, between the rule and a target language
 * (Elasticsearch DSL, Lucene query string, ES|QL): a boolean tree whose leaves
 * say exactly what the engine's leaf tests (detectors/sigma/value-compiler.ts)
 * do, in terms a search engine has. The engine's own IR cannot be reused for
 * this: its leaves are closures. A construct without an exact equivalent is not
 * approximated: translation fails with the reason, and the rule is reported.
 */

/** Elasticsearch field types the translation distinguishes (from the audit mapping). */
export type FieldType = 'keyword' | 'flattened' | 'long' | 'double' | 'float' | 'boolean' | 'ip' | 'date' | string;

export type QNode =
  | { k: 'and' | 'or'; c: QNode[] }
  | { k: 'not'; c: QNode }
  /** at least `n` of the children (Sigma `2 of selection_*`) */
  | { k: 'atleast'; n: number; c: QNode[] }
  | { k: 'const'; v: boolean }
  | { k: 'exists'; field: string }
  /** whole-value equality; `value` already typed for the field */
  | { k: 'term'; field: string; type: FieldType; value: string | number | boolean; cased: boolean }
  /** Sigma wildcard pattern as tokens: literal strings, '*' and '?' markers */
  | { k: 'wildcard'; field: string; tokens: WildToken[]; cased: boolean }
  /** Lucene regular expression (full-value match) */
  | { k: 'regexp'; field: string; lucene: string; cased: boolean }
  | { k: 'range'; field: string; op: 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  | { k: 'cidr'; field: string; network: string };

export type WildToken = { lit: string } | { star: true } | { one: true };

export class Unsupported extends Error {}

export function and(c: QNode[]): QNode {
  return c.length === 1 ? (c[0] as QNode) : { k: 'and', c };
}

export function or(c: QNode[]): QNode {
  return c.length === 1 ? (c[0] as QNode) : { k: 'or', c };
}

/** The fields a query reads. */
export function queryFields(n: QNode, out = new Set<string>()): Set<string> {
  switch (n.k) {
    case 'and':
    case 'or':
    case 'atleast':
      for (const c of n.c) queryFields(c, out);
      break;
    case 'not':
      queryFields(n.c, out);
      break;
    case 'const':
      break;
    default:
      out.add(n.field);
  }
  return out;
}
