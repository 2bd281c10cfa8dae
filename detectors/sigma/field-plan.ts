/**
 * The fields a rule set reads, arranged as a trie of path segments, so an
 * event is walked once per evaluation instead of once per field name: only the
 * branches of the event that some rule reads are visited, and every field's
 * values are collected in that one pass. Semantics are those of
 * `resolveRaw` (event-context.ts): a whole top-level key first, else the dotted
 * path, with arrays flattened along the way.
 */

export interface PlanNode {
  children: Map<string, PlanNode>;
  /**
   * A memo of `children` lookups by key position: events of one shape list the
   * same keys in the same order, so the walk compares the key at position i with
   * the one seen there last (one comparison of internalized strings) before
   * asking the map. Pure cache: a different key is looked up and remembered.
   */
  seenKeys: string[];
  seenKids: Array<PlanNode | undefined>;
  /** fields whose dotted path ends here */
  pathEnds: number[];
  /** fields whose whole name is this top-level key */
  keyEnds: number[];
}

function node(): PlanNode {
  return { children: new Map(), seenKeys: [], seenKids: [], pathEnds: [], keyEnds: [] };
}

export class FieldPlan {
  readonly root: PlanNode = node();
  readonly fields: string[] = [];
  readonly ids = new Map<string, number>();

  constructor(names: Iterable<string>) {
    for (const name of names) this.add(name);
  }

  private add(name: string): void {
    if (this.ids.has(name) || name === '') return;
    const id = this.fields.length;
    this.fields.push(name);
    this.ids.set(name, id);
    const segments = name.split('.');
    let n = this.root;
    for (const seg of segments) {
      let c = n.children.get(seg);
      if (!c) {
        c = node();
        n.children.set(seg, c);
      }
      n = c;
    }
    if (segments.length === 1) {
      n.pathEnds.push(id);
      return;
    }
    n.pathEnds.push(id);
    let direct = this.root.children.get(name);
    if (!direct) {
      direct = node();
      this.root.children.set(name, direct);
    }
    direct.keyEnds.push(id);
  }
}

const hasOwn = Object.prototype.hasOwnProperty;
const MAX_DEPTH = 32;
/** keys per plan node whose lookups are remembered by position */
const SEEN_KEYS = 64;

/** The child of `n` at `key`, the `i`-th key of the object being walked (see PlanNode.seenKeys). */
function childAt(n: PlanNode, key: string, i: number): PlanNode | undefined {
  if (i < SEEN_KEYS) {
    if (n.seenKeys[i] === key) return n.seenKids[i];
    const child = n.children.get(key);
    n.seenKeys[i] = key;
    n.seenKids[i] = child;
    return child;
  }
  return n.children.get(key);
}

/**
 * The walk of a plan as one generated function: constant-name property loads per
 * plan node instead of `for…in` over every key of the event. V8 caches a constant
 * load per site, and each site sees one kind of object (an audit event's
 * `dockguard`, its `container`, …), so this costs about a fifth of the generic walk
 * on Avro-decoded events (0.85 against 4.5 µs on a list call, 54 planned fields).
 *
 * Same answers as the generic walk (and resolveRaw): own properties only (a value
 * whose prototype has no property of that name is own; otherwise it is asked), a
 * whole top-level key before the dotted path, and an array anywhere below the
 * top level walked by the generic code from that plan node on, which flattens it.
 * An own property holding undefined is found, as for…in finds it.
 */
type FastCollect = (c: FieldCollector, e: Record<string, unknown>) => void;

/** plans deeper than this, or larger, keep the generic walk */
const MAX_FAST_DEPTH = 24;
const MAX_FAST_NODES = 4096;

function compileCollect(plan: FieldPlan): FastCollect | undefined {
  const q = JSON.stringify;
  const nodes: PlanNode[] = [];
  let size = 0;
  let depthMax = 0;
  const found = (o: string, k: string, v: string): string =>
    `((${v} = ${o}[${k}]) !== undefined ? ((p = Object.getPrototypeOf(${o})) === null || !(${k} in p) || hasOwn.call(${o}, ${k})) : (${k} in ${o} && hasOwn.call(${o}, ${k})))`;
  const take = (id: number, v: string): string => `values[${id}] = [${v}]; stamp[${id}] = gen; fnd.push(${id});\n`;
  // code run when `v` (a variable) holds the value at plan node `n`, `depth` as in visit()
  const visit = (n: PlanNode, v: string, depth: number): string => {
    if (++size > MAX_FAST_NODES) return '';
    depthMax = Math.max(depthMax, depth);
    let code = '';
    for (const id of n.pathEnds) code += take(id, v);
    if (depth > MAX_DEPTH || n.children.size === 0) return code;
    const ni = nodes.push(n) - 1;
    const o = `o${depth}`;
    code += `if (typeof ${v} === 'object' && ${v} !== null) {\n`;
    code += `if (Array.isArray(${v})) c.visitElement(${v}, nodes[${ni}], ${depth});\n`;
    code += `else { const ${o} = ${v};\n`;
    for (const [key, child] of n.children) {
      const cv = `v${depth + 1}`;
      code += `if (${found(o, q(key), cv)}) {\n${visit(child, cv, depth + 1)}}\n`;
    }
    code += '}}\n';
    return code;
  };
  let body = 'const values = c.values, stamp = c.stamp, fnd = c.found, gen = c.gen;\nlet p, v1';
  for (let d = 2; d <= MAX_FAST_DEPTH + 1; d++) body += `, v${d}`;
  body += ';\n';
  const whole: string[] = [];
  for (const [key, child] of plan.root.children) {
    // a name with a dot at the root is a whole top-level key: it overrides its dotted path below
    if (key.includes('.')) {
      const ids = child.keyEnds.map(
        (id) => `values[${id}] = [v1]; if (stamp[${id}] !== gen) { stamp[${id}] = gen; fnd.push(${id}); }\n`,
      );
      whole.push(`if (${found('e', q(key), 'v1')}) {\n${ids.join('')}}\n`);
    } else body += `if (${found('e', q(key), 'v1')}) {\n${visit(child, 'v1', 1)}}\n`;
  }
  body += whole.join('');
  if (size > MAX_FAST_NODES || depthMax > MAX_FAST_DEPTH) return undefined;
  const make = new Function('hasOwn', 'nodes', `return (c, e) => {\n${body}};`) as (
    h: typeof hasOwn,
    n: readonly PlanNode[],
  ) => FastCollect;
  return make(hasOwn, nodes);
}

