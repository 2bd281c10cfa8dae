/**
 * A reader schema cut down to the fields a consumer reads: Avro schema resolution
 * then skips every other field of a record (a string's bytes are stepped over,
 * not decoded), which is most of what decoding an audit event costs.
 *
 * Field names are dotted paths as the detectors read them (event-context.ts): each
 * segment names a record field; arrays are walked through (their items keep the
 * rest of the path); a map is kept whole, its keys being data. A path that ends on
 * a record keeps all of it. A named type used in several places keeps the union of
 * what each place needs, and is defined where it first appears in the cut schema.
 */

/** What is read below a type: everything, or some of its fields (by name) and what is read below each. */
type Want = 'all' | Map<string, Want>;

type Schema = string | Schema[] | { [k: string]: unknown };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

interface Named {
  type: string;
  name: string;
  fields?: Array<{ name: string; type: Schema; [k: string]: unknown }>;
  [k: string]: unknown;
}

function wantOf(fields: Iterable<string>): Want {
  const root = new Map<string, Want>();
  for (const f of fields) {
    const segs = f.split('.');
    let node: Map<string, Want> = root;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as string;
      const last = i === segs.length - 1;
      const cur = node.get(seg);
      if (cur === 'all') break;
      if (last) {
        node.set(seg, 'all');
        break;
      }
      let next = cur;
      if (next === undefined) {
        next = new Map();
        node.set(seg, next);
      }
      node = next;
    }
  }
  return root;
}

/** `a` with `b` merged in; whether anything was added. */
function merge(a: Want, b: Want): [Want, boolean] {
  if (a === 'all') return [a, false];
  if (b === 'all') return ['all', true];
  let changed = false;
  for (const [k, w] of b) {
    const cur = a.get(k);
    if (cur === undefined) {
      a.set(k, w === 'all' ? 'all' : merge(new Map(), w)[0]);
      changed = true;
    } else {
      const [m, c] = merge(cur, w);
      if (c) {
        a.set(k, m);
        changed = true;
      }
    }
  }
  return [a, changed];
}

/**
 * `schema` (as avsc's `Type#schema()` writes it: full names, each named type
 * defined once and then referred to by name) cut down to `fields`. The result
 * resolves against any writer the full schema resolves against.
 */
export function projectSchema(schema: Schema, fields: Iterable<string>): Schema {
  const defs = new Map<string, Named>();
  const index = (t: Schema): void => {
    if (Array.isArray(t)) return t.forEach(index);
    if (typeof t !== 'object' || t === null) return;
    const o = t as Named;
    if ((o.type === 'record' || o.type === 'error' || o.type === 'enum' || o.type === 'fixed') && !defs.has(o.name))
      defs.set(o.name, o);
    if (o.fields) for (const f of o.fields) index(f.type);
    if (o['items'] !== undefined) index(o['items'] as Schema);
    if (o['values'] !== undefined) index(o['values'] as Schema);
    if (typeof o.type === 'object') index(o.type as Schema);
  };
  index(schema);

  // pass 1: what each named record needs, over every place it appears
  const need = new Map<string, Want>();
  const collect = (t: Schema, want: Want): void => {
    if (Array.isArray(t)) return t.forEach((b) => collect(b, want));
    if (typeof t === 'string') {
      const def = defs.get(t);
      if (def) collect(def, want);
      return;
    }
    const o = t as Named;
    if (typeof o.type === 'object') return collect(o.type as Schema, want);
    if (o.type === 'array') return collect(o['items'] as Schema, want);
    if (o.type === 'map') return collect(o['values'] as Schema, 'all');
    if (o.type !== 'record' && o.type !== 'error') return;
    const cur = need.get(o.name);
    let changed = true;
    if (cur === undefined) need.set(o.name, want === 'all' ? 'all' : merge(new Map(), want)[0]);
    else {
      const [m, c] = merge(cur, want);
      need.set(o.name, m);
      changed = c;
    }
    if (!changed) return; // seen with no more than this: also ends recursive types
    for (const f of o.fields ?? []) {
      const w = want === 'all' ? 'all' : want.get(f.name);
      if (w !== undefined) collect(f.type, w);
    }
  };
  collect(schema, wantOf(fields));

  // pass 2: the cut schema, each named type defined where it first appears
  const defined = new Set<string>();
  const emit = (t: Schema): Schema => {
    if (Array.isArray(t)) return t.map(emit);
    if (typeof t === 'string') {
      if (PRIMITIVES.has(t) || defined.has(t)) return t;
      const def = defs.get(t);
      return def ? emit(def) : t;
    }
    const o = t as Named;
    if (typeof o.type === 'object') return { ...o, type: emit(o.type as Schema) };
    if (o.type === 'array') return { ...o, items: emit(o['items'] as Schema) };
    if (o.type === 'map') return { ...o, values: emit(o['values'] as Schema) };
    if (o.type === 'enum' || o.type === 'fixed') {
      if (defined.has(o.name)) return o.name;
      defined.add(o.name);
      return o;
    }
    if (o.type !== 'record' && o.type !== 'error') return o;
    if (defined.has(o.name)) return o.name;
    defined.add(o.name);
    const want = need.get(o.name) ?? new Map<string, Want>();
    const kept = (o.fields ?? []).filter((f) => want === 'all' || want.has(f.name));
    return { ...o, fields: kept.map((f) => ({ ...f, type: emit(f.type) })) };
  };
  return emit(schema);
}
