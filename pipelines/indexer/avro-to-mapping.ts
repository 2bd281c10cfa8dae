/**
 * Elasticsearch mappings derived from the Avro schemas, so the index cannot drift
 * from the wire format: every Avro field becomes a mapped field of the matching
 * type (record → object, array → its item type, map → flattened, enum and string
 * → keyword, int/long → long, float/double → double, boolean → boolean), then
 * ECS-specific types are applied by path (`source.ip` ip, `process.command_line`
 * keyword with a text multi-field, dates). `timestamp` becomes `@timestamp`.
 *
 * The mappings are `dynamic: strict`: a document with a field the mapping does
 * not know is rejected by Elasticsearch and goes to the dead-letter topic with
 * the reason. `dynamic: false` would index it and silently leave the new field
 * unsearchable (a rule exported to Kibana would then never match it), which for a
 * security index is the worse failure. `npm run schemas:mappings` regenerates the
 * JSON files under schemas/elasticsearch/; a test fails when they differ.
 */

type Schema = string | Schema[] | { [k: string]: unknown };
export type Mapping = Record<string, unknown>;

/**
 * Keyword values longer than this many characters are kept in `_source` but not
 * indexed: 8191 UTF-8 characters stay under Lucene's 32,766-byte term limit,
 * beyond which Elasticsearch would reject the whole document.
 */
export const IGNORE_ABOVE = 8191;

const KEYWORD: Mapping = { type: 'keyword', ignore_above: IGNORE_ABOVE };
const KEYWORD_WITH_TEXT: Mapping = { ...KEYWORD, fields: { text: { type: 'text' } } };

export interface MappingOverrides {
  /** dotted path (after renames) → mapping that replaces the derived one */
  byPath: Record<string, Mapping>;
  /** extra fields the document mapping adds (ECS constants), dotted path → mapping */
  extra: Record<string, Mapping>;
  /** Avro paths left out of the document (moved elsewhere by to-ecs) */
  drop: string[];
}

export function avroToProperties(schema: Schema, overrides: MappingOverrides): Record<string, Mapping> {
  const named = new Map<string, Schema>();
  const root = convert(schema, '', named, overrides);
  const props = ((root as { properties?: Record<string, Mapping> }).properties ?? {}) as Record<string, Mapping>;
  if (props['timestamp']) {
    delete props['timestamp'];
    props['@timestamp'] = { type: 'date' };
  }
  for (const [p, m] of Object.entries(overrides.extra)) setPath(props, p, m);
  return sortKeys(props) as Record<string, Mapping>;
}

function convert(s: Schema, path: string, named: Map<string, Schema>, o: MappingOverrides): Mapping | undefined {
  const override = o.byPath[path];
  if (override) return override;
  if (Array.isArray(s)) {
    const branches = s.filter((b) => b !== 'null');
    if (branches.length !== 1) throw new Error(`${path}: unions other than [null, T] have no mapping`);
    return convert(branches[0] as Schema, path, named, o);
  }
  if (typeof s === 'string') {
    switch (s) {
      case 'string':
        return KEYWORD;
      case 'int':
      case 'long':
        return { type: 'long' };
      case 'float':
      case 'double':
        return { type: 'double' };
      case 'boolean':
        return { type: 'boolean' };
      case 'bytes':
        return { type: 'binary' };
      default: {
        const ref = named.get(s) ?? named.get(s.split('.').pop() as string);
        if (!ref) throw new Error(`${path}: unknown named type ${s}`);
        return convert(ref, path, named, o);
      }
    }
  }
  const type = s['type'];
  if (typeof s['name'] === 'string') named.set(s['name'], s);
  switch (type) {
    case 'record': {
      const properties: Record<string, Mapping> = {};
      for (const f of s['fields'] as Array<{ name: string; type: Schema }>) {
        const p = path ? `${path}.${f.name}` : f.name;
        if (o.drop.includes(p)) continue;
        const m = convert(f.type, p, named, o);
        if (m) properties[f.name] = m;
      }
      return { properties };
    }
    case 'enum':
      return KEYWORD;
    case 'array':
      return convert(s['items'] as Schema, path, named, o);
    case 'map':
      // arbitrary keys (query parameters): one field, so a hostile client cannot explode the mapping
      return { type: 'flattened', ignore_above: IGNORE_ABOVE };
    default:
      return convert(type as Schema, path, named, o);
  }
}

function setPath(props: Record<string, Mapping>, dotted: string, m: Mapping): void {
  const parts = dotted.split('.');
  let obj = props;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i] as string;
    const next = (obj[k] ?? { properties: {} }) as { properties?: Record<string, Mapping> };
    next.properties ??= {};
    obj[k] = next as Mapping;
    obj = next.properties;
  }
  obj[parts[parts.length - 1] as string] = m;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

