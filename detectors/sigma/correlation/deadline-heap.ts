/**
 * Min-heap of (deadline, rank, key): the next group whose window closes.
 *
 * It is a derived index over the state store, not state: the engine rebuilds it
 * from the store on start and checks every popped entry against the store, so
 * stale entries (a group that changed or was evicted since) are skipped, not
 * trusted. Ties are broken by rank (a correlation before those it feeds) and then
 * key, so the order in which windows close does not depend on insertion order,
 * and a restarted engine closes them in the same order as one that never stopped.
 */
export interface Deadline {
  deadline: number;
  rank: number;
  key: string;
}

function less(a: Deadline, b: Deadline): boolean {
  if (a.deadline !== b.deadline) return a.deadline < b.deadline;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.key < b.key;
}

export class DeadlineHeap {
  private items: Deadline[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Deadline | undefined {
    return this.items[0];
  }

  push(d: Deadline): void {
    const a = this.items;
    a.push(d);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i] as Deadline, a[p] as Deadline)) break;
      [a[i], a[p]] = [a[p] as Deadline, a[i] as Deadline];
      i = p;
    }
  }

  pop(): Deadline | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && less(a[l] as Deadline, a[m] as Deadline)) m = l;
      if (r < a.length && less(a[r] as Deadline, a[m] as Deadline)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m] as Deadline, a[i] as Deadline];
      i = m;
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}
