/**
 * A Sigma detection section → QNode (query-tree.ts), with the engine's
 * semantics (detectors/sigma/value-compiler.ts): case-insensitive unless
 * `cased`, modifiers applied in the order written, `all` joins values with AND,
 * `neq` = the field exists and equals none of the values, `null` = the field is
 * missing, arrays match when any element does (as Elasticsearch's multi-valued
 * fields do). The field's Elasticsearch type decides what can be expressed:
 * wildcards need a keyword field, `cidr` an ip field, `lt`/`gt` a numeric one.
 */
import { parseCondition, patternMatcher, type Cond } from '../sigma/condition';
import { fold } from '../sigma/fold';
import { base64, base64Offsets, isModifier, TIME_MODIFIERS, WINDASH_CHARS, type Modifier } from '../sigma/modifiers';
import { ONE, SigmaString, STAR } from '../sigma/sigma-string';
import { toLuceneRegexp } from './lucene-regexp';
import { and, or, Unsupported, type FieldType, type QNode, type WildToken } from './query-tree';

/** Field path → Elasticsearch type; `flattened` covers every key below it. */
export type FieldTypes = ReadonlyMap<string, FieldType>;

const RESERVED = new Set(['condition', 'timeframe']);
const MAX_WINDASH_VARIANTS = 64;
/** Elasticsearch's default index.max_regex_length: a longer regexp query is refused. */
const MAX_REGEX_LENGTH = 1000;
const UNSUPPORTED_MODIFIERS = new Map<string, string>([
  ['expand', 'placeholders are resolved by the engine at load time; export them resolved (--placeholders) instead'],
  ['fieldref', 'comparing two fields of one document needs a script, which Elastic Security query rules lack'],
  ['utf16le', 'UTF-16 byte strings are not indexed text'],
  ['utf16be', 'UTF-16 byte strings are not indexed text'],
  ['utf16', 'UTF-16 byte strings are not indexed text'],
  ['wide', 'UTF-16 byte strings are not indexed text'],
]);

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function fieldType(types: FieldTypes, field: string): FieldType {
  const t = types.get(field);
  if (t !== undefined) return t;
  const parts = field.split('.');
  for (let i = parts.length - 1; i > 0; i--)
    if (types.get(parts.slice(0, i).join('.')) === 'flattened') return 'flattened';
  throw new Unsupported(`field ${field} is not in the audit mapping (an event can never have it)`);
}

const STRINGY = new Set(['keyword', 'flattened']);
const NUMERIC = new Set(['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float']);

type Val =
  { t: 'str'; s: SigmaString; raw: string } | { t: 'num'; n: number } | { t: 'bool'; b: boolean } | { t: 'null' };

function toVal(v: unknown): Val {
  if (typeof v === 'string') return { t: 'str', s: SigmaString.parse(v), raw: v };
  if (typeof v === 'number') return { t: 'num', n: v };
  if (typeof v === 'boolean') return { t: 'bool', b: v };
  if (v === null) return { t: 'null' };
  throw new Unsupported(`value ${JSON.stringify(v)} is not a scalar`);
}

function asText(v: Val): string {
  return v.t === 'num' ? String(v.n) : v.t === 'bool' ? String(v.b) : v.t === 'str' ? v.raw : '';
}

/** Windash classes expanded into alternatives (wildcard queries have no character classes). */
function expandClasses(s: SigmaString): WildToken[][] {
  let acc: WildToken[][] = [[]];
  for (const t of s.tokens) {
    if (t === STAR) acc.forEach((a) => a.push({ star: true }));
    else if (t === ONE) acc.forEach((a) => a.push({ one: true }));
    else if (typeof t === 'string') acc.forEach((a) => a.push({ lit: t }));
    else {
      const next: WildToken[][] = [];
      for (const a of acc) for (const c of t.cls) next.push([...a, { lit: c }]);
      acc = next;
      if (acc.length > MAX_WINDASH_VARIANTS)
        throw new Unsupported(`windash expands into more than ${MAX_WINDASH_VARIANTS} alternatives`);
    }
  }
  return acc;
}

