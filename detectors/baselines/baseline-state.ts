/**
 * Per-key baseline state, compact and bounded.
 *
 * Scalar state is a small plain object with one-letter properties (FACTS.md:
 * ~225 B for five numbers in an object); time_of_access adds a 168-byte
 * Uint8Array of saturating hour-of-week counters; first_seen keeps a Map of value
 * → last seen (~120 B per value), capped by max_values.
 *
 * Each baseline has its own LRU map of keys, bounded by max_keys (an attacker who
 * controls a key field must not exhaust memory) and swept of keys idle for
 * key_ttl; evictions are counted. Every change marks the key dirty so the service
 * can write a compacted changelog (see detectors/state/), each baseline's keys in
 * the order of last change, which is also the LRU order a restore must rebuild.
 */
import { DockguardError } from '../errors';
import { DirtyKeys } from '../state/dirty-keys';

export interface FirstSeenState {
  k: 'f';
  /** created (event time, ms) */
  c: number;
  /** events seen */
  n: number;
  /** last event time */
  l: number;
  /** value → last seen (ms), least recently seen first */
  v: Map<string, number>;
}

export interface RateState {
  k: 'r';
  c: number;
  n: number;
  l: number;
  /** current window index (time / window) */
  w: number;
  /** requests in the current window */
  x: number;
  /** EWMA mean and variance of past windows */
  m: number;
  s: number;
  /** past windows folded in */
  h: number;
  /** window index that already alerted (-1: none) */
  a: number;
}

export interface TimeState {
  k: 't';
  c: number;
  n: number;
  l: number;
  /** absolute hour (time / 1h) that already alerted (-1: none) */
  a: number;
  /** hour-of-week counters, Monday 00:00 UTC first, saturating at 255 */
  h: Uint8Array;
}

export type BaselineState = FirstSeenState | RateState | TimeState;

export const STATE_FORMAT = 1;

/** JSON text of a state (Map → entries, Uint8Array → base64). */
export function encodeBaselineState(s: BaselineState): string {
  switch (s.k) {
    case 'f':
      return JSON.stringify({ ...s, v: [...s.v] });
    case 'r':
      return JSON.stringify(s);
    case 't':
      return JSON.stringify({ ...s, h: Buffer.from(s.h.buffer, s.h.byteOffset, s.h.byteLength).toString('base64') });
  }
}

function num(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function restoreError(message: string): DockguardError {
  return new DockguardError({ stage: 'runtime', code: 'STATE_RESTORE', message });
}

/** Parses and checks a state written by encodeBaselineState; throws STATE_RESTORE when it is not one. */
export function decodeBaselineState(text: string): BaselineState {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || !num(o['c']) || !num(o['n']) || !num(o['l']))
    throw restoreError('baseline state lacks its common fields');
  if (o['k'] === 'f') {
    const v = o['v'];
    if (!Array.isArray(v) || !v.every((e) => Array.isArray(e) && typeof e[0] === 'string' && num(e[1])))
      throw restoreError('first_seen state has bad values');
    return { k: 'f', c: o['c'], n: o['n'], l: o['l'], v: new Map(v as [string, number][]) };
  }
  if (o['k'] === 'r') {
    for (const f of ['w', 'x', 'm', 's', 'h', 'a']) if (!num(o[f])) throw restoreError(`rate state lacks ${f}`);
    return o as unknown as RateState;
  }
  if (o['k'] === 't') {
    const h = typeof o['h'] === 'string' ? Buffer.from(o['h'], 'base64') : undefined;
    if (!h || h.length !== 168 || !num(o['a'])) throw restoreError('time_of_access state has bad counters');
    return { k: 't', c: o['c'], n: o['n'], l: o['l'], a: o['a'], h: new Uint8Array(h) };
  }
  throw restoreError(`unknown baseline state kind ${JSON.stringify(o['k'])}`);
}

export interface BaselineCounters {
  /** keys evicted because a baseline held max_keys */
  evictedKeys: number;
  /** keys forgotten after key_ttl without events */
  expiredKeys: number;
  /** values evicted because a key held max_values */
  evictedValues: number;
}

/** The changelog key of a baseline key: JSON, so any character in ids or keys is safe. */
export function baselineStateKey(baselineId: string, key: string): string {
  return JSON.stringify([baselineId, key]);
}

/** One baseline's keys, in order of last change (least recently changed first). */
interface KeyTable {
  keys: Map<string, BaselineState>;
  /** The most recently changed key (the map's last), while it is known. */
  last: string | undefined;
  /** This baseline's entry of the store's dirty map since the last drain (no lookup by id per change). */
  dirty: DirtyKeys<string> | undefined;
}

