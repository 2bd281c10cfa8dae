/**
 * QNode → Lucene query string (`query_string`, Kibana's "Lucene" language).
 * Lucene query strings have no case-insensitive term, wildcard or regexp on a
 * keyword field, so a leaf that Sigma matches case-insensitively is exported
 * only when its text has no letters whose case could differ; otherwise the rule
 * is reported, not exported with a query that would miss `CURL` for `curl`.
 */
import { fold } from '../sigma/fold';
import { Unsupported, type QNode, type WildToken } from './query-tree';

const RESERVED = /[+\-=&|><!(){}[\]^"~*?:\\/\s]/g;

function esc(s: string): string {
  return s.replace(RESERVED, (c) => `\\${c}`);
}

function caseless(text: string): boolean {
  return fold(text) === text && text.toUpperCase() === text;
}

function needCase(field: string, text: string, cased: boolean): void {
  if (!cased && !caseless(text))
    throw new Unsupported(
      `${field}: Sigma matches "${text}" case-insensitively; Lucene query strings cannot (use the kibana-ndjson format)`,
    );
}

function wild(tokens: readonly WildToken[]): string {
  return tokens.map((t) => ('star' in t ? '*' : 'one' in t ? '?' : esc(t.lit))).join('');
}

export function toLucene(n: QNode): string {
  switch (n.k) {
    case 'and':
      return n.c.map((c) => `(${toLucene(c)})`).join(' AND ');
    case 'or':
      return n.c.map((c) => `(${toLucene(c)})`).join(' OR ');
    case 'atleast':
      throw new Unsupported(`"${n.n} of" has no Lucene query string form`);
    case 'not':
      // a pure negative clause needs a positive one to subtract from
      return `(*:* AND NOT (${toLucene(n.c)}))`;
    case 'const':
      return n.v ? '*:*' : '(*:* AND NOT *:*)';
    case 'exists':
      return `_exists_:${esc(n.field)}`;
    case 'term':
      if (typeof n.value === 'string') {
        needCase(n.field, n.value, n.cased);
        return `${esc(n.field)}:"${n.value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      }
      return `${esc(n.field)}:${String(n.value)}`;
    case 'wildcard': {
      const text = n.tokens.map((t) => ('lit' in t ? t.lit : '')).join('');
      needCase(n.field, text, n.cased);
      return `${esc(n.field)}:${wild(n.tokens)}`;
    }
    case 'regexp':
      if (!n.cased) throw new Unsupported(`${n.field}: a case-insensitive regular expression has no Lucene form`);
      return `${esc(n.field)}:/${n.lucene.replace(/\//g, '\\/')}/`;
    case 'range':
      return `${esc(n.field)}:${n.op === 'lt' ? '<' : n.op === 'lte' ? '<=' : n.op === 'gt' ? '>' : '>='}${n.value}`;
    case 'cidr':
      return `${esc(n.field)}:${esc(n.network)}`;
  }
}
