/**
 * Benchmark plumbing: a seeded PRNG, a timing loop (warm-up, then the median of
 * several timed runs of whole passes over an event pool), heap readings and
 * table printing. Nothing here knows about Sigma.
 */
import * as os from 'os';

// ---------------------------------------------------------------- PRNG

/** mulberry32: small, fast, good enough for synthetic data; same seed → same events. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  /** Picks from `[weight, value]` pairs. */
  weighted<T>(xs: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of xs) total += w;
    let r = this.next() * total;
    for (const [w, v] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return (xs[xs.length - 1] as readonly [number, T])[1];
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
  alnum(n: number): string {
    const a = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += a[Math.floor(this.next() * a.length)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${this.hex(3)}-${this.hex(12)}`;
  }
  ipv4(prefix?: string): string {
    if (prefix) return `${prefix}.${this.int(1, 254)}`;
    return `${this.int(1, 223)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }
  isoTime(base = Date.UTC(2026, 10, 28, 8, 0, 0)): string {
    return new Date(base + this.int(0, 36_000_000)).toISOString();
  }
}

// ---------------------------------------------------------------- timing

export interface TimingOptions {
  /** Minimum duration of one timed run. */
  runMs: number;
  /** Warm-up duration before the timed runs. */
  warmupMs: number;
  runs: number;
}

export interface Timing {
  /** Median events per second over the runs. */
  eps: number;
  /** Each run's events per second. */
  all: number[];
  /** Sink value, so the work cannot be optimised away. */
  sink: number;
}

let globalSink = 0;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * `pass()` processes the whole pool of `poolSize` events once and returns a
 * number derived from its results. Each run repeats whole passes until at least
 * `runMs` have elapsed; events/s = events processed / elapsed.
 */
export function measure(poolSize: number, pass: () => number, o: TimingOptions): Timing {
  let sink = 0;
  const w0 = nowMs();
  let warmPasses = 0;
  while (warmPasses < 2 || nowMs() - w0 < o.warmupMs) {
    sink += pass();
    warmPasses++;
  }
  const all: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    gc();
    const t0 = nowMs();
    let passes = 0;
    let t = t0;
    do {
      sink += pass();
      passes++;
      t = nowMs();
    } while (t - t0 < o.runMs);
    all.push((passes * poolSize) / ((t - t0) / 1000));
  }
  globalSink += sink;
  const sorted = [...all].sort((a, b) => a - b);
  return { eps: sorted[Math.floor(sorted.length / 2)] as number, all, sink };
}

export function sinkValue(): number {
  return globalSink;
}

// ---------------------------------------------------------------- memory, environment

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

export function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

export function environment(): string[] {
  const cpus = os.cpus();
  return [
    `Node ${process.version} (V8 ${process.versions.v8}) on ${os.platform()} ${os.arch()}`,
    `CPU: ${cpus[0]?.model.trim() ?? 'unknown'} (${cpus.length} logical cores; the benchmark uses one thread)`,
  ];
}

// ---------------------------------------------------------------- output

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtUs(eps: number): string {
  return (1e6 / eps).toFixed(2);
}

export function table(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