function stringLeaf(field: string, type: FieldType, s: SigmaString, cased: boolean): QNode {
  const plain = !s.hasWildcards() && s.tokens.every((t) => typeof t === 'string');
  if (STRINGY.has(type)) {
    if (plain) return { k: 'term', field, type, value: s.plain(), cased };
    return or(
      expandClasses(s).map((tokens): QNode => {
        if (tokens.every((t) => 'lit' in t))
          return { k: 'term', field, type, value: tokens.map((t) => (t as { lit: string }).lit).join(''), cased };
        const prefixOnly =
          tokens.length > 1 &&
          'star' in (tokens[tokens.length - 1] as WildToken) &&
          tokens.slice(0, -1).every((t) => 'lit' in t);
        if (type === 'flattened' && !prefixOnly)
          throw new Unsupported(`${field}: keys of a flattened field take prefix patterns only, not other wildcards`);
        return { k: 'wildcard', field, tokens, cased };
      }),
    );
  }
  if (!plain) throw new Unsupported(`wildcards on ${field}, a field of type ${type}`);
  const text = s.plain();
  const folded = cased ? text : fold(text);
  if (type === 'boolean') {
    if (folded === 'true' || folded === 'false') return { k: 'term', field, type, value: folded === 'true', cased };
    return { k: 'const', v: false };
  }
  if (NUMERIC.has(type)) {
    const n = Number(text);
    // the engine compares the event's number as text: "05" never equals 5
    if (text.trim() !== '' && Number.isFinite(n) && String(n) === folded)
      return { k: 'term', field, type, value: n, cased };
    return { k: 'const', v: false };
  }
  if (type === 'ip') {
    if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text))
      return { k: 'term', field, type, value: text, cased };
    throw new Unsupported(`${field} is an ip field: only IPv4 dotted quads compare as the engine compares them`);
  }
  throw new Unsupported(`string comparison on ${field}, a field of type ${type}`);
}

/** One `field|modifiers: value(s)` item. */
export function translateItem(
  field: string | null,
  modifiers: string[],
  rawValue: unknown,
  types: FieldTypes,
  nullable: ReadonlySet<string> = new Set(),
): QNode {
  if (field === null || field === '')
    throw new Unsupported('keyword searches (values without a field) have no exact equivalent over mapped fields');
  for (const m of modifiers) {
    if (!isModifier(m)) throw new Unsupported(`unknown modifier ${m}`);
    const why = UNSUPPORTED_MODIFIERS.get(m);
    if (why) throw new Unsupported(`modifier ${m}: ${why}`);
    if (TIME_MODIFIERS.has(m)) throw new Unsupported(`modifier ${m}: time parts of a field need a script`);
  }
  const mods = modifiers as Modifier[];
  const has = (m: Modifier): boolean => mods.includes(m);
  const list = Array.isArray(rawValue) ? rawValue : [rawValue];
  const type = fieldType(types, field);
  // the engine counts a key holding null (or []) as present, the index cannot see it
  if ((has('exists') || has('neq')) && nullable.has(field))
    throw new Unsupported(
      `${has('exists') ? 'exists' : 'neq'} on ${field}: it can be null or empty in an event, which the engine counts as present and the index does not keep`,
    );
  if (has('exists')) {
    const e: QNode = { k: 'exists', field };
    return list[0] === true ? e : { k: 'not', c: e };
  }
  const cased = has('cased');
  const cmp = mods.find((m): m is 'lt' | 'lte' | 'gt' | 'gte' => ['lt', 'lte', 'gt', 'gte'].includes(m));
  const groups: QNode[][] = list.map((raw) => {
    let vals: Val[] = [toVal(raw)];
    for (const m of mods) vals = vals.flatMap((v) => transform(m, v));
    return vals.map((v) => leaf(v));
  });

  function transform(m: Modifier, v: Val): Val[] {
    switch (m) {
      case 'contains':
      case 'startswith':
      case 'endswith': {
        if (has('cidr')) return [v];
        const s = v.t === 'str' ? v.s : SigmaString.literal(asText(v));
        const w =
          m === 'contains' ? s.prependStar().appendStar() : m === 'startswith' ? s.appendStar() : s.prependStar();
        return [{ t: 'str', s: w, raw: asText(v) }];
      }
      case 'windash':
        return v.t === 'str' ? [{ ...v, s: v.s.withClasses(WINDASH_CHARS, WINDASH_CHARS) }] : [v];
      case 'base64': {
        const b = base64(asText(v), false);
        return [{ t: 'str', s: SigmaString.literal(b), raw: b }];
      }
      case 'base64offset':
        return base64Offsets(asText(v), false).map((x): Val => ({ t: 'str', s: SigmaString.literal(x), raw: x }));
      default:
        return [v];
    }
  }

  function leaf(v: Val): QNode {
    if (has('re')) {
      if (type !== 'keyword')
        throw new Unsupported(
          type === 'flattened'
            ? `re on ${field}: Elasticsearch has no regexp query on keys of a flattened field`
            : `re on ${field}, a field of type ${type}`,
        );
      let src = asText(v);
      const flags = { i: has('i'), m: has('m'), s: has('s') };
      const inline = /^\(\?([ims]+)\)/.exec(src);
      if (inline) {
        for (const f of inline[1] as string) flags[f as 'i' | 'm' | 's'] = true;
        src = src.slice(inline[0].length);
      }
      const lucene = toLuceneRegexp(src, flags);
      if (lucene !== null && lucene.length > MAX_REGEX_LENGTH)
        throw new Unsupported(
          `re on ${field}: the Lucene form is ${lucene.length} characters, over Elasticsearch's index.max_regex_length (${MAX_REGEX_LENGTH})`,
        );
      return lucene === null
        ? { k: 'const', v: false }
        : { k: 'regexp', field: field as string, lucene, cased: !flags.i };
    }
    if (has('cidr')) {
      if (type !== 'ip') throw new Unsupported(`cidr on ${field}, a ${type} field (only ip fields hold networks)`);
      return { k: 'cidr', field: field as string, network: asText(v) };
    }
    if (cmp) {
      if (!NUMERIC.has(type)) throw new Unsupported(`${cmp} on ${field}, a ${type} field (not numeric)`);
      const n = v.t === 'num' ? v.n : Number(asText(v));
      return { k: 'range', field: field as string, op: cmp, value: n };
    }
    if (v.t === 'null') return { k: 'not', c: { k: 'exists', field: field as string } };
    const s = v.t === 'str' ? v.s : SigmaString.literal(asText(v));
    return stringLeaf(field as string, type, s, cased);
  }

  if (has('neq'))
    return and([
      { k: 'exists', field },
      { k: 'not', c: or(groups.flat()) },
    ]);
  if (has('all')) return and(groups.map(or));
  return or(groups.flat());
}

