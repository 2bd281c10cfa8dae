/**
 * The correlation state store of one partition: MemoryCorrelationState's bounded,
 * least-recently-updated map, plus change tracking. MemoryCorrelationState evicts
 * silently, but a changelog must also record evictions (as deletions), or a
 * restored store would resurrect evicted groups; hence this class rather than a
 * wrapper around it.
 */
import {
  DEFAULT_MAX_STATE_KEYS,
  isGroupState,
  type CorrelationStateStore,
  type GroupState,
} from '../sigma/correlation';
import { DockguardError } from '../errors';

export class TrackedCorrelationState implements CorrelationStateStore {
  private readonly entries = new Map<string, GroupState>();
  /** key → sequence number of its last change: a re-change is an in-place update, drain sorts by it */
  private readonly dirty = new Map<string, number>();
  private seq = 0;
  private evicted = 0;
  /**
   * Keys the changelog holds (written by a drain, or read back by `apply`): a group
   * made and gone between two drains, most matched ones, then costs no record at
   * all rather than a deletion of something never written.
   */
  private readonly persisted = new Set<string>();
  /** Incremented on every set or delete: lets the caller see whether an event touched correlation state. */
  changes = 0;

  constructor(readonly maxKeys: number = DEFAULT_MAX_STATE_KEYS) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new DockguardError({
        stage: 'config',
        code: 'OPTION_INVALID',
        message: `correlation state maxKeys must be a positive integer, got ${String(maxKeys)}`,
      });
  }

  get(key: string): GroupState | undefined {
    return this.entries.get(key);
  }

  set(key: string, state: GroupState): void {
    this.entries.delete(key);
    this.entries.set(key, state);
    this.mark(key);
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
      this.mark(oldest.value);
      this.evicted++;
    }
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.mark(key);
  }

  keys(): Iterable<string> {
    return this.entries.keys();
  }

  values(): Iterable<GroupState> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  get evictions(): number {
    return this.evicted;
  }

  /** Keys changed since the last drain, in order of last change, with their JSON state, or null for one the changelog holds. */
  drain(): { key: string; value: string | null }[] {
    const out: { key: string; value: string | null }[] = [];
    const changed = [...this.dirty];
    // entries are in order of first change since the drain; a key changed again moved later
    changed.sort((a, b) => a[1] - b[1]);
    for (const [k] of changed) {
      const s = this.entries.get(k);
      if (s !== undefined) {
        this.persisted.add(k);
        out.push({ key: k, value: JSON.stringify(s) });
      } else if (this.persisted.delete(k)) out.push({ key: k, value: null });
    }
    this.dirty.clear();
    this.seq = 0;
    return out;
  }

  /** Restores one record (changelog or snapshot), as the most recently updated entry; not marked dirty. */
  apply(key: string, value: string | null | GroupState): void {
    if (value === null) {
      this.entries.delete(key);
      this.persisted.delete(key);
      return;
    }
    const s: unknown = typeof value === 'string' ? JSON.parse(value) : value;
    if (!isGroupState(s))
      throw new DockguardError({
        stage: 'runtime',
        code: 'STATE_RESTORE',
        message: `correlation state for ${key} is not a version-1 group state`,
      });
    this.entries.delete(key);
    this.entries.set(key, s);
    // from the changelog, or from a snapshot whose changelog may hold it too: its deletion is written
    this.persisted.add(key);
  }

  private mark(key: string): void {
    this.changes++;
    this.dirty.set(key, ++this.seq);
  }
}
