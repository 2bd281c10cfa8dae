/**
 * QNode → an ES|QL `WHERE` expression. ES|QL has three-valued logic (a missing
 * field makes a comparison null, and `NOT null` drops the row, where Sigma's
 * `not` matches), so each leaf is wrapped in `COALESCE(…, false)`. ES|QL
 * functions return null on multi-valued fields, so a rule on a field that can
 * hold several values (an Avro array) is reported, not exported.
 */
import { fold } from '../sigma/fold';
import { Unsupported, type QNode, type WildToken } from './query-tree';

function str(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

function id(field: string): string {
  return field
    .split('.')
    .map((p) => (/^[A-Za-z_@][A-Za-z0-9_]*$/.test(p) ? p : `\`${p.replace(/`/g, '``')}\``))
    .join('.');
}

function likePattern(tokens: readonly WildToken[], lower: boolean): string {
  return tokens
    .map((t) =>
      'star' in t ? '*' : 'one' in t ? '?' : (lower ? fold(t.lit) : t.lit).replace(/[\\*?]/g, (c) => `\\${c}`),
    )
    .join('');
}

export function toEsqlWhere(n: QNode, multiValued: ReadonlySet<string>): string {
  const leaf = (field: string, expr: string): string => {
    if (multiValued.has(field))
      throw new Unsupported(`${field} can hold several values, and ES|QL functions return null on those`);
    return `COALESCE(${expr}, false)`;
  };
  switch (n.k) {
    case 'and':
      return n.c.map((c) => `(${toEsqlWhere(c, multiValued)})`).join(' AND ');
    case 'or':
      return n.c.map((c) => `(${toEsqlWhere(c, multiValued)})`).join(' OR ');
    case 'atleast':
      return `(${n.c.map((c) => `CASE(${toEsqlWhere(c, multiValued)}, 1, 0)`).join(' + ')}) >= ${n.n}`;
    case 'not':
      return `NOT (${toEsqlWhere(n.c, multiValued)})`;
    case 'const':
      return n.v ? 'true' : 'false';
    case 'exists':
      return `${id(n.field)} IS NOT NULL`;
    case 'term':
      if (typeof n.value === 'string')
        return leaf(
          n.field,
          n.cased ? `${id(n.field)} == ${str(n.value)}` : `TO_LOWER(${id(n.field)}) == ${str(fold(n.value))}`,
        );
      return leaf(n.field, `${id(n.field)} == ${String(n.value)}`);
    case 'wildcard':
      return leaf(
        n.field,
        n.cased
          ? `${id(n.field)} LIKE ${str(likePattern(n.tokens, false))}`
          : `TO_LOWER(${id(n.field)}) LIKE ${str(likePattern(n.tokens, true))}`,
      );
    case 'regexp':
      if (!n.cased) throw new Unsupported(`${n.field}: ES|QL RLIKE has no case-insensitive form`);
      return leaf(n.field, `${id(n.field)} RLIKE ${str(n.lucene)}`);
    case 'range':
      return leaf(
        n.field,
        `${id(n.field)} ${n.op === 'lt' ? '<' : n.op === 'lte' ? '<=' : n.op === 'gt' ? '>' : '>='} ${n.value}`,
      );
    case 'cidr':
      return leaf(n.field, `CIDR_MATCH(${id(n.field)}, ${str(n.network)})`);
  }
}
