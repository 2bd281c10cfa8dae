/**
 * Per-event view used while matching: resolves field names once and keeps the
 * string and lower-cased forms of their values, so that a hundred rules testing
 * `CommandLine` lower-case it once.
 *
 * Field resolution (issue "Sigma detection engine"): a name is first looked up as a
 * top-level key (flattened ECS names such as `process.command_line` stay whole);
 * otherwise it is followed as a dotted path into nested objects. Arrays are
 * flattened, at the leaf and on the way, so a rule matches if any element does.
 * Only own properties are read: an event cannot make `constructor` or
 * `__proto__` resolve to something inherited.
 */
import type { FieldPlan } from './field-plan';
import { fold } from './fold';

const hasOwn = Object.prototype.hasOwnProperty;

export interface FieldValues {
  /** The key exists (its value may be null or empty). */
  readonly present: boolean;
  /** Flattened leaf values, in event order. */
  readonly leaves: readonly unknown[];
  /** String forms of the scalar leaves (strings, numbers, booleans); null and objects are left out. */
  readonly strs: readonly string[];
  /** `strs` lower-cased, computed on first use. */
  readonly lowers: readonly string[];
}

const ABSENT: FieldValues = { present: false, leaves: [], strs: [], lowers: [] };

export function scalarString(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

function flattenInto(v: unknown, out: unknown[], depth: number): void {
  if (Array.isArray(v)) {
    if (depth > 32) return;
    for (const x of v) flattenInto(x, out, depth + 1);
  } else out.push(v);
}

class Values implements FieldValues {
  private lowerCache: string[] | undefined;
  constructor(
    readonly present: boolean,
    readonly leaves: unknown[],
    readonly strs: string[],
  ) {}
  get lowers(): string[] {
    if (this.lowerCache === undefined) {
      const strs = this.strs;
      // one string is the common case: no map() callback
      this.lowerCache = strs.length === 1 ? [fold(strs[0] as string)] : strs.map(fold);
    }
    return this.lowerCache;
  }
}

/**
 * `raw` is the caller's fresh array of the values found, never changed after
 * this call (field-plan.ts and resolveRaw build a new one per event and field):
 * one string, the common case, is kept as both leaves and strings.
 */
export function makeValues(raw: unknown[]): FieldValues {
  if (raw.length === 1 && typeof raw[0] === 'string') return new Values(true, raw, raw as string[]);
  const leaves: unknown[] = [];
  for (const r of raw) flattenInto(r, leaves, 0);
  const strs: string[] = [];
  for (const l of leaves) {
    const s = scalarString(l);
    if (s !== undefined) strs.push(s);
  }
  return new Values(true, leaves, strs);
}

/**
 * Resolves `name` in `event` into the raw values found (empty when absent). An
 * event that is not an object (a top-level array among them) has no fields, only
 * values for keyword searches: the prefilter's walk (field-plan.ts) reads it so.
 */
export function resolveRaw(event: unknown, name: string, segments: readonly string[]): unknown[] | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  if (hasOwn.call(event, name)) return [(event as Record<string, unknown>)[name]];
  if (segments.length < 2) return undefined;
  let level: unknown[] = [event];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const node of level) collect(node, seg, next, 0);
    if (next.length === 0) return undefined;
    level = next;
  }
  return level;
}

function collect(node: unknown, seg: string, out: unknown[], depth: number): void {
  if (Array.isArray(node)) {
    if (depth > 32) return;
    for (const x of node) collect(x, seg, out, depth + 1);
  } else if (node !== null && typeof node === 'object' && hasOwn.call(node, seg)) {
    out.push((node as Record<string, unknown>)[seg]);
  }
}

/**
 * The values a prefilter's walk found for one event, by plan id
 * (literal-index.ts): valid where `stamps[id]` is the event's epoch, and only
 * while `epoch` is still that event's (the arrays are reused by the next event).
 */
export interface PrimedFields {
  readonly plan: FieldPlan;
  readonly values: readonly FieldValues[];
  readonly stamps: Uint32Array;
  readonly epoch: number;
}

