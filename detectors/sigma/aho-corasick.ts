/**
 * Aho–Corasick automaton over UTF-16 code units: finds, in one pass over a
 * string, which of many needles it contains. The prefilter index runs one per
 * field, so an event's `CommandLine` is scanned once for the literals of all
 * rules instead of once per rule.
 *
 * Layout for speed (the scan is the hot loop of the engine): characters are
 * mapped to a small alphabet of the characters that occur in needles (any other
 * character sends the automaton back to the root at once); the root's
 * transitions are a dense table; other nodes keep their sorted transitions in
 * flat typed arrays.
 */
export class AhoCorasick {
  // build-time trie
  private trie: Array<Map<number, number>> | undefined = [new Map()];
  private readonly endsList: Array<number[] | undefined> = [undefined];
  // scan-time structure
  private classOf = new Uint16Array(0);
  private rootNext = new Int32Array(0);
  private first = new Int32Array(0);
  private count = new Uint16Array(0);
  private keys = new Uint16Array(0);
  private targets = new Int32Array(0);
  private fail = new Int32Array(0);
  /** Next node on the failure chain that ends a needle (dictionary suffix link), or -1. */
  private dict = new Int32Array(0);
  private nodes = 1;

  add(needle: string, id: number): void {
    const trie = this.trie;
    if (!trie) throw new Error('AhoCorasick: add after build');
    let node = 0;
    for (let i = 0; i < needle.length; i++) {
      const c = needle.charCodeAt(i);
      const kids = trie[node] as Map<number, number>;
      let next = kids.get(c);
      if (next === undefined) {
        next = trie.length;
        trie.push(new Map());
        this.endsList.push(undefined);
        kids.set(c, next);
      }
      node = next;
    }
    const e = this.endsList[node];
    if (e) e.push(id);
    else this.endsList[node] = [id];
  }

  build(): void {
    const trie = this.trie;
    if (!trie) return;
    const n = trie.length;
    this.nodes = n;
    // alphabet: class 0 = characters in no needle
    const classOf = new Uint16Array(65536);
    let classes = 1;
    for (const kids of trie) for (const c of kids.keys()) if (classOf[c] === 0) classOf[c] = classes++;
    this.classOf = classOf;
    let edges = 0;
    for (const kids of trie) edges += kids.size;
    const first = new Int32Array(n);
    const count = new Uint16Array(n);
    const keys = new Uint16Array(edges);
    const targets = new Int32Array(edges);
    let at = 0;
    for (let v = 0; v < n; v++) {
      const kids = [...(trie[v] as Map<number, number>)].map(([c, t]) => [classOf[c] as number, t] as const);
      kids.sort((a, b) => a[0] - b[0]);
      first[v] = at;
      count[v] = kids.length;
      for (const [k, t] of kids) {
        keys[at] = k;
        targets[at++] = t;
      }
    }
    Object.assign(this, { first, count, keys, targets });
    const rootNext = new Int32Array(classes);
    for (const [c, t] of trie[0] as Map<number, number>) rootNext[classOf[c] as number] = t;
    this.rootNext = rootNext;
    // failure and dictionary links, breadth first
    const fail = new Int32Array(n);
    const dict = new Int32Array(n).fill(-1);
    const queue: number[] = [];
    for (const child of (trie[0] as Map<number, number>).values()) queue.push(child);
    for (let qi = 0; qi < queue.length; qi++) {
      const v = queue[qi] as number;
      for (let e = first[v] as number, end = e + (count[v] as number); e < end; e++) {
        const k = keys[e] as number;
        const child = targets[e] as number;
        let f = fail[v] as number;
        let g = this.step(f, k);
        while (g < 0 && f > 0) {
          f = fail[f] as number;
          g = this.step(f, k);
        }
        const fl = g > 0 && g !== child ? g : 0;
        fail[child] = fl;
        dict[child] = this.endsList[fl] ? fl : (dict[fl] as number);
        queue.push(child);
      }
    }
    this.fail = fail;
    this.dict = dict;
    this.trie = undefined;
  }

  /** Transition from `v` on alphabet class `k`, or -1 (the root never fails: 0). */
  private step(v: number, k: number): number {
    if (v === 0) return this.rootNext[k] as number;
    const keys = this.keys;
    let lo = this.first[v] as number;
    let hi = lo + (this.count[v] as number) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = keys[mid] as number;
      if (m === k) return this.targets[mid] as number;
      if (m < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Calls `hit(id)` for every needle occurring in `s` (an id may be reported more than once). */
  scan(s: string, hit: (id: number) => void): void {
    const classOf = this.classOf;
    const fail = this.fail;
    const dict = this.dict;
    const ends = this.endsList;
    let v = 0;
    for (let i = 0; i < s.length; i++) {
      const k = classOf[s.charCodeAt(i)] as number;
      if (k === 0) {
        v = 0;
        continue;
      }
      let next = this.step(v, k);
      while (next < 0) {
        v = fail[v] as number;
        next = this.step(v, k);
      }
      v = next;
      for (let o = ends[v] ? v : (dict[v] as number); o > 0; o = dict[o] as number) {
        const ids = ends[o] as number[];
        for (let j = 0; j < ids.length; j++) hit(ids[j] as number);
      }
    }
  }

  get size(): number {
    return this.nodes;
  }
}
