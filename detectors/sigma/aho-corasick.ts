/**
 * Aho–Corasick automaton over UTF-16 code units: finds, in one pass over a
 * string, which of many needles it contains. The prefilter index runs one per
 * field, so an event's `CommandLine` is scanned once for the literals of all
 * rules instead of once per rule.
 *
 * Needles are case-folded (fold.ts). The automaton folds the text as it reads:
 * every code unit is mapped to the alphabet class of its folded form, so event
 * values are scanned as they are, without building a lower-cased copy. A string
 * with surrogate pairs (whose folding is per code point) is left to the caller
 * to fold first.
 *
 * Layout for speed: a small alphabet (characters that occur in no needle send
 * the automaton back to the root), ASCII characters numbered first; a full
 * transition table over the ASCII classes when it fits in DFA_MAX_BYTES (rule
 * literals are mostly ASCII, and one emoji rule must not cost a table column
 * per emoji); sorted sparse transitions for the rest.
 */
import { fold } from './fold';

export const DFA_MAX_BYTES = 32 * 1024 * 1024;
/** automata with at most this many needles search with String.prototype.includes */
export const FEW_NEEDLES = 4;
/** class of every surrogate code unit in `classOf` (never a real class: classes < 65535) */
const SURROGATE = 0xffff;
/**
 * Automata whose needles are all at least this long skip through text at the
 * root (see `shift`); with shorter needles a skip is too short to pay.
 */
export const SKIP_MIN_LENGTH = 4;

/** folded code unit → code units that fold to it (computed once) */
let inverseFold: Map<number, number[]> | undefined;
function foldVariants(c: number): readonly number[] {
  if (!inverseFold) {
    inverseFold = new Map();
    for (let u = 0; u < 0xd800; u++) addVariant(u);
    for (let u = 0xe000; u < 0x10000; u++) addVariant(u);
  }
  return inverseFold.get(c) ?? [];
}
function addVariant(u: number): void {
  const f = fold(String.fromCharCode(u));
  if (f.length !== 1) return;
  const fc = f.charCodeAt(0);
  if (fc === u) return;
  const list = (inverseFold as Map<number, number[]>).get(fc);
  if (list) list.push(u);
  else (inverseFold as Map<number, number[]>).set(fc, [u]);
}

export class AhoCorasick {
  // build-time trie
  private trie: Array<Map<number, number>> | undefined = [new Map()];
  private endsList: Array<number[] | undefined> = [undefined];
  // scan-time structure
  private classOf = new Uint16Array(0);
  private classes = 1;
  private rootNext = new Int32Array(0);
  private first = new Int32Array(0);
  private count = new Uint16Array(0);
  private keys = new Uint16Array(0);
  private targets = new Int32Array(0);
  private fail = new Int32Array(0);
  /** Next node on the failure chain that ends a needle (dictionary suffix link), or -1. */
  private dict = new Int32Array(0);
  /** per node: the first node of its output chain (itself or a dictionary link), or -1 */
  private out = new Int32Array(0);
  /** transition table (node × ASCII class), when it fits */
  private delta: Uint16Array | Int32Array | undefined;
  /** columns of `delta`: class 0 and the ASCII classes */
  private dfaCols = 1;
  /** the classes of surrogate code units that occur in needles */
  private readonly surrogateClass = new Map<number, number>();
  private nodes = 1;
  /** nodes numbered from here on have output, those below none (see relabel) */
  private firstReporting = 1;
  private readonly needles: Array<[string, number]> = [];
  /** per node: the epoch its output chain was last reported in */
  private reported = new Uint32Array(0);
  /** with this few needles, V8's own substring search on the folded text beats the automaton */
  private few = false;
  /** length of the shortest needle, capped at 255 (the skip window) */
  private minLength = 0;
  /**
   * Set-Horspool skips at the root, per alphabet class: while the automaton is at
   * the root at position i, no needle occurrence is under way, and one can start
   * at i only if the code unit at i + minLength - 1 is in some needle at a
   * position q < minLength; shift[class] is the smallest minLength - 1 - q over
   * all needles (minLength when in none), so that many positions can start no
   * occurrence. Undefined when needles are short or hold surrogates.
   */
  private shift: Uint8Array | undefined;