/** Every leaf field path of a properties tree, with its type (multi-fields as `path.sub`). */
export function leafFields(props: Record<string, Mapping>, prefix = '', out = new Map<string, string>()) {
  for (const [k, m] of Object.entries(props)) {
    const p = prefix ? `${prefix}.${k}` : k;
    const sub = m['properties'] as Record<string, Mapping> | undefined;
    if (sub) leafFields(sub, p, out);
    else {
      out.set(p, String(m['type']));
      const fields = m['fields'] as Record<string, Mapping> | undefined;
      for (const [fk, fm] of Object.entries(fields ?? {})) out.set(`${p}.${fk}`, String(fm['type']));
    }
  }
  return out;
}

/** ECS types by path shared by findings and audit events. */
const COMMON: Record<string, Mapping> = {
  'source.ip': { type: 'ip' },
  'process.command_line': KEYWORD_WITH_TEXT,
  'user_agent.original': KEYWORD_WITH_TEXT,
  'url.original': KEYWORD_WITH_TEXT,
  message: { type: 'text' },
};

export const FINDING_OVERRIDES: MappingOverrides = {
  byPath: {
    ...COMMON,
    'finding.created': { type: 'date' },
    'event.severity': { type: 'long' },
    'event.risk_score': { type: 'float' },
    'rule.description': KEYWORD_WITH_TEXT,
    'dockguard.correlation.window_start': { type: 'date' },
    'dockguard.correlation.window_end': { type: 'date' },
  },
  extra: {
    'event.kind': KEYWORD,
    'event.module': KEYWORD,
    'event.dataset': KEYWORD,
    'event.created': { type: 'date' },
    tags: KEYWORD,
  },
  drop: ['rule.tags'],
};

export const AUDIT_OVERRIDES: MappingOverrides = {
  byPath: {
    ...COMMON,
    'dockguard.request.body': KEYWORD_WITH_TEXT,
  },
  extra: {
    'event.kind': KEYWORD,
    'event.module': KEYWORD,
    'event.dataset': KEYWORD,
  },
  drop: [],
};

/** Dotted paths of the fields an Avro array makes multi-valued (also everything below an array of records). */
export function arrayPaths(schema: Schema, path = '', named = new Map<string, Schema>(), inArray = false): Set<string> {
  const out = new Set<string>();
  const walk = (s: Schema, p: string, arr: boolean): void => {
    if (Array.isArray(s)) return s.forEach((b) => walk(b, p, arr));
    if (typeof s === 'string') {
      const ref = named.get(s) ?? named.get(s.split('.').pop() as string);
      if (ref) walk(ref, p, arr);
      else if (arr) out.add(p);
      return;
    }
    if (typeof s['name'] === 'string') named.set(s['name'], s);
    if (s['type'] === 'record')
      for (const f of s['fields'] as Array<{ name: string; type: Schema }>)
        walk(f.type, p ? `${p}.${f.name}` : f.name, arr);
    else if (s['type'] === 'array') walk(s['items'] as Schema, p, true);
    else if (arr) out.add(p);
  };
  walk(schema, path, inArray);
  return out;
}

/**
 * Dotted paths that an Avro-decoded event can hold as null or empty (a union with
 * null, an array, or anything below such a record). The engine sees those keys as
 * present; the indexed document leaves them out (Elasticsearch ignores nulls and
 * empty arrays), so `exists` and `neq` on them cannot be exported exactly.
 */
export function nullablePaths(schema: Schema): Set<string> {
  const out = new Set<string>();
  const named = new Map<string, Schema>();
  const walk = (s: Schema, p: string, under: boolean): void => {
    if (Array.isArray(s)) {
      const nullable = s.includes('null');
      return s.filter((b) => b !== 'null').forEach((b) => walk(b, p, under || nullable));
    }
    if (typeof s === 'string') {
      const ref = named.get(s) ?? named.get(s.split('.').pop() as string);
      if (ref) walk(ref, p, under);
      else if (under) out.add(p);
      return;
    }
    if (typeof s['name'] === 'string') named.set(s['name'], s);
    if (s['type'] === 'record')
      for (const f of s['fields'] as Array<{ name: string; type: Schema }>)
        walk(f.type, p ? `${p}.${f.name}` : f.name, under);
    else if (s['type'] === 'array') walk(s['items'] as Schema, p, true);
    else if (under) out.add(p);
  };
  walk(schema, '', false);
  return out;
}