export class EventContext {
  private readonly cache = new Map<string, FieldValues>();
  private allStrings: FieldValues | undefined;
  /** the first prefilter walk of this event: read in place, nothing copied */
  private primed: PrimedFields | undefined;
  private primedEpoch = 0;
  /** set by later walks (copied into the cache): its fields not in the cache are known to be absent */
  private plan: FieldPlan | undefined;

  constructor(readonly event: unknown) {}

  /**
   * Takes the values of one walk over the event (field-plan.ts, literal-index.ts):
   * every planned field is then answered without resolving its path again. The
   * first walk is read in place; the values of later ones (other rule groups)
   * are copied into the cache.
   */
  prime(walk: PrimedFields, found: readonly number[]): void {
    if (this.primed === undefined) {
      this.primed = walk;
      this.primedEpoch = walk.epoch;
      return;
    }
    this.plan = walk.plan;
    for (let i = 0; i < found.length; i++) {
      const id = found[i] as number;
      this.cache.set(walk.plan.fields[id] as string, walk.values[id] as FieldValues);
    }
  }

  /**
   * Answers not taken from the first walk's values (fields outside its plan, the
   * values of later walks, keyword haystacks): a rule set that sees none while
   * evaluating an event knows the result depends on the walked values alone.
   */
  offPlan = 0;

  field(name: string): FieldValues {
    let v = this.cache.get(name);
    if (v === undefined) {
      const p = this.primed;
      // the first walk's values, while they are still this event's
      if (p !== undefined && p.epoch === this.primedEpoch) {
        const id = p.plan.ids.get(name);
        if (id !== undefined) return p.stamps[id] === this.primedEpoch ? (p.values[id] as FieldValues) : ABSENT;
      }
      this.offPlan++;
      if (this.plan?.ids.has(name)) return ABSENT;
      const raw = resolveRaw(this.event, name, splitPath(name));
      v = raw === undefined ? ABSENT : makeValues(raw);
      this.cache.set(name, v);
    } else this.offPlan++;
    return v;
  }

  /** Every scalar value anywhere in the event: the haystack of keyword searches. */
  anyField(): FieldValues {
    this.offPlan++;
    if (this.allStrings === undefined) {
      const leaves: unknown[] = [];
      walkLeaves(this.event, leaves, 0);
      this.allStrings = makeValues(leaves);
    }
    return this.allStrings;
  }
}

interface FieldSlot {
  ctx: EventContext | undefined;
  values: FieldValues;
}

/** one slot per field name, shared by every leaf that reads the field */
const slots = new Map<string, FieldSlot>();

/**
 * `ctx.field(name)` for the leaves of compiled rules: the leaves of one field
 * (`Image|endswith`, `Image|contains`, … in many rules) share a slot holding the
 * last context asked and its answer, so that the rules evaluated on an event
 * look the field up once, not once per leaf. A context is one event's
 * (EventContext.event is fixed), so its answer for a name never changes.
 */
export function fieldReader(name: string): (ctx: EventContext) => FieldValues {
  let slot = slots.get(name);
  if (slot === undefined) {
    slot = { ctx: undefined, values: ABSENT };
    slots.set(name, slot);
  }
  const s = slot;
  return (ctx) => {
    if (s.ctx !== ctx) {
      s.values = ctx.field(name);
      s.ctx = ctx;
    }
    return s.values;
  };
}

function walkLeaves(v: unknown, out: unknown[], depth: number): void {
  if (depth > 64) return;
  if (Array.isArray(v)) for (const x of v) walkLeaves(x, out, depth + 1);
  else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) walkLeaves((v as Record<string, unknown>)[k], out, depth + 1);
  } else out.push(v);
}

const splitCache = new Map<string, readonly string[]>();
function splitPath(name: string): readonly string[] {
  let s = splitCache.get(name);
  if (s === undefined) {
    s = name.split('.');
    if (splitCache.size < 100_000) splitCache.set(name, s);
  }
  return s;
}
