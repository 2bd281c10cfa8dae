/**
 * Aho–Corasick automaton over UTF-16 code units: finds, in one pass over a
 * string, which of many needles it contains. The prefilter index runs one per
 * field, so an event's `CommandLine` is scanned once for the literals of all
 * rules instead of once per rule.
 */
export class AhoCorasick {
  private readonly children: Array<Map<number, number>> = [new Map()];
  private fail: Int32Array = new Int32Array(1);
  /** Next node on the failure chain that ends a needle (dictionary suffix link). */
  private dict: Int32Array = new Int32Array(1);
  /** Needle ids ending exactly at a node. */
  private readonly ends: Array<number[] | undefined> = [undefined];
  private built = false;

  add(needle: string, id: number): void {
    if (this.built) throw new Error('AhoCorasick: add after build');
    let node = 0;
    for (let i = 0; i < needle.length; i++) {
      const c = needle.charCodeAt(i);
      const kids = this.children[node] as Map<number, number>;
      let next = kids.get(c);
      if (next === undefined) {
        next = this.children.length;
        this.children.push(new Map());
        this.ends.push(undefined);
        kids.set(c, next);
      }
      node = next;
    }
    const e = this.ends[node];
    if (e) e.push(id);
    else this.ends[node] = [id];
  }

  build(): void {
    const n = this.children.length;
    this.fail = new Int32Array(n);
    this.dict = new Int32Array(n).fill(-1);
    const queue: number[] = [];
    for (const child of (this.children[0] as Map<number, number>).values()) {
      this.fail[child] = 0;
      queue.push(child);
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi] as number;
      for (const [c, child] of this.children[node] as Map<number, number>) {
        let f = this.fail[node] as number;
        while (f > 0 && !(this.children[f] as Map<number, number>).has(c)) f = this.fail[f] as number;
        const g = (this.children[f] as Map<number, number>).get(c);
        const fl = g !== undefined && g !== child ? g : 0;
        this.fail[child] = fl;
        this.dict[child] = this.ends[fl] ? fl : (this.dict[fl] as number);
        queue.push(child);
      }
    }
    this.built = true;
  }

  /** Calls `hit(id)` for every needle occurring in `s` (an id may be reported more than once). */
  scan(s: string, hit: (id: number) => void): void {
    const children = this.children;
    const fail = this.fail;
    const dict = this.dict;
    const ends = this.ends;
    let node = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let next = (children[node] as Map<number, number>).get(c);
      while (next === undefined && node > 0) {
        node = fail[node] as number;
        next = (children[node] as Map<number, number>).get(c);
      }
      node = next ?? 0;
      for (let o = ends[node] ? node : (dict[node] as number); o > 0; o = dict[o] as number) {
        const ids = ends[o] as number[];
        for (let k = 0; k < ids.length; k++) hit(ids[k] as number);
      }
    }
  }

  get size(): number {
    return this.children.length;
  }
}