export class BaselineStore {
  private readonly perBaseline = new Map<string, KeyTable>();
  /** baseline id → its keys changed since the last drain (no string building on the hot path) */
  private readonly dirty = new Map<string, DirtyKeys<string>>();
  readonly counters: BaselineCounters = { evictedKeys: 0, expiredKeys: 0, evictedValues: 0 };

  get(baselineId: string, key: string): BaselineState | undefined {
    return this.perBaseline.get(baselineId)?.keys.get(key);
  }

  /** Stores `state` as the most recently changed key; evicts the least recently changed over `maxKeys`. */
  put(baselineId: string, key: string, state: BaselineState, maxKeys: number): void {
    let t = this.perBaseline.get(baselineId);
    if (!t) {
      t = { keys: new Map(), last: undefined, dirty: undefined };
      this.perBaseline.set(baselineId, t);
    }
    const m = t.keys;
    let made = false;
    // already the most recently changed key (one client's burst): it keeps its place, no delete and re-insert
    if (t.last === key) m.set(key, state);
    else {
      made = !m.delete(key);
      m.set(key, state);
      t.last = key;
    }
    this.mark(baselineId, t, key, made);
    while (m.size > maxKeys) {
      const oldest = m.keys().next();
      if (oldest.done) break;
      this.remove(baselineId, t, oldest.value);
      this.counters.evictedKeys++;
    }
  }

  /** Forgets keys whose last event is older than `before`; the map is in change order, so it stops at the first younger one. */
  expire(baselineId: string, before: number): void {
    const t = this.perBaseline.get(baselineId);
    if (!t) return;
    for (const [key, s] of t.keys) {
      if (s.l >= before) break;
      this.remove(baselineId, t, key);
      this.counters.expiredKeys++;
    }
  }

  /** Drops the state of baselines no longer loaded. */
  retain(ids: ReadonlySet<string>): void {
    for (const [id, t] of this.perBaseline)
      if (!ids.has(id)) {
        for (const key of t.keys.keys()) this.mark(id, t, key);
        this.perBaseline.delete(id);
      }
  }

  get size(): number {
    let n = 0;
    for (const t of this.perBaseline.values()) n += t.keys.size;
    return n;
  }

  sizeOf(baselineId: string): number {
    return this.perBaseline.get(baselineId)?.keys.size ?? 0;
  }

  /** Every entry, each baseline's keys in change order. */
  *entries(): Iterable<[string, string, BaselineState]> {
    for (const [id, t] of this.perBaseline) for (const [key, s] of t.keys) yield [id, key, s];
  }

  /** Every entry encoded, as snapshot records (in the order `apply` must replay them). */
  *encoded(): Iterable<{ key: string; value: string }> {
    for (const [id, key, s] of this.entries()) yield { key: baselineStateKey(id, key), value: encodeBaselineState(s) };
  }

  /** Changed keys since the last drain, in order of last change: state key → encoded state, or null when gone. */
  drain(): { key: string; value: string | null }[] {
    const out: { key: string; value: string | null }[] = [];
    for (const [id, keys] of this.dirty)
      for (const [key, held] of keys.take()) {
        const s = this.get(id, key);
        if (s !== undefined) out.push({ key: baselineStateKey(id, key), value: encodeBaselineState(s) });
        else if (held) out.push({ key: baselineStateKey(id, key), value: null });
      }
    this.dirty.clear();
    for (const t of this.perBaseline.values()) t.dirty = undefined;
    return out;
  }

  /** Applies one changelog record (restore): appended as the most recent key, as when it was written. */
  apply(stateKey: string, value: string | null): void {
    const parsed = JSON.parse(stateKey) as unknown;
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string')
      throw restoreError(`bad baseline state key ${stateKey}`);
    const [id, key] = parsed as [string, string];
    let t = this.perBaseline.get(id);
    if (value === null) {
      if (t) {
        t.keys.delete(key);
        if (t.last === key) t.last = undefined;
      }
      return;
    }
    const state = decodeBaselineState(value);
    if (!t) {
      t = { keys: new Map(), last: undefined, dirty: undefined };
      this.perBaseline.set(id, t);
    }
    t.keys.delete(key);
    t.keys.set(key, state);
    t.last = key;
  }

  private remove(baselineId: string, t: KeyTable, key: string): void {
    t.keys.delete(key);
    if (t.last === key) t.last = undefined;
    this.mark(baselineId, t, key);
  }

  /** Marks `key` changed; `made`: the key did not exist before this change (DirtyKeys.mark). */
  private mark(baselineId: string, t: KeyTable, key: string, made = false): void {
    let keys = t.dirty;
    if (!keys) {
      keys = this.dirty.get(baselineId);
      if (!keys) {
        keys = new DirtyKeys<string>();
        this.dirty.set(baselineId, keys);
      }
      t.dirty = keys;
    }
    keys.mark(key, made);
  }
}
