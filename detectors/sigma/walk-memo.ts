/**
 * A memo keyed by the fields and values of a walk over an event (field-plan.ts).
 */
import type { Collected } from './field-plan';

/**
 * A node of the memo's trie. Its first child sits in `token`/`next`, compared with
 * `===` (a string compared by content: no hash of a fresh string to compute); more
 * children, when a field takes several values (the clients' addresses), in `more`.
 */
class MemoNode<T> {
  token: unknown = undefined;
  next: MemoNode<T> | undefined = undefined;
  more: Map<unknown, MemoNode<T>> | undefined = undefined;
  result: T | undefined = undefined;
}
const ARRAY = Symbol('array');
/** what a walk's values spell when they cannot be remembered (an object, a long string, deep arrays) */
const UNFIT = Symbol('unfit');

/**
 * Results of a pure detector by the values a walk found (field-plan.ts): real
 * Docker API traffic repeats itself (the same list and inspect calls from the same
 * agents), so most events are answered by one descent instead of the detector's
 * work. The Sigma rule set keeps its matches here (rule-set.ts), the threat-intel
 * matcher its hits. The caller must make sure its result depends on nothing but
 * the walked values.
 *
 * The walk's fields and values spell a sequence of tokens: per field found, its
 * plan id when it has one value, else -1 - id and the number of values; then each
 * value (a scalar as itself; an array as ARRAY, its length and its elements).
 * Tokens compare as Map keys do (1, '1' and true differ; NaN is NaN) and the
 * event's own strings are the tokens, so no key string is built: a trie over the
 * sequence ends in the result. Two walks spell
 * the same sequence exactly when they found the same fields with the same values.
 *
 * Bounded: at most MAX_NODES nodes (~60 B each) and MAX_CHARS characters of the
 * strings they hold, strings of at most MAX_STRING characters (longer ones are not
 * remembered); emptied when full: under 10 MB a memo. Traffic that does not repeat
 * pays the descent only until a window of WINDOW lookups finds fewer than 1 in 8
 * hits; the memo then rests for REST events and tries again.
 */
export class WalkMemo<T> {
  private static readonly MAX_NODES = 100_000;
  /** characters of the string tokens held (their strings are kept alive by the trie) */
  private static readonly MAX_CHARS = 2_000_000;
  private static readonly MAX_STRING = 512;
  private static readonly WINDOW = 4096;
  private static readonly REST = 65_536;
  private root = new MemoNode<T>();
  private nodes = 0;
  private chars = 0;
  private lookups = 0;
  private windowHits = 0;
  private resting = 0;
  private hits = 0;
  private misses = 0;
  private paused = 0;

  /** Whether to look this event up (false while resting: counts the event). */
  active(): boolean {
    if (this.resting === 0) return true;
    this.resting--;
    this.paused++;
    return false;
  }

  get(walk: Collected): T | undefined {
    const node = this.descend(walk, false);
    const v = node === undefined || node === UNFIT ? undefined : node.result;
    if (v !== undefined) {
      this.hits++;
      this.windowHits++;
    } else this.misses++;
    if (++this.lookups === WalkMemo.WINDOW) {
      if (this.windowHits * 8 < WalkMemo.WINDOW) {
        this.resting = WalkMemo.REST;
        this.clear();
      }
      this.lookups = 0;
      this.windowHits = 0;
    }
    return v;
  }

  set(walk: Collected, result: T): void {
    if (this.resting > 0) return;
    if (this.nodes > WalkMemo.MAX_NODES || this.chars > WalkMemo.MAX_CHARS) this.clear();
    const node = this.descend(walk, true);
    if (node !== undefined && node !== UNFIT) node.result = result;
  }

  stats(): { hits: number; misses: number; paused: number } {
    return { hits: this.hits, misses: this.misses, paused: this.paused };
  }

  private clear(): void {
    this.root = new MemoNode<T>();
    this.nodes = 0;
    this.chars = 0;
  }

  /** The node the walk's sequence ends at; undefined when absent (and not `create`), UNFIT when it cannot be spelled. */
  private descend(walk: Collected, create: boolean): MemoNode<T> | undefined | typeof UNFIT {
    let node: MemoNode<T> | undefined = this.root;
    const found = walk.found;
    for (let f = 0; f < found.length && node !== undefined; f++) {
      const id = found[f] as number;
      const vals = walk.values[id] as unknown[];
      // one value (the usual case): the field's id; else its id's complement and the count
      node =
        vals.length === 1
          ? this.step(node, id, create)
          : this.step(this.step(node, -1 - id, create), vals.length, create);
      for (let k = 0; k < vals.length && node !== undefined; k++) {
        const r = this.value(node, vals[k], create, 0);
        if (r === UNFIT) return UNFIT;
        node = r;
      }
    }
    return node;
  }

  private value(node: MemoNode<T>, v: unknown, create: boolean, depth: number): MemoNode<T> | undefined | typeof UNFIT {
    if (typeof v === 'string') return v.length > WalkMemo.MAX_STRING ? UNFIT : this.step(node, v, create);
    if (v === null || typeof v !== 'object')
      return typeof v === 'function' || typeof v === 'symbol' ? UNFIT : this.step(node, v, create);
    if (!Array.isArray(v) || depth > 8) return UNFIT;
    let n: MemoNode<T> | undefined = this.step(this.step(node, ARRAY, create), v.length, create);
    for (let k = 0; k < v.length && n !== undefined; k++) {
      const r = this.value(n, v[k], create, depth + 1);
      if (r === UNFIT) return UNFIT;
      n = r;
    }
    return n;
  }

  private step(node: MemoNode<T> | undefined, token: unknown, create: boolean): MemoNode<T> | undefined {
    if (node === undefined) return undefined;
    const first = node.next;
    // SameValueZero, as Map keys: NaN is NaN
    if (first !== undefined && (node.token === token || (token !== token && node.token !== node.token))) return first;
    const more = node.more;
    const found = more?.get(token);
    if (found !== undefined || !create) return found;
    const child = new MemoNode<T>();
    this.nodes++;
    if (typeof token === 'string') this.chars += token.length;
    if (first === undefined) {
      node.token = token;
      node.next = child;
    } else (node.more ??= new Map()).set(token, child);
    return child;
  }
}
