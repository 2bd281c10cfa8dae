/**
 * The keys of a compacted changelog changed since its last drain: the order of
 * their last change (the order a restore must replay them in), and whether the
 * changelog holds each. A key made after the last drain and gone again by the
 * next one was never written, and needs no record at all, not a deletion.
 *
 * No memory per tracked key beyond the drain interval: the sign of a dirty key's
 * sequence number says whether it was made since the last drain.
 */
export class DirtyKeys<K> {
  /** key → sequence number of its last change; negative: made since the last drain */
  private readonly seqs = new Map<K, number>();
  private seq = 0;

  get size(): number {
    return this.seqs.size;
  }

  /**
   * Marks `key` changed. `made`: it did not exist before this change; a key so
   * marked stays unwritten for as long as it stays dirty (deleted and made again
   * in one interval, the changelog still does not hold it).
   */
  mark(key: K, made = false): void {
    const prev = this.seqs.get(key);
    const unwritten = prev === undefined ? made : prev < 0;
    this.seqs.set(key, unwritten ? -++this.seq : ++this.seq);
  }

  /**
   * The dirty keys in order of last change, each with whether the changelog holds
   * it (drained before, or restored), and forgets them. A change of a key already
   * dirty is an in-place update of its number, so the map is in order of first
   * change; sorted only when some key changed again.
   */
  take(): [key: K, held: boolean][] {
    const entries = [...this.seqs];
    let sorted = true;
    for (let i = 1; i < entries.length && sorted; i++)
      if (Math.abs((entries[i] as [K, number])[1]) < Math.abs((entries[i - 1] as [K, number])[1])) sorted = false;
    if (!sorted) entries.sort((a, b) => Math.abs(a[1]) - Math.abs(b[1]));
    this.seqs.clear();
    this.seq = 0;
    return entries.map(([k, s]) => [k, s > 0]);
  }
}
