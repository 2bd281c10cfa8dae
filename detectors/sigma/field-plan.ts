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
  private readonly stamp: Uint32Array;
  private readonly keyStamp: Uint32Array;
  private gen = 0;
  private onString: ((s: string) => void) | undefined;
  private minLength = 0;
  private scalars = true;

  constructor(readonly plan: FieldPlan) {
    const n = plan.fields.length;
    this.values = Array.from({ length: n }, () => []);
    this.byKey = Array.from({ length: n }, () => []);
    this.stamp = new Uint32Array(n);
    this.keyStamp = new Uint32Array(n);
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

  /** `value` sits at plan node `n` (inside an array or not): descend into its keys. */
  private visitElement(value: unknown, n: PlanNode, depth: number): void {
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
