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
import { DirtyKeys } from './dirty-keys';

export class TrackedCorrelationState implements CorrelationStateStore {
  private readonly entries = new Map<string, GroupState>();
  /** Keys changed since the last drain: a group made and gone between two drains, most matched ones, costs no record. */
  private readonly dirty = new DirtyKeys<string>();
  private evicted = 0;
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
    const made = !this.entries.delete(key);
    this.entries.set(key, state);
    this.mark(key, made);
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
    for (const [k, held] of this.dirty.take()) {
      const s = this.entries.get(k);
      if (s !== undefined) out.push({ key: k, value: JSON.stringify(s) });
      else if (held) out.push({ key: k, value: null });
    }
    return out;
  }

  /** Restores one record (changelog or snapshot), as the most recently updated entry; not marked dirty. */
  apply(key: string, value: string | null | GroupState): void {
    if (value === null) {
      this.entries.delete(key);
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
  }

  private mark(key: string, made = false): void {
    this.changes++;
    this.dirty.mark(key, made);
  }
}
