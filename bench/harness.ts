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
  /** Median events per second over the runs (wall clock). */
  eps: number;
  /** Each run's events per second (wall clock). */
  all: number[];
  /**
   * Median events per second of process CPU time (user + system, all threads,
   * so V8's background GC and compiler threads count too). Close to `eps` on an
   * idle machine; well above it when other processes take the core.
   */
  epsCpu: number;
  /** Sink value, so the work cannot be optimised away. */
  sink: number;
}

let globalSink = 0;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * `batch(from, to)` processes events [from, to) of a pool of `poolSize` and
 * returns a number derived from the results (kept in a sink so that the work
 * cannot be optimised away). The harness walks the pool in chunks, wrapping
 * around, so slow scenarios need not finish whole passes: a warm-up of
 * `warmupMs`, then `runs` timed runs of at least `runMs` each; the result is the
 * median events/s.
 */
export function measure(poolSize: number, batch: (from: number, to: number) => number, o: TimingOptions): Timing {
  const chunk = Math.min(256, poolSize);
  let cursor = 0;
  let sink = 0;
  const step = (): number => {
    const to = Math.min(cursor + chunk, poolSize);
    sink += batch(cursor, to);
    const n = to - cursor;
    cursor = to === poolSize ? 0 : to;
    return n;
  };
  const w0 = nowMs();
  while (nowMs() - w0 < o.warmupMs) step();
  const all: number[] = [];
  const allCpu: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    let events = 0;
    let t = t0;
    do {
      events += step();
      t = nowMs();
    } while (t - t0 < o.runMs);
    const c = process.cpuUsage(c0);
    all.push(events / ((t - t0) / 1000));
    allCpu.push(events / ((c.user + c.system) / 1e6));
  }
  globalSink += sink;
  return { eps: median(all), all, epsCpu: median(allCpu), sink };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
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