export interface Collected {
  /** per field id: the raw values found (valid for the ids in `found` only) */
  values: ReadonlyArray<unknown[]>;
  /** ids of the fields found */
  found: readonly number[];
}

/**
 * Walks events along a plan, reusing its buffers from one event to the next
 * (the hot path allocates nothing but what the event's values need). Not
 * re-entrant: read `values` before the next call.
 */
export class FieldCollector implements Collected {
  readonly values: unknown[][];
  readonly found: number[] = [];
  private readonly keyFound: number[] = [];
  private readonly byKey: unknown[][];
  /** per field id: the walk (gen) that found it; read by the generated walk */
  readonly stamp: Uint32Array;
  private readonly keyStamp: Uint32Array;
  /** the current walk's number */
  gen = 0;
  private readonly fast: FastCollect | undefined;
  private onString: ((s: string) => void) | undefined;
  private minLength = 0;
  private scalars = true;

  constructor(readonly plan: FieldPlan) {
    const n = plan.fields.length;
    this.values = Array.from({ length: n }, () => []);
    this.byKey = Array.from({ length: n }, () => []);
    this.stamp = new Uint32Array(n);
    this.keyStamp = new Uint32Array(n);
    this.fast = compileCollect(plan);
  }

  /**
   * Collects the planned fields of `event`. With `onString`, the walk visits the
   * whole event and hands it every scalar's string form on the way (keyword
   * searches), so the event is still walked only once. Strings shorter than
   * `minLength` are not handed over, nor (with `scalars` false) numbers and
   * booleans: the caller knows that none of its needles can occur in them.
   */
  collect(event: unknown, onString?: (s: string) => void, minLength = 0, scalars = true): this {
    if (++this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.keyStamp.fill(0);
      this.gen = 1;
    }
    this.found.length = 0;
    this.keyFound.length = 0;
    this.onString = onString;
    this.minLength = minLength;
    this.scalars = scalars;
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      if (onString) this.visitAll(event, 0);
      return this;
    }
    const root = event as Record<string, unknown>;
    if (this.fast && !onString) {
      this.fast(this, root);
      return this;
    }
    const rootPlan = this.plan.root;
    let i = 0;
    for (const key in root) {
      if (!hasOwn.call(root, key)) continue;
      const child = childAt(rootPlan, key, i++);
      const value = root[key];
      if (child) {
        for (const id of child.keyEnds) this.push(this.byKey, this.keyStamp, id, value);
        this.visit(value, child, 1);
      } else if (onString) this.visitAll(value, 1);
    }
    // a whole top-level key takes precedence over the dotted path of the same name
    for (const id of this.keyFound) {
      this.values[id] = this.byKey[id] as unknown[];
      if (this.stamp[id] !== this.gen) {
        this.stamp[id] = this.gen;
        this.found.push(id);
      }
    }
    return this;
  }

  private push(buf: unknown[][], stamp: Uint32Array, id: number, value: unknown): void {
    if (stamp[id] !== this.gen) {
      stamp[id] = this.gen;
      buf[id] = [value];
      (buf === this.values ? this.found : this.keyFound).push(id);
    } else (buf[id] as unknown[]).push(value);
  }

  private visit(value: unknown, n: PlanNode, depth: number): void {
    for (const id of n.pathEnds) this.push(this.values, this.stamp, id, value);
    if (depth > MAX_DEPTH) return;
    if (n.children.size === 0) {
      if (this.onString) this.visitAll(value, depth);
      return;
    }
    if (Array.isArray(value)) {
      for (const el of value) this.visitElement(el, n, depth + 1);
      return;
    }
    this.visitElement(value, n, depth);
  }

  /** `value` sits at plan node `n` (inside an array or not): descend into its keys. Called by the generated walk. */
  visitElement(value: unknown, n: PlanNode, depth: number): void {
    if (Array.isArray(value)) {
      for (const el of value) this.visitElement(el, n, depth + 1);
      return;
    }
    if (value === null || typeof value !== 'object') {
      if (this.onString) this.visitAll(value, depth);
      return;
    }
    const obj = value as Record<string, unknown>;
    let i = 0;
    for (const key in obj) {
      if (!hasOwn.call(obj, key)) continue;
      const child = childAt(n, key, i++);
      if (child) this.visit(obj[key], child, depth + 1);
      else if (this.onString) this.visitAll(obj[key], depth + 1);
    }
  }

  private visitAll(v: unknown, depth: number): void {
    const fn = this.onString as (s: string) => void;
    if (depth > 64) return;
    if (typeof v === 'string') {
      if (v.length >= this.minLength) fn(v);
    } else if (Array.isArray(v)) for (const x of v) this.visitAll(x, depth + 1);
    else if (v !== null && typeof v === 'object') {
      for (const k in v) if (hasOwn.call(v, k)) this.visitAll((v as Record<string, unknown>)[k], depth + 1);
    } else if (this.scalars && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'))
      fn(String(v));
  }
}
