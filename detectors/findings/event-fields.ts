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

/** String forms of the scalar values at `name` (strings, numbers, booleans), in event order. */
export function fieldStrings(event: unknown, name: string): string[] {
  const raw = resolveRaw(event, name, segments(name));
  return raw ? rawStrings(raw) : [];
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
  for (const s of fieldStrings(event, name)) if (s !== '') return s;
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
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
