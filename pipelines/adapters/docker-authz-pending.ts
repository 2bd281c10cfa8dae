/**
 * Allowed calls waiting for their AuthZRes, keyed by joinKey (the protocol has
 * no call id). Identical concurrent requests share a key and are matched first
 * in, first out: dockerd may finish them in another order, so two identical
 * calls can swap their responses — harmless, since their events differ only in
 * event id, timestamp and the created id each one then records (each id is still
 * recorded exactly once).
 *
 * Bounded twice: an entry whose response does not come within `timeoutMs`
 * (denied by a later plugin in the chain, a client that went away, a long
 * attach or wait) is expired and published without a response, and beyond
 * `maxEntries` the oldest entry is expired early. Either way every request is
 * published exactly once. Time comes in as a parameter (`now`), expiry runs
 * from `sweep`, which the plugin calls on a timer.
 */
export interface PendingEntry<T> {
  key: string;
  value: T;
  deadline: number;
}

export class PendingCalls<T> {
  private readonly byKey = new Map<string, Array<PendingEntry<T>>>();
  /** All entries in arrival order (a Set keeps insertion order and deletes in O(1)). */
  private readonly order = new Set<PendingEntry<T>>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxEntries: number,
    /** Called once for each entry that leaves without a response, with why. */
    private readonly onExpire: (value: T, why: 'timeout' | 'overflow' | 'close') => void,
  ) {}

  get size(): number {
    return this.order.size;
  }

  add(key: string, value: T, now: number): void {
    const entry: PendingEntry<T> = { key, value, deadline: now + this.timeoutMs };
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(entry);
    this.order.add(entry);
    while (this.order.size > this.maxEntries) {
      const oldest = this.order.values().next().value as PendingEntry<T>;
      this.remove(oldest);
      this.onExpire(oldest.value, 'overflow');
    }
  }

  /** The oldest waiting call with this key, removed; undefined when none waits. */
  take(key: string): T | undefined {
    const list = this.byKey.get(key);
    const entry = list?.[0];
    if (!entry) return undefined;
    this.remove(entry);
    return entry.value;
  }

  /** Expires what is past its deadline; entries are in arrival order, so deadlines are too. */
  sweep(now: number): number {
    let n = 0;
    for (const e of this.order) {
      if (e.deadline > now) break;
      this.remove(e);
      this.onExpire(e.value, 'timeout');
      n++;
    }
    return n;
  }

  /** Expires everything (shutdown). */
  drain(): void {
    for (const e of [...this.order]) {
      this.remove(e);
      this.onExpire(e.value, 'close');
    }
  }

  private remove(e: PendingEntry<T>): void {
    this.order.delete(e);
    const list = this.byKey.get(e.key);
    if (!list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(e.key);
  }
}
