/**
 * State of correlation windows, one entry per (correlation rule, group key).
 *
 * The engine keeps no per-group data of its own: everything it needs to continue
 * after a restart is here, as plain JSON (no Map, Set, class or undefined inside),
 * so that a store backed by a compacted Kafka changelog topic can write an entry
 * with JSON.stringify on every `set` and rebuild the store from the topic on start,
 * the way Kafka Streams restores a state store. Short property names because each
 * update is written to that topic.
 *
 * The store is bounded: an attacker who controls a group-by field (a user name, a
 * container name) could otherwise open one group per request and exhaust memory.
 * Over the bound, the least recently updated entry is evicted, and counted.
 */
import { DockguardError } from '../../errors';

/** A scalar as found in an event; bigints are stored as strings to stay JSON. */
export type GroupValue = string | number | boolean | null | (string | number | boolean)[];

/** One hit kept in a group's window. */
export interface StoredHit {
  /** Event time, in ms. */
  t: number;
  /** Event references (one for a detection hit, the union for a chained correlation match). */
  e: number[];
  /** Index, in the correlation's `rules`, of the rule that produced the hit. */
  r: number;
  /** Value key of `field` (value_count, value_percentile). */
  v?: string;
  /** Numeric value of `field` (value_sum, value_avg). */
  n?: number;
}

export interface GroupState {
  /** Format version, so a changelog written by an older release can be recognised. */
  v: 1;
  /** Key of the correlation rule this group belongs to. */
  rule: string;
  /** group-by name → value, as seen in the group's first hit; reported with matches. */
  group: Record<string, GroupValue>;
  /** Hits in the window, sorted by time; equal times keep their arrival order. */
  hits: StoredHit[];
  /** Hits dropped because the group held more than maxEventsPerGroup. */
  dropped: number;
}

/**
 * Where correlation state lives. The engine mutates the object returned by `get`
 * and always calls `set` (or `delete`) after, so a store that serialises on `set`
 * sees every change, and an in-memory store may return its own object.
 */
export interface CorrelationStateStore {
  get(key: string): GroupState | undefined;
  set(key: string, state: GroupState): void;
  delete(key: string): void;
  keys(): Iterable<string>;
  readonly size: number;
  /** Entries evicted by the bound since the store was created. */
  readonly evictions: number;
}

export interface MemoryCorrelationStateOptions {
  /** Most entries kept; default 100,000. */
  maxKeys?: number;
}

export const DEFAULT_MAX_STATE_KEYS = 100_000;

/** In-memory store, bounded, least-recently-updated eviction. Ships in the source tree for tests and `match`. */
export class MemoryCorrelationState implements CorrelationStateStore {
  // A Map iterates in insertion order; `set` re-inserts, so the first key is the
  // least recently updated one and eviction is O(1).
  private readonly entries = new Map<string, GroupState>();
  private evicted = 0;
  readonly maxKeys: number;

  constructor(options: MemoryCorrelationStateOptions = {}) {
    const max = options.maxKeys ?? DEFAULT_MAX_STATE_KEYS;
    if (!Number.isInteger(max) || max < 1)
      throw new DockguardError({
        stage: 'config',
        code: 'OPTION_INVALID',
        message: `correlation state maxKeys must be a positive integer, got ${String(max)}`,
      });
    this.maxKeys = max;
  }

  get(key: string): GroupState | undefined {
    return this.entries.get(key);
  }

  set(key: string, state: GroupState): void {
    this.entries.delete(key);
    this.entries.set(key, state);
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
      this.evicted++;
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  keys(): Iterable<string> {
    return this.entries.keys();
  }

  get size(): number {
    return this.entries.size;
  }

  get evictions(): number {
    return this.evicted;
  }
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isStoredHit(h: unknown): h is StoredHit {
  if (h === null || typeof h !== 'object') return false;
  const x = h as Record<string, unknown>;
  return (
    typeof x['t'] === 'number' &&
    Number.isFinite(x['t']) &&
    Array.isArray(x['e']) &&
    x['e'].every((n) => typeof n === 'number') &&
    Number.isInteger(x['r']) &&
    (x['v'] === undefined || typeof x['v'] === 'string') &&
    (x['n'] === undefined || (typeof x['n'] === 'number' && Number.isFinite(x['n'])))
  );
}

/**
 * Checks data read back from a changelog before the engine trusts it: a record
 * of another format version or a corrupted one is rejected, not half-used.
 */
export function isGroupState(s: unknown): s is GroupState {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return false;
  const x = s as Record<string, unknown>;
  const group = x['group'];
  return (
    x['v'] === 1 &&
    typeof x['rule'] === 'string' &&
    group !== null &&
    typeof group === 'object' &&
    !Array.isArray(group) &&
    Object.values(group).every((g) => g === null || isScalar(g) || (Array.isArray(g) && g.every(isScalar))) &&
    Array.isArray(x['hits']) &&
    x['hits'].every(isStoredHit) &&
    typeof x['dropped'] === 'number'
  );
}