function translateSearch(value: unknown, types: FieldTypes, nullable: ReadonlySet<string>): QNode {
  const translateMap = (m: Record<string, unknown>): QNode =>
    and(
      Object.keys(m).map((key) => {
        const [field, ...mods] = key.split('|');
        return translateItem(field ?? null, mods, m[key], types, nullable);
      }),
    );
  if (isMap(value)) return translateMap(value);
  if (Array.isArray(value)) {
    if (value.some((x) => !isMap(x)))
      throw new Unsupported('keyword searches (values without a field) have no exact equivalent over mapped fields');
    return or(value.map((x) => translateMap(x as Record<string, unknown>)));
  }
  throw new Unsupported('keyword searches (values without a field) have no exact equivalent over mapped fields');
}

/** The whole detection section (condition included) → one query. Throws Unsupported. */
export function detectionToQuery(
  detection: Record<string, unknown>,
  types: FieldTypes,
  nullable: ReadonlySet<string> = new Set(),
): QNode {
  const names = Object.keys(detection).filter((n) => !RESERVED.has(n));
  const searches = new Map<string, QNode>();
  const search = (name: string): QNode => {
    let q = searches.get(name);
    if (!q) {
      q = translateSearch(detection[name], types, nullable);
      searches.set(name, q);
    }
    return q;
  };
  const resolve = (c: Cond): QNode => {
    switch (c.k) {
      case 'id':
        return search(c.name);
      case 'not':
        return { k: 'not', c: resolve(c.c) };
      case 'and':
        return and(c.c.map(resolve));
      case 'or':
        return or(c.c.map(resolve));
      case 'of': {
        const matching =
          c.pattern === 'them' ? names.filter((n) => !n.startsWith('_')) : names.filter(patternMatcher(c.pattern));
        const nodes = matching.map(search);
        if (c.quant === 'all') return and(nodes);
        if (c.quant <= 1) return or(nodes);
        if (c.quant >= nodes.length) return and(nodes);
        return { k: 'atleast', n: c.quant, c: nodes };
      }
    }
  };
  const cond = detection['condition'];
  const conds = Array.isArray(cond) ? (cond as string[]) : [cond as string];
  return or(conds.map((text) => resolve(parseCondition(text))));
}