  /**
   * `includesForFew`: search a handful of needles with `includes` on the folded
   * text (fast for one long string; a scanner of many short values, which would
   * fold each of them, passes false).
   */
  constructor(private readonly includesForFew = true) {}

  add(needle: string, id: number): void {
    const trie = this.trie;
    if (!trie) throw new Error('AhoCorasick: add after build');
    this.needles.push([needle, id]);
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
    this.few = this.includesForFew && this.needles.length <= FEW_NEEDLES;
    const n = trie.length;
    this.nodes = n;
    // alphabet: class 0 = characters that fold to no needle character
    const classOf = new Uint16Array(65536);
    let classes = 1;
    for (const ascii of [true, false]) {
      for (const kids of trie)
        for (const c of kids.keys())
          if (classOf[c] === 0 && c < 128 === ascii) {
            classOf[c] = classes;
            for (const v of foldVariants(c)) if (classOf[v] === 0) classOf[v] = classes;
            classes++;
          }
      if (ascii) this.dfaCols = classes;
    }
    this.classOf = classOf;
    this.classes = classes;
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
    const order: number[] = [0];
    for (const child of (trie[0] as Map<number, number>).values()) order.push(child);
    for (let qi = 1; qi < order.length; qi++) {
      const v = order[qi] as number;
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
        order.push(child);
      }
    }
    this.fail = fail;
    this.dict = dict;
    const out = new Int32Array(n);
    for (let v = 0; v < n; v++) out[v] = this.endsList[v] ? v : (dict[v] as number);
    this.out = out;
    this.reported = new Uint32Array(n);
    const bfs = this.relabel(order);
    // full table: parents before children (BFS order), so a failure row is ready when used
    const wide = n > 0xffff;
    const cols = this.dfaCols;
    if (n * cols * (wide ? 4 : 2) <= DFA_MAX_BYTES) {
      const delta = wide ? new Int32Array(n * cols) : new Uint16Array(n * cols);
      const relabeled = this.fail;
      for (const v of bfs) {
        const row = v * cols;
        const frow = (relabeled[v] as number) * cols;
        for (let k = 1; k < cols; k++) {
          const t = this.step(v, k);
          delta[row + k] = v === 0 ? Math.max(t, 0) : t >= 0 ? t : (delta[frow + k] as number);
        }
      }
      this.delta = delta;
    }
    // surrogates are diverted (after the transitions took their real classes):
    // scan() hands strings holding them back to be folded first
    for (let u = 0xd800; u <= 0xdfff; u++) {
      if (classOf[u] !== 0) this.surrogateClass.set(u, classOf[u] as number);
      classOf[u] = SURROGATE;
    }
    this.buildShift();
    this.trie = undefined;
  }

  /**
   * The skip table (see `shift`). Only when no needle holds a surrogate: then a
   * surrogate pair, which folds to a surrogate pair, can be part of no occurrence,
   * and skipping over one finds what scanning the folded text would.
   */
  private buildShift(): void {
    if (this.needles.length === 0 || this.surrogateClass.size > 0) return;
    let m = Infinity;
    for (const [n] of this.needles) m = Math.min(m, n.length);
    if (m < SKIP_MIN_LENGTH) return;
    m = Math.min(m, 255);
    const shift = new Uint8Array(this.classes).fill(m);
    for (const [n] of this.needles)
      for (let q = 0; q < m; q++) {
        const k = this.classOf[n.charCodeAt(q)] as number;
        if ((shift[k] as number) > m - 1 - q) shift[k] = m - 1 - q;
      }
    this.minLength = m;
    this.shift = shift;
  }

  /**
   * Renumbers the nodes: those without output first, then those with output
   * (`firstReporting` on), each part breadth first. A scan then knows from the
   * node number alone whether there is anything to report, without loading
   * `out` for every character (a cache miss in a large automaton). Returns the
   * breadth-first order in the new numbers (parents before children).
   */
  private relabel(order: readonly number[]): number[] {
    const n = this.nodes;
    const oldOut = this.out;
    const id = new Int32Array(n);
    let next = 0;
    for (const v of order) if ((oldOut[v] as number) <= 0) id[v] = next++;
    this.firstReporting = next;
    for (const v of order) if ((oldOut[v] as number) > 0) id[v] = next++;
    const map = (x: number): number => (x < 0 ? x : (id[x] as number));
    const first = new Int32Array(n);
    const count = new Uint16Array(n);
    const keys = new Uint16Array(this.keys.length);
    const targets = new Int32Array(this.targets.length);
    const fail = new Int32Array(n);
    const dict = new Int32Array(n);
    const out = new Int32Array(n);
    const ends: Array<number[] | undefined> = new Array<number[] | undefined>(n);
    let at = 0;
    for (let v = 0; v < n; v++) {
      const w = id[v] as number;
      fail[w] = map(this.fail[v] as number);
      dict[w] = map(this.dict[v] as number);
      out[w] = map(oldOut[v] as number);
      ends[w] = this.endsList[v];
    }
    // edges grouped by new node number, in the same (class) order
    const byNew = new Int32Array(n);
    for (let v = 0; v < n; v++) byNew[id[v] as number] = v;
    for (let w = 0; w < n; w++) {
      const v = byNew[w] as number;
      first[w] = at;
      count[w] = this.count[v] as number;
      for (let e = this.first[v] as number, end = e + (this.count[v] as number); e < end; e++) {
        keys[at] = this.keys[e] as number;
        targets[at++] = id[this.targets[e] as number] as number;
      }
    }
    for (let k = 0; k < this.rootNext.length; k++) this.rootNext[k] = map(this.rootNext[k] as number);
    Object.assign(this, { first, count, keys, targets, fail, dict, out, endsList: ends });
    return order.map((v) => id[v] as number);
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

  /**
   * Calls `hit(id)` for every needle whose folded form occurs in fold(`s`).
   * Returns false, having reported nothing reliable, when `s` holds a surrogate
   * pair: the caller then scans fold(s) instead (see scanFolded).
   */
  scan(s: string, hit: (id: number) => void, epoch = 0): boolean {
    if (this.shift !== undefined) return this.scanSkipping(s, hit, epoch, this.shift);
    const classOf = this.classOf;
    const rep = this.firstReporting;
    const delta = this.delta;
    const cols = this.dfaCols;
    let v = 0;
    if (delta !== undefined) {
      // the table's column 0 (characters in no needle) leads every node to the root: no branch for it
      for (let i = 0; i < s.length; i++) {
        const k = classOf[s.charCodeAt(i)] as number;
        if (k < cols) v = delta[v * cols + k] as number;
        else {
          if (k === SURROGATE) return false;
          v = this.follow(v, k);
        }
        if (v >= rep) this.reportOnce(v, hit, epoch);
      }
      return true;
    }
    for (let i = 0; i < s.length; i++) {
      const k = classOf[s.charCodeAt(i)] as number;
      if (k === 0) {
        v = 0;
        continue;
      }
      if (k < cols && delta !== undefined) v = delta[v * cols + k] as number;
      else {
        // surrogates carry their own class: their folding is per code point
        if (k === SURROGATE) return false;
        v = this.follow(v, k);
      }
      // nodes with output are numbered last: most characters need no load of `out`
      if (v >= rep) this.reportOnce(v, hit, epoch);
    }
    return true;
  }

  /**
   * scan() for automata with a skip table: at the root, probes the code unit at
   * the far end of the shortest needle's window and jumps over the positions at
   * which no needle can start (see `shift`); elsewhere it steps as scan() does.
   */
  private scanSkipping(s: string, hit: (id: number) => void, epoch: number, shift: Uint8Array): boolean {
    const classOf = this.classOf;
    const rep = this.firstReporting;
    const delta = this.delta;
    const cols = this.dfaCols;
    const last = this.minLength - 1;
    const n = s.length;
    let v = 0;
    let i = 0;
    while (i < n) {
      if (v === 0) {
        let j = i + last;
        while (j < n) {
          const c = classOf[s.charCodeAt(j)] as number;
          // a surrogate is in no needle (see buildShift)
          const sh = c === SURROGATE ? last + 1 : (shift[c] as number);
          if (sh === 0) break;
          j += sh;
        }
        if (j >= n) return true;
        i = j - last;
      }
      const k = classOf[s.charCodeAt(i++)] as number;
      if (k === 0) {
        v = 0;
        continue;
      }
      if (k < cols && delta !== undefined) v = delta[v * cols + k] as number;
      else {
        if (k === SURROGATE) return false;
        v = this.follow(v, k);
      }
      if (v >= rep) this.reportOnce(v, hit, epoch);
    }
    return true;
  }

  /** The automaton's move from `v` on class `k`, through failure links (the sparse path). */
  private follow(v: number, k: number): number {
    let next = this.step(v, k);
    while (next < 0) {
      v = this.fail[v] as number;
      next = this.step(v, k);
    }
    return next;
  }

  /**
   * Reports the output chain of node `v` (a reporting node). A short literal can end at
   * almost every character: within one epoch each chain is reported once (epoch 0: always).
   */
  private reportOnce(v: number, hit: (id: number) => void, epoch: number): void {
    const o = this.out[v] as number;
    if (epoch !== 0) {
      if (this.reported[o] === epoch) return;
      this.reported[o] = epoch;
    }
    this.report(o, hit);
  }

  private report(first: number, hit: (id: number) => void): void {
    for (let o = first; o > 0; o = this.dict[o] as number) {
      const ids = this.endsList[o] as number[];
      for (let j = 0; j < ids.length; j++) hit(ids[j] as number);
    }
  }

  /** Like scan, on text that is already folded; surrogates are ordinary code units. */
  scanFolded(s: string, hit: (id: number) => void): void {
    const classOf = this.classOf;
    const out = this.out;
    let v = 0;
    for (let i = 0; i < s.length; i++) {
      let k = classOf[s.charCodeAt(i)] as number;
      // in folded text a surrogate is an ordinary code unit, found in needles or not
      if (k === SURROGATE) k = this.surrogateClass.get(s.charCodeAt(i)) ?? 0;
      if (k === 0) {
        v = 0;
        continue;
      }
      v = this.follow(v, k);
      const o = out[v] as number;
      if (o > 0) this.report(o, hit);
    }
  }

  /** Whether scan() skips through text at the root (every needle long enough, none with surrogates). */
  get skips(): boolean {
    return this.shift !== undefined;
  }

  /** Whether scanText folds the text and searches it with includes() (see scanLowered). */
  get searchesFolded(): boolean {
    return this.few;
  }

  /** For an automaton that `searchesFolded`: the needles in `lower`, which is fold() of the text. */
  scanLowered(lower: string, hit: (id: number) => void): void {
    for (const [n, id] of this.needles) if (lower.includes(n)) hit(id);
  }

  /** Scans `s` as case-insensitive text (folds it only if it holds surrogate pairs). */
  scanText(s: string, hit: (id: number) => void, epoch = 0): void {
    if (this.few) {
      const f = fold(s);
      for (const [n, id] of this.needles) if (f.includes(n)) hit(id);
      return;
    }
    if (!this.scan(s, hit, epoch)) this.scanFolded(fold(s), hit);
  }

  /**
   * `epoch` numbers the event being scanned (1, 2, …): within one epoch each
   * output is reported once, however often it occurs. Call when epochs restart.
   */
  resetEpochs(): void {
    this.reported.fill(0);
  }

  get size(): number {
    return this.nodes;
  }
}
