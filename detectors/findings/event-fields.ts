/**
 * Reading event fields defensively, by dotted path, with the Sigma engine's
 * resolution (a flattened top-level key first, then nested objects; arrays
 * flattened; own properties only). The audit event schema grows (v2 adds
 * `dockguard.exec`, `dockguard.image`, …), so nothing here assumes a field exists.
 */
import { resolveRaw, scalarString } from '../sigma/event-context';

const MAX_LEAVES = 256;

// field names are few (those of rules and baselines): split each once
const segmentCache = new Map<string, string[]>();
function segments(name: string): string[] {
  let s = segmentCache.get(name);
  if (!s) {
    s = name.split('.');
    if (segmentCache.size < 10_000) segmentCache.set(name, s);
  }
  return s;
}

function flatten(v: unknown, out: unknown[], depth: number): void {
  if (out.length >= MAX_LEAVES) return;
  if (Array.isArray(v)) {
    if (depth > 16) return;
    for (const x of v) flatten(x, out, depth + 1);
  } else out.push(v);
}

const hasOwn = Object.prototype.hasOwnProperty;
/** A reader's answers besides a value: nothing there, or an array on the way (resolveRaw walks those). */
const NONE: unique symbol = Symbol('none');
const SLOW: unique symbol = Symbol('slow');
type Reader = (event: unknown) => unknown;

/**
 * The one value at `name` when no array lies on the way: `resolveRaw`'s answer
 * without its per-segment arrays. Audit events are objects all the way down to
 * their leaves, so this is the hot path; an array on the way answers SLOW and is
 * left to resolveRaw.
 *
 * Each name gets its own small function with the segments as constant property
 * names (JSON-quoted, so any name is safe), because V8 caches constant-name loads
 * per site: the generic loop with variable keys and hasOwnProperty per segment
 * costs ~5x more, and intel alone reads 25 fields per event. Own properties only,
 * as resolveRaw (an absent one is undefined either way).
 */
function compileReader(name: string, segs: readonly string[]): Reader {
  const q = JSON.stringify;
  // `v` is n's own property unless it comes from n's prototype chain: asking the prototype (a
  // handful of classes, cached per site) costs far less than hasOwnProperty on every found value
  const own = (key: string): string =>
    `((p = Object.getPrototypeOf(n)) === null || !(${key} in p) || hasOwn.call(n, ${key}))`;
  const N = q(name);
  let body = `if (e === null || typeof e !== 'object') return NONE;\n`;
  body += `let n = e, v, p;\n`;
  // a flattened top-level key first (own, even when undefined: then nothing is found)
  // (usually absent: one cached `in` answers that)
  body += `if (${N} in n && hasOwn.call(n, ${N})) return n[${N}];\n`;
  if (segs.length < 2) body += 'return NONE;\n';
  else {
    for (const seg of segs) {
      const S = q(seg);
      body +=
        `if (n === null || typeof n !== 'object') return NONE;\n` +
        `if (Array.isArray(n)) return SLOW;\n` +
        `v = n[${S}];\n` +
        // an own undefined is found as nothing, like an absent key
        `if (v === undefined || !${own(S)}) return NONE;\n` +
        `n = v;\n`;
    }
    body += 'return n;\n';
  }
  const make = new Function('hasOwn', 'NONE', 'SLOW', `return (e) => {\n${body}};`) as (
    h: typeof hasOwn,
    none: typeof NONE,
    slow: typeof SLOW,
  ) => Reader;
  return make(hasOwn, NONE, SLOW);
}

/** Fallback for unusual names (very long, many segments): the same walk with variable keys. */
function genericReader(name: string, segs: readonly string[]): Reader {
  return (event) => {
    if (event === null || typeof event !== 'object') return NONE;
    if (hasOwn.call(event, name)) return (event as Record<string, unknown>)[name];
    if (segs.length < 2) return NONE;
    let node: unknown = event;
    for (let i = 0; i < segs.length; i++) {
      if (node === null || typeof node !== 'object') return NONE;
      if (Array.isArray(node)) return SLOW;
      const seg = segs[i] as string;
      if (!hasOwn.call(node, seg)) return NONE;
      node = (node as Record<string, unknown>)[seg];
    }
    return node;
  };
}

// field names are few (those of rules, baselines, intel, findings): one reader each
const readers = new Map<string, Reader>();
function readerOf(name: string): Reader {
  let r = readers.get(name);
  if (!r) {
    const segs = segments(name);
    r = name.length <= 256 && segs.length <= 16 ? compileReader(name, segs) : genericReader(name, segs);
    if (readers.size < 10_000) readers.set(name, r);
  }
  return r;
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

/**
 * As `fieldStrings`, but the answer may be shared (frozen when empty): for callers
 * that only read it, on the hot path (no array per absent field).
 */
export function fieldValues(event: unknown, name: string): readonly string[] {
  const v = readerOf(name)(event);
  if (v === NONE) return NO_STRINGS;
  if (typeof v === 'string') return [v];
  if (v === SLOW) {
    const raw = resolveRaw(event, name, segments(name));
    return raw ? rawStrings(raw) : NO_STRINGS;
  }
  if (v === null || v === undefined) return NO_STRINGS;
  return rawStrings([v]);
}

/** One field's values: a lone string as itself (no array for the usual case), else as fieldValues. */
export type FieldReader = (event: unknown) => string | readonly string[];

/** A reader of `name` for hot loops over fixed fields: fieldValues without the name's lookup per call. */
export function fieldReader(name: string): FieldReader {
  const read = readerOf(name);
  return (event) => {
    const v = read(event);
    if (typeof v === 'string') return v;
    if (v === NONE || v === null || v === undefined) return NO_STRINGS;
    if (v === SLOW) return fieldValues(event, name);
    return rawStrings([v]);
  };
}

/** The first raw value at `name` as `resolveRaw` finds it (arrays on the way flattened), or undefined. */
export function fieldFirstRaw(event: unknown, name: string): unknown {
  const v = readerOf(name)(event);
  if (v === NONE) return undefined;
  if (v === SLOW) return resolveRaw(event, name, segments(name))?.[0];
  return v;
}

/** String forms of the scalar values at `name` (strings, numbers, booleans), in event order. */
export function fieldStrings(event: unknown, name: string): string[] {
  const vals = fieldValues(event, name);
  return vals.length === 0 ? [] : (vals as string[]);
}

/** String forms of the scalars in values as `resolveRaw` (or a FieldCollector) found them: arrays flattened, bounded. */
export function rawStrings(raw: readonly unknown[]): string[] {
  if (raw.length === 1 && typeof raw[0] === 'string') return [raw[0]];
  const leaves: unknown[] = [];
  for (const r of raw) flatten(r, leaves, 0);
  const out: string[] = [];
  for (const l of leaves) {
    const s = scalarString(l);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** The first non-empty string value at `name`, or null. */
export function fieldString(event: unknown, name: string): string | null {
  const v = readerOf(name)(event);
  if (typeof v === 'string') return v === '' ? null : v;
  if (v === NONE || v === null || v === undefined) return null;
  for (const s of v === SLOW ? fieldValues(event, name) : rawStrings([v])) if (s !== '') return s;
  return null;
}

/** A finite number at `name` (or a string spelling an integer), or null. */
export function fieldNumber(event: unknown, name: string): number | null {
  const raw = resolveRaw(event, name, segments(name));
  const v = raw?.[0];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return null;
}

/** `s` cut to `max` characters, with an ellipsis when cut. */
export function bounded(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  // never keep half of a surrogate pair (it would be encoded as U+FFFD)
  const last = s.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}
