/**
 * Bytes of detector state per tracked key, for each baseline kind and for a
 * correlation group: `npm run bench -- state-memory` (bench/run.js builds and
 * runs dist/bench/state-memory.js with --expose-gc).
 *
 * For each kind, N distinct clients make one event each (first_seen also with 10
 * values per key); the heap growth, after a full GC, divided by N is the cost of
 * a key — key string and map entry included, which is what a deployment pays.
 * Median of three runs, each in a fresh store. Options: --keys N (default 100000).
 */
import { loadBaselines, type BaselineDef } from '../detectors/baselines/baseline-config';
import { BaselineEngine } from '../detectors/baselines/baseline-engine';
import { BaselineStore } from '../detectors/baselines/baseline-state';
import { PartitionState } from '../detectors/state/partition-state';

const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

function def(kind: string, extra = ''): BaselineDef {
  const value = kind === 'first_seen' ? 'value: user_agent.original\n' : kind === 'geography' ? 'value: country\n' : '';
  const r = loadBaselines([
    {
      file: `${kind}.yml`,
      text: `id: ${kind}\ntitle: ${kind}\nkind: ${kind}\nkey: [client]\n${value}parameters: { max_keys: 10000000${extra} }\n`,
    },
  ]);
  const d = r.defs[0];
  if (!d) throw new Error(r.errors.map((e) => e.format()).join('\n'));
  return d;
}

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

const T0 = Date.parse('2026-11-23T00:00:00Z');

function measure(label: string, n: number, fill: (n: number) => unknown): { label: string; bytes: number } {
  const runs: number[] = [];
  // the previous run's store must be unreachable before the next `before`: hold it here and drop it explicitly
  const holder: { kept: unknown } = { kept: undefined };
  for (let r = 0; r < 3; r++) {
    holder.kept = undefined;
    const before = heap();
    holder.kept = fill(n);
    const after = heap();
    runs.push((after - before) / n);
  }
  if (holder.kept === undefined) throw new Error('nothing kept');
  runs.sort((a, b) => a - b);
  return { label, bytes: runs[1] as number };
}

function baselineFill(d: BaselineDef, valuesPerKey: number): (n: number) => unknown {
  return (n) => {
    const engine = new BaselineEngine([d]);
    const store = new BaselineStore();
    for (let i = 0; i < n; i++)
      for (let v = 0; v < valuesPerKey; v++)
        engine.evaluate({ source: { ip: ip(i) }, user_agent: { original: `agent/${v}` } }, T0 + i, store);
    store.drain(); // the dirty set is emptied by every changelog write
    if (store.size !== n) throw new Error(`expected ${n} keys, have ${store.size}`);
    return store;
  };
}

function correlationFill(hits: number): (n: number) => unknown {
  return (n) => {
    const s = new PartitionState(0);
    for (let i = 0; i < n; i++)
      s.correlation.set(JSON.stringify(['ba8f42a4-0612-4ef5-89ef-f8c11917fd6c', [ip(i)]]), {
        v: 1,
        rule: 'ba8f42a4-0612-4ef5-89ef-f8c11917fd6c',
        group: { 'source.ip': ip(i) },
        hits: Array.from({ length: hits }, (_, h) => ({ t: T0 + i + h, e: [i * 3 + h], r: h })),
        dropped: 0,
      });
    s.drainChanges();
    return s;
  };
}

function main(): void {
  if (!gc) process.stderr.write('state-memory: run with --expose-gc for stable numbers (npm run bench does)\n');
  const at = process.argv.indexOf('--keys');
  const n = at > 0 ? Number(process.argv[at + 1]) : 100_000;
  const results = [
    measure('first_seen, 1 value per key', n, baselineFill(def('first_seen'), 1)),
    measure('first_seen, 10 values per key', n / 10, baselineFill(def('first_seen'), 10)),
    measure('rate (EWMA, scalar state)', n, baselineFill(def('rate'), 1)),
    measure('time_of_access (168 hour counters)', n, baselineFill(def('time_of_access'), 1)),
    measure('geography, 1 country per key', n, baselineFill(def('geography'), 1)),
    measure('correlation group, 1 hit', n, correlationFill(1)),
    measure('correlation group, 3 hits', n, correlationFill(3)),
  ];
  process.stdout.write(
    `detector state per tracked key (median of 3 runs; ${n} keys; key string and map entry included)\n`,
  );
  for (const r of results)
    process.stdout.write(`${r.label.padEnd(40)} ${Math.round(r.bytes).toString().padStart(6)} B\n`);
}

main();
